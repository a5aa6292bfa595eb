"""Log collection and audit logging: Loki, Fluent Bit, Fluentd, Vector, Promtail and the
Kubernetes audit policy."""

from __future__ import annotations

from cnsmm.capabilities.index import Index, Signature, container_args, evidence
from cnsmm.capabilities.model import MAX_EVIDENCE, Outcome
from cnsmm.capabilities.registry import detector, outcome
from cnsmm.capabilities.runtime import node_agent
from cnsmm.capabilities.values import items, mapping, text

COLLECT = "OPS.MGT.L2.2"
SHIPPER_SUPPORTS = ((COLLECT, "A node-level agent collects container and platform logs to a central store."),)
SHIPPER_CONDITIONS = "Runs as a DaemonSet (collects from every node); an aggregator Deployment alone is partial."

FLUENT_BIT = Signature(images=("fluent/fluent-bit", "fluentbit/fluent-bit", "bitnami/fluent-bit",
                               "aws-observability/aws-for-fluent-bit", "amazon/aws-for-fluent-bit"),
                       labels=("fluent-bit", "fluentbit"))
FLUENTD = Signature(images=("fluent/fluentd", "fluent/fluentd-kubernetes-daemonset", "bitnami/fluentd",
                            "fluentd-elasticsearch/fluentd", "fluentd"),
                    labels=("fluentd", "fluentd-elasticsearch", "fluentd-logging"))
VECTOR = Signature(images=("timberio/vector", "vectordotdev/vector"), labels=("vector", "vector-agent"))
PROMTAIL = Signature(images=("grafana/promtail",), labels=("promtail",))
ALLOY = Signature(images=("grafana/alloy", "grafana/agent"), labels=("alloy", "grafana-agent"))
SHIPPERS = (FLUENT_BIT, FLUENTD, VECTOR, PROMTAIL, ALLOY)


def _shipper(ix: Index, sig: Signature, name: str) -> Outcome | None:
    found = ix.presence(sig)
    if not found:
        return None
    partial = node_agent(ix, sig, found, name)
    if partial is not None:
        return partial
    return outcome("effective", f"{name} runs as a DaemonSet and collects logs from every node.",
                   f"{name} 以 DaemonSet 运行,采集每个节点的日志。", found)


@detector(id="fluent-bit", name="Fluent Bit", category="logging", supports=SHIPPER_SUPPORTS,
          how="Images fluent/fluent-bit (cr.fluentbit.io), aws-for-fluent-bit; app label fluent-bit.",
          conditions=SHIPPER_CONDITIONS)
def fluent_bit(ix: Index) -> Outcome | None:
    """Fluent Bit log shipper."""
    return _shipper(ix, FLUENT_BIT, "Fluent Bit")


@detector(id="fluentd", name="Fluentd", category="logging", supports=SHIPPER_SUPPORTS,
          how="Images fluent/fluentd(-kubernetes-daemonset) and common Fluentd images; app label fluentd.",
          conditions=SHIPPER_CONDITIONS)
def fluentd(ix: Index) -> Outcome | None:
    """Fluentd log collector."""
    return _shipper(ix, FLUENTD, "Fluentd")


@detector(id="vector", name="Vector", category="logging", supports=SHIPPER_SUPPORTS,
          how="Images timberio/vector, vectordotdev/vector; app label vector.", conditions=SHIPPER_CONDITIONS)
def vector(ix: Index) -> Outcome | None:
    """Vector agent."""
    return _shipper(ix, VECTOR, "Vector")


@detector(id="promtail", name="Promtail / Grafana Alloy", category="logging", supports=SHIPPER_SUPPORTS,
          how="Images grafana/promtail, grafana/alloy, grafana/agent; app labels promtail, alloy.",
          conditions=SHIPPER_CONDITIONS)
def promtail(ix: Index) -> Outcome | None:
    """Promtail (or its successor Grafana Alloy)."""
    if ix.presence(PROMTAIL):
        return _shipper(ix, PROMTAIL, "Promtail")
    return _shipper(ix, ALLOY, "Grafana Alloy")


LOKI = Signature(images=("grafana/loki",), labels=("loki",), crd_groups=("loki.grafana.com",))


@detector(
    id="loki",
    name="Grafana Loki",
    category="logging",
    supports=(
        (COLLECT, "Loki stores the platform and container logs centrally for audit."),
        ("OPS.MGT.L3.1", "LogQL queries and ruler alerts analyse logged security behaviour."),
        ("OPS.SOC.L2.3", "Central, queryable logs let responders trace an attack by hand."),
    ),
    how="Images grafana/loki, app label loki, LokiStack resources (loki.grafana.com).",
    conditions="A log shipper (Promtail, Alloy, Fluent Bit, Fluentd, Vector) is in the same set feeding it.",
)
def loki(ix: Index) -> Outcome | None:
    """Loki with a shipper in the same set."""
    stacks = ix.kind("LokiStack", "loki.grafana.com")
    found = ix.presence(LOKI) + [evidence(s, ("spec",), "LokiStack") for s in stacks]
    if not found:
        return None
    shippers = [e for sig in SHIPPERS for e in ix.presence(sig)]
    if shippers:
        return outcome("effective", "Loki stores logs that a collector in the same set ships to it.",
                       "Loki 存储由同组采集器发送的日志。", found + shippers[:3])
    return outcome("partial", "Loki runs but no log collector was found in this set, so nothing is shown to feed it.",
                   "Loki 已运行,但本组对象中未发现日志采集器,无法证明有日志写入。", found)


AUDIT_LEVELS = {"metadata", "request", "requestresponse"}


@detector(
    id="audit-policy",
    name="Kubernetes audit logging",
    category="audit-logging",
    supports=(
        ("PLT.ORC.L4.2", "The API server records security-relevant requests as audit events."),
        (COLLECT, "Audit logs of the platform are collected for security audit."),
    ),
    how="audit.k8s.io Policy objects; kube-apiserver containers with --audit-policy-file and a log or webhook sink.",
    conditions="A Policy with at least one rule above level None and, when the kube-apiserver is in the set, "
    "both --audit-policy-file and --audit-log-path or --audit-webhook-config-file.",
)
def audit_policy(ix: Index) -> Outcome | None:
    """Kubernetes API audit logging."""
    policies = ix.kind("Policy", "audit.k8s.io")
    apiservers = [u for u in ix.images if u.repo.endswith("kube-apiserver")
                  or any(a.endswith("kube-apiserver") for a in container_args(u.container)[:1])]
    if not policies and not apiservers:
        return None
    levels = {text(mapping(r).get("level")).lower() for p in policies for r in items(p.get("rules"))}
    ev = [evidence(p, ("rules",), "audit Policy") for p in policies[:MAX_EVIDENCE]]
    if apiservers:
        flags = {a.split("=", 1)[0] for u in apiservers for a in container_args(u.container)}
        ev += [u.evidence(f"kube-apiserver {'with' if '--audit-policy-file' in flags else 'without'} audit flags")
               for u in apiservers]
        sink = bool(flags & {"--audit-log-path", "--audit-webhook-config-file"})
        if "--audit-policy-file" in flags and sink:
            return outcome("effective", "The kube-apiserver writes audit events under an audit policy.",
                           "kube-apiserver 按审计策略记录审计事件。", ev)
        return outcome(
            "partial",
            "The kube-apiserver lacks --audit-policy-file or an audit log/webhook sink, so requests are not audited.",
            "kube-apiserver 未同时配置 --audit-policy-file 与审计日志/Webhook 输出,请求未被审计。",
            ev,
        )
    if levels & AUDIT_LEVELS:
        return outcome("effective", "An audit policy records API requests at Metadata level or above.",
                       "审计策略以 Metadata 或更高级别记录 API 请求。", ev)
    return outcome("partial", "An audit policy exists but every rule is level None, so nothing is recorded.",
                   "存在审计策略,但所有规则级别均为 None,不会记录任何事件。", ev)
