"""Workload protection platforms and host agents: KubeArmor, NeuVector, Wazuh and ClamAV."""

from __future__ import annotations

from cnsmm.capabilities.index import Index, Signature, evidence, node_wide
from cnsmm.capabilities.model import Outcome
from cnsmm.capabilities.registry import collect, detector, outcome
from cnsmm.capabilities.runtime import BEHAVIOUR, HOST_IDS, node_agent
from cnsmm.capabilities.values import mapping, text

KUBEARMOR = Signature(
    images=("kubearmor/kubearmor", "kubearmor/kubearmor-operator", "kubearmor/kubearmor-controller",
            "kubearmor/kubearmor-snitch"),
    labels=("kubearmor", "kubearmor-operator"),
    crd_groups=("security.kubearmor.com", "operator.kubearmor.com"),
)
KUBEARMOR_POLICIES = ("KubeArmorPolicy", "KubeArmorHostPolicy", "KubeArmorClusterPolicy")


@detector(
    id="kubearmor",
    name="KubeArmor",
    category="runtime-enforcement",
    supports=(
        ("PLT.RUN.L2.2", "KubeArmor policies with action Allow restrict containers to an allow-list of programs."),
        ("PLT.RUN.L3.2", "Block policies stop attack behaviour in the container at run time."),
        ("PLT.RUN.L4.2", "LSM enforcement blocks access to files, processes and network inside containers."),
    ),
    how="Images kubearmor/kubearmor(-operator, -controller), label kubearmor, security.kubearmor.com policies.",
    conditions="KubeArmorPolicy/HostPolicy/ClusterPolicy with action Block or Allow; Audit-only policies are partial.",
)
def kubearmor(ix: Index) -> Outcome | None:
    """KubeArmor: enforcement comes from Block/Allow policies."""
    policies = ix.kinds(KUBEARMOR_POLICIES, "security.kubearmor.com")
    found = ix.presence(KUBEARMOR)
    if not found and not policies:
        return None
    actions = {id(p): {text(a).lower() for a in collect(p.get("spec"), "action")} for p in policies}
    enforcing = [p for p in policies if actions[id(p)] & {"block", "allow"}]
    allow = [p for p in policies if "allow" in actions[id(p)]]
    ev = [evidence(p, ("spec", "action"), f"{p.kind} ({'/'.join(sorted(actions[id(p)])) or 'no action'})")
          for p in policies] + found
    if not enforcing:
        return outcome(
            "partial",
            "KubeArmor is present but no policy blocks or allow-lists (Audit only, or none): nothing is enforced.",
            "发现 KubeArmor,但没有阻断或白名单策略(仅审计或无策略),未形成强制防护。",
            ev,
        )
    return outcome(
        "effective",
        f"KubeArmor enforces {len(enforcing)} policy(ies) with Block or Allow actions.",
        f"KubeArmor 通过 {len(enforcing)} 个 Block/Allow 策略实施强制防护。",
        ev,
        effective=(("PLT.RUN.L2.2",) if allow else ()) + ("PLT.RUN.L3.2", "PLT.RUN.L4.2"),
        partial=() if allow else ("PLT.RUN.L2.2",),
    )


NEUVECTOR = Signature(
    images=("neuvector/controller", "neuvector/enforcer", "neuvector/manager", "neuvector/scanner",
            "neuvector/allinone"),
    labels=("neuvector-controller-pod", "neuvector-enforcer-pod", "neuvector-manager-pod", "neuvector"),
    crd_groups=("neuvector.com",),
)


NEUVECTOR_ENFORCER = Signature(images=("neuvector/enforcer", "neuvector/allinone"), labels=("neuvector-enforcer-pod",))


@detector(
    id="neuvector",
    name="NeuVector",
    category="runtime-detection",
    supports=(
        (HOST_IDS, "The enforcer on each node detects intrusions into hosts and containers."),
        (BEHAVIOUR, "NeuVector learns normal process and network behaviour and flags deviations."),
        ("PLT.RUN.L3.1", "The enforcer detects suspicious processes, escalations and escape attempts in containers."),
        ("PLT.RUN.L3.2", "In Protect mode NeuVector blocks unexpected processes and connections."),
        ("PLT.NET.L3.2", "The manager shows the container network topology and live connections."),
        ("PLT.NET.L3.3", "In Protect mode network attacks between containers are blocked."),
        ("PLT.IMG.L2.1", "The NeuVector scanner scans images in registries and on nodes for CVEs with fixes."),
    ),
    how="Images neuvector/controller, enforcer, manager, scanner; pod labels neuvector-*-pod; neuvector.com CRDs.",
    conditions="Enforcer DaemonSet; blocking counts with NvSecurityRule policymode Protect; scanning with the scanner.",
)
def neuvector(ix: Index) -> Outcome | None:
    """NeuVector: detection from the enforcer, blocking from Protect-mode rules."""
    found = ix.presence(NEUVECTOR)
    if not found:
        return None
    partial = node_agent(ix, NEUVECTOR_ENFORCER, found, "NeuVector's enforcer")
    if partial:
        return partial
    rules = ix.kinds(("NvSecurityRule", "NvClusterSecurityRule"), "neuvector.com")
    protect = [r for r in rules if text(mapping(r.get("spec", "target")).get("policymode")).lower() == "protect"]
    blocking = ("PLT.RUN.L3.2", "PLT.NET.L3.3")
    scanning = ("PLT.IMG.L2.1",) if ix.image_uses(("neuvector/scanner",)) else ()
    ev = [evidence(r, ("spec", "target", "policymode"), "NeuVector rule in Protect mode") for r in protect] + found
    if protect:
        return outcome(
            "effective",
            f"NeuVector's enforcer runs on every node and {len(protect)} rule(s) are in Protect mode.",
            f"NeuVector 执行器在每个节点运行,且有 {len(protect)} 条规则处于保护(Protect)模式。",
            ev,
            effective=(HOST_IDS, BEHAVIOUR, "PLT.RUN.L3.1", "PLT.NET.L3.2", *blocking, *scanning),
        )
    return outcome(
        "effective",
        "NeuVector's enforcer runs on every node but no rule is in Protect mode: attacks are only reported.",
        "NeuVector 执行器在每个节点运行,但本组对象中没有处于保护模式的规则,攻击只会被告警而不会被阻断。",
        ev,
        effective=(HOST_IDS, BEHAVIOUR, "PLT.RUN.L3.1", "PLT.NET.L3.2", *scanning),
        partial=blocking,
    )


WAZUH = Signature(
    images=("wazuh/wazuh-agent", "wazuh/wazuh-manager", "wazuh/wazuh-indexer", "wazuh/wazuh-dashboard",
            "wazuh/wazuh", "atomicorp/ossec-docker", "xetusoss/ossec-server"),
    labels=("wazuh", "wazuh-agent", "wazuh-manager", "ossec", "ossec-agent"),
)


@detector(
    id="wazuh",
    name="Wazuh / OSSEC",
    category="host-intrusion-detection",
    supports=(
        (HOST_IDS, "Wazuh/OSSEC agents are host intrusion detection systems (file integrity, rootkits, logs)."),
        ("INF.CMP.L2.4", "Wazuh's security configuration assessment checks hosts against CIS baselines."),
        ("OPS.MGT.L2.2", "Agents collect host and platform logs to the manager for security analysis."),
    ),
    how="Images wazuh/wazuh-agent, wazuh-manager (and OSSEC images); labels wazuh, ossec.",
    conditions="An agent DaemonSet runs on every node; a manager alone, with no agents, is partial.",
)
def wazuh(ix: Index) -> Outcome | None:
    """Wazuh/OSSEC: the agent must run on every node."""
    found = ix.presence(WAZUH)
    if not found:
        return None
    agents = [w for w in ix.workloads_with_images(("wazuh/wazuh-agent",)) if node_wide(w)]
    agents += [o for o in ix.labelled(("wazuh-agent", "ossec-agent")) if node_wide(o)]
    if agents:
        return outcome(
            "effective",
            "A Wazuh/OSSEC agent runs as a DaemonSet on every node.",
            "Wazuh/OSSEC 代理以 DaemonSet 在每个节点运行。",
            found,
        )
    return outcome(
        "partial",
        "Wazuh/OSSEC is present but no agent DaemonSet was found, so nodes may not be monitored.",
        "发现 Wazuh/OSSEC,但没有以 DaemonSet 部署的代理,节点可能未被监测。",
        found,
    )


CLAMAV = Signature(
    images=("clamav/clamav", "clamav/clamav-debian", "mkodockx/docker-clamav", "bitnami/clamav",
            "mailu/clamav", "tiredofit/clamav"),
    labels=("clamav",),
)


@detector(
    id="clamav",
    name="ClamAV",
    category="malware-scanning",
    supports=(("PLT.RUN.L3.1", "ClamAV scans files for malware signatures (kept current by freshclam)."),),
    how="Images clamav/clamav(-debian) and common ClamAV images; app label clamav.",
    conditions="Runs as a DaemonSet that scans node file systems; a clamd service alone only scans what apps send.",
)
def clamav(ix: Index) -> Outcome | None:
    """ClamAV: full credit when it scans nodes (DaemonSet)."""
    found = ix.presence(CLAMAV)
    if not found:
        return None
    nodes = [w for w in ix.workloads_with_images(CLAMAV.images) if node_wide(w)]
    if nodes:
        return outcome(
            "effective",
            "ClamAV runs as a DaemonSet and can scan files on every node.",
            "ClamAV 以 DaemonSet 运行,可扫描每个节点上的文件。",
            found,
        )
    return outcome(
        "partial",
        "ClamAV runs as a service that scans only what applications submit; no node-wide scanning was found.",
        "ClamAV 以服务形式运行,只扫描应用提交的文件,未发现覆盖节点的扫描。",
        found,
    )
