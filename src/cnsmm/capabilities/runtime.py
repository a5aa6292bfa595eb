"""Runtime threat detection and host protection: Falco, Tracee, Tetragon, KubeArmor,
NeuVector, Sysdig, Wazuh and ClamAV."""

from __future__ import annotations

from dataclasses import replace

from cnsmm.capabilities.index import Index, Signature, evidence, node_wide
from cnsmm.capabilities.model import CapabilityEvidence, Outcome
from cnsmm.capabilities.registry import collect, detector, outcome
from cnsmm.capabilities.values import data_value, items, mapping, text, truthy
from cnsmm.sources.yamlload import load_yaml

HOST_IDS = "INF.CMP.L2.5"
BEHAVIOUR = "PLT.RUN.L4.1"
THREATS = "PLT.RUN.L3.1"
ORC_ATTACKS = "PLT.ORC.L4.1"

FALCO = Signature(
    images=("falcosecurity/falco", "falcosecurity/falco-no-driver", "falcosecurity/falco-distroless"),
    labels=("falco",),
    crd_groups=("instance.falcosecurity.dev", "artifact.falcosecurity.dev"),
)
FALCO_OUTPUTS = ("stdout_output", "syslog_output", "file_output", "http_output", "program_output", "grpc_output")


def node_agent(ix: Index, sig: Signature, found: list[CapabilityEvidence], name: str) -> Outcome | None:
    """None when a workload of ``sig`` (by image or label) runs on every node, else a partial outcome."""
    workloads = ix.workloads_with_images(sig.images)
    seen = {id(o) for o in workloads}
    workloads += [o for o in ix.labelled(sig.labels) if o.pod_spec() is not None and id(o) not in seen]
    if any(node_wide(w) for w in workloads):
        return None
    releases = ix.released(sig.labels)
    shapes = {text(r.value("controller", "kind")).lower() or "daemonset" for r in releases}
    if "daemonset" in shapes:
        return None  # installed from its chart through GitOps: the chart's default is a DaemonSet
    if workloads:
        return outcome(
            "partial",
            f"{name} runs, but not as a DaemonSet, so it does not watch every node.",
            f"发现 {name},但未以 DaemonSet 部署,无法覆盖每个节点。",
            found,
        )
    return outcome(
        "partial",
        f"{name} is only installed in part (definitions or labels, no agent workload in this set).",
        f"仅发现 {name} 的部分安装(定义或标签),本组对象中没有其代理工作负载。",
        found,
    )


def _falco_config(ix: Index) -> tuple[list[str], list[CapabilityEvidence], bool]:
    """Problems with the ``falco.yaml`` found in ConfigMaps, where it is, and whether it loads
    the k8saudit plugin (Kubernetes audit events)."""
    problems: list[str] = []
    where: list[CapabilityEvidence] = []
    audit = False
    for cm in ix.kind("ConfigMap", ""):
        raw = data_value(cm, "falco.yaml")
        if not raw:
            continue
        docs, _ = load_yaml(raw, max_nodes=20_000)
        conf = mapping(docs[0].value) if docs else {}
        where.append(evidence(cm, ("data", "falco.yaml"), "Falco configuration (falco.yaml)"))
        rules = conf.get("rules_files", conf.get("rules_file", ["default"]))
        if rules in ([], None, ""):
            problems.append("loads no rules files")
        enabled = {k: truthy(mapping(conf.get(k)).get("enabled")) for k in FALCO_OUTPUTS if k in conf}
        if "stdout_output" in enabled and "syslog_output" in enabled and not any(enabled.values()):
            problems.append("has every output disabled")
        audit = audit or any(text(p).startswith("k8saudit") for p in items(conf.get("load_plugins")))
    return problems, where, audit


@detector(
    id="falco",
    name="Falco",
    category="runtime-detection",
    supports=(
        (HOST_IDS, "Falco's syscall rules on every node detect intrusions on the host and in containers."),
        (BEHAVIOUR, "Falco rules flag anomalous process, file and network behaviour inside containers."),
        (THREATS, "Default rules detect abnormal processes, high-risk behaviour and container escape attempts."),
        (ORC_ATTACKS, "With the k8saudit plugin Falco detects attacks on the API server from its audit events."),
    ),
    how="Images falcosecurity/falco(-no-driver, -distroless), app/Helm label falco, Falco operator CRDs.",
    conditions="Runs as a DaemonSet; when falco.yaml is present it loads rules files and enables an output; "
    "orchestration attacks count when falco.yaml loads the k8saudit plugin.",
)
def falco(ix: Index) -> Outcome | None:
    """Falco: a DaemonSet with rules and at least one output."""
    found = ix.presence(FALCO)
    if not found:
        return None
    problems, where, audit = _falco_config(ix)
    reqs = (HOST_IDS, BEHAVIOUR, THREATS, *((ORC_ATTACKS,) if audit else ()))
    partial = node_agent(ix, FALCO, found, "Falco")
    if partial:
        return replace(partial, effective=(), partial=reqs)
    found = where + found
    if problems:
        return outcome(
            "partial",
            f"Falco runs as a DaemonSet but its configuration {' and '.join(problems)}, so events are not raised.",
            "Falco 以 DaemonSet 运行,但其配置未加载规则或关闭了所有输出,检测事件无法产生或送达。",
            found, effective=(), partial=reqs,
        )
    sidekick = ix.image_uses(("falcosecurity/falcosidekick",))
    extra = " and forwards alerts with Falcosidekick" if sidekick else ""
    return outcome(
        "effective",
        f"Falco runs as a DaemonSet on every node with rules and outputs enabled{extra}.",
        "Falco 以 DaemonSet 在每个节点运行,规则与告警输出均已启用。",
        found + [u.evidence() for u in sidekick],
        effective=reqs, partial=(),
    )


def _simple_agent(ix: Index, sig: Signature, name: str) -> Outcome | None:
    found = ix.presence(sig)
    if not found:
        return None
    partial = node_agent(ix, sig, found, name)
    if partial:
        return partial
    return outcome(
        "effective",
        f"{name} runs as a DaemonSet, so every node is watched.",
        f"{name} 以 DaemonSet 运行,覆盖每个节点。",
        found,
    )


TRACEE = Signature(
    images=("aquasec/tracee", "aquasecurity/tracee"), labels=("tracee",), crd_groups=("tracee.aquasec.com",)
)


@detector(
    id="tracee",
    name="Tracee",
    category="runtime-detection",
    supports=(
        (HOST_IDS, "Tracee's eBPF signatures detect intrusion behaviour on each node."),
        (THREATS, "Signatures detect malicious processes, fileless execution and container escapes."),
        (BEHAVIOUR, "Tracee's behavioural signatures detect suspicious activity inside containers."),
    ),
    how="Image aquasec/tracee, app label tracee, tracee.aquasec.com CRDs.",
    conditions="Runs as a DaemonSet (on every node).",
)
def tracee(ix: Index) -> Outcome | None:
    """Tracee: counts when its agent is a DaemonSet."""
    return _simple_agent(ix, TRACEE, "Tracee")


SYSDIG = Signature(
    images=("sysdig/agent", "sysdig/agent-slim", "sysdig/agent-kmodule", "sysdig/vuln-runtime-scanner"),
    labels=("sysdig-agent", "sysdig-deploy", "sysdig"),
)


@detector(
    id="sysdig-agent",
    name="Sysdig agent",
    category="runtime-detection",
    supports=(
        (HOST_IDS, "The Sysdig agent captures syscalls on each node for threat detection."),
        (BEHAVIOUR, "Sysdig's runtime policies detect anomalous container behaviour."),
        (THREATS, "Runtime policies flag malicious processes, high-risk behaviour and escape attempts."),
        ("OPS.SOC.L2.1", "The agent sends metrics and security events of all nodes to one backend."),
    ),
    how="Images sysdig/agent(-slim, -kmodule), app label sysdig-agent.",
    conditions="Runs as a DaemonSet (on every node).",
)
def sysdig(ix: Index) -> Outcome | None:
    """Sysdig agent: counts when it is a DaemonSet."""
    return _simple_agent(ix, SYSDIG, "The Sysdig agent")


TETRAGON = Signature(
    images=("cilium/tetragon", "cilium/tetragon-operator", "cilium/tetragon-ci"), labels=("tetragon",)
)
ENFORCING_ACTIONS = {"sigkill", "override", "signal", "notifyenforcer"}


@detector(
    id="tetragon",
    name="Tetragon",
    category="runtime-detection",
    supports=(
        (HOST_IDS, "Tetragon's eBPF sensors observe process, file and network events on each node."),
        (BEHAVIOUR, "TracingPolicies match anomalous behaviour of container processes."),
        (THREATS, "Process, file and network events expose abnormal processes and high-risk behaviour."),
        ("PLT.RUN.L4.2", "Enforcing TracingPolicies kill the process or override the syscall in the kernel."),
        ("PLT.RUN.L4.3", "Enforcement actions block the attack automatically, with no operator in the loop."),
    ),
    how="Images quay.io/cilium/tetragon(-operator), app label tetragon, TracingPolicy resources (cilium.io).",
    conditions="Runs as a DaemonSet; blocking counts only with a TracingPolicy using Sigkill/Override/Signal.",
)
def tetragon(ix: Index) -> Outcome | None:
    """Tetragon: detection from the DaemonSet, blocking from enforcing TracingPolicies."""
    policies = ix.kinds(("TracingPolicy", "TracingPolicyNamespaced"), "cilium.io")
    found = ix.presence(TETRAGON) + [evidence(p, ("spec",), "TracingPolicy") for p in policies]
    if not found:
        return None
    partial = node_agent(ix, TETRAGON, found, "Tetragon")
    if partial:
        return partial
    enforcing = [
        p for p in policies
        if any(text(a).lower() in ENFORCING_ACTIONS for a in collect(p.get("spec"), "action"))
    ]
    if enforcing:
        return outcome(
            "effective",
            f"Tetragon runs on every node and {len(enforcing)} TracingPolicy(ies) block matching activity.",
            f"Tetragon 在每个节点运行,且有 {len(enforcing)} 个 TracingPolicy 对匹配行为执行阻断。",
            [evidence(p, ("spec",), "TracingPolicy with an enforcement action") for p in enforcing] + found,
        )
    return outcome(
        "effective",
        "Tetragon runs on every node and observes activity, but no TracingPolicy enforces (Sigkill/Override).",
        "Tetragon 在每个节点运行并进行观测,但没有 TracingPolicy 配置阻断动作(Sigkill/Override)。",
        found,
        effective=(HOST_IDS, BEHAVIOUR, THREATS),
        partial=("PLT.RUN.L4.2", "PLT.RUN.L4.3"),
    )
