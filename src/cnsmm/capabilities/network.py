"""Container networking security: Kubernetes NetworkPolicy, Cilium, Hubble and Calico."""

from __future__ import annotations

from cnsmm.capabilities.index import Index, Signature, evidence
from cnsmm.capabilities.model import MAX_EVIDENCE, CapabilityEvidence, Outcome
from cnsmm.capabilities.registry import collect, detector, outcome
from cnsmm.capabilities.values import data_value, items, mapping, short, truthy
from cnsmm.kube import LabelIndex, Selector, network_policy_selector, policy_types
from cnsmm.sources.k8s import K8sObject

L4 = "PLT.NET.L2.2"
EGRESS = "PLT.NET.L2.1"
L7 = "PLT.NET.L3.1"
ENCRYPT = "PLT.NET.L4.1"
CENTRAL = "OPS.MGT.L3.4"


def _types(np: K8sObject) -> set[str]:
    return set(policy_types(np.get("spec")))


def _isolates(np: K8sObject, direction: str) -> bool:
    return direction in _types(np)


def _denies_all(np: K8sObject, direction: str) -> bool:
    spec = mapping(np.get("spec"))
    empty = network_policy_selector(spec).everything
    return empty and _isolates(np, direction) and not items(spec.get(direction.lower()))


@detector(
    id="network-policy",
    name="Kubernetes NetworkPolicy",
    category="network-policy",
    supports=(
        (L4, "NetworkPolicies restrict pod traffic by namespace, pod and port (layer 4)."),
        (EGRESS, "Egress policies limit which destinations containers may reach."),
    ),
    how="NetworkPolicy objects (networking.k8s.io); default deny is an empty podSelector with no rules.",
    conditions="Every workload in the set is isolated for ingress (a default-deny or a selecting policy); "
    "egress counts when every workload is isolated for egress too.",
)
def network_policy(ix: Index) -> Outcome | None:
    """Plain NetworkPolicy: coverage of the workloads by isolating policies."""
    policies = ix.kind("NetworkPolicy", "networking.k8s.io", "extensions")
    if not policies:
        return None
    ev = [evidence(p, ("spec", "podSelector"), f"default deny {'/'.join(sorted(_types(p)))}")
          for p in policies if _denies_all(p, "Ingress") or _denies_all(p, "Egress")]
    ev += [evidence(p, ("spec",), "NetworkPolicy") for p in policies[:MAX_EVIDENCE]]

    shapes: dict[str | None, dict[str, tuple[set[str], Selector]]] = {}
    for ns, group in ix.by_namespace(policies).items():
        for p in group:  # identical policies (repeated bundles) are checked once
            types, selector = _types(p), p.get("spec", "podSelector")
            shapes.setdefault(ns, {})[repr((sorted(types), selector))] = (types, network_policy_selector(p.get("spec")))
    pods = [(obj, ix.namespace(obj), mapping(pod.template_labels)) for obj, pod in ix.workloads()]
    by_ns: dict[str | None, list[int]] = {}
    for i, (_obj, ns, _labels) in enumerate(pods):
        by_ns.setdefault(ns, []).append(i)
    labelled = {ns: LabelIndex(((pods[i][0], pods[i][2]) for i in positions), template=lambda o: o.kind != "Pod")
                for ns, positions in by_ns.items()}

    def covered(direction: str) -> tuple[int, list[K8sObject]]:
        selected: set[int] = set()
        for ns, positions in by_ns.items():
            chosen = [selector for types, selector in shapes.get(ns, {}).values() if direction in types]
            selected.update(positions[j] for j in labelled[ns].covered(chosen))
        return len(pods), [obj for i, (obj, _ns, _labels) in enumerate(pods) if i not in selected]

    total, open_in = covered("Ingress")
    _, open_out = covered("Egress")
    egress_any = any(_isolates(p, "Egress") for p in policies)
    egress_all = egress_any and not open_out
    default_deny = any(_denies_all(p, "Ingress") for p in policies)
    status_ok = default_deny if total == 0 else not open_in
    eff = ((L4,) if status_ok else ()) + ((EGRESS,) if egress_all else ())
    part = (() if status_ok else (L4,)) + ((EGRESS,) if egress_any and not egress_all else ())
    if status_ok:
        scope = f"all {total} workload(s) are isolated" if total else "a default-deny policy isolates pods"
        return outcome(
            "effective",
            f"{len(policies)} NetworkPolicy(ies) found and {scope} for ingress"
            + ("; egress is restricted too." if egress_all else "; egress is not restricted for every workload."),
            f"发现 {len(policies)} 个 NetworkPolicy,入站流量已全部隔离"
            + (",出站流量也受限。" if egress_all else ",但并非所有工作负载的出站流量都受限。"),
            ev, effective=eff, partial=part,
        )
    loose = ", ".join(short(o.resource) for o in open_in[:5])
    return outcome(
        "partial",
        f"NetworkPolicies exist but {len(open_in)} of {total} workload(s) are not isolated for ingress "
        f"(no default deny selects them), e.g. {loose}." if total else
        "NetworkPolicies exist but none denies all ingress by default.",
        f"存在 NetworkPolicy,但 {len(open_in)}/{total} 个工作负载的入站流量未被隔离(没有默认拒绝策略)。" if total else
        "存在 NetworkPolicy,但没有默认拒绝全部入站流量的策略。",
        ev + [evidence(o, ("metadata", "name"), "workload not isolated by any NetworkPolicy") for o in open_in[:5]],
        effective=eff, partial=part,
    )


CILIUM = Signature(
    images=("cilium/cilium", "cilium/operator", "cilium/operator-generic", "cilium/operator-aws",
            "cilium/operator-azure", "cilium/cilium-envoy"),
    labels=("cilium", "cilium-agent", "cilium-operator"),
)
CILIUM_POLICIES = ("CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy")


def _cilium_config(ix: Index, key: str) -> list[CapabilityEvidence]:
    hits = []
    for cm in ix.kind("ConfigMap", ""):
        if cm.name == "cilium-config" and truthy(data_value(cm, key)):
            hits.append(evidence(cm, ("data", key), f"cilium-config {key}: true"))
    return hits


@detector(
    id="cilium",
    name="Cilium",
    category="network-policy",
    supports=(
        (L4, "CiliumNetworkPolicies enforce identity-aware layer 3/4 rules with eBPF."),
        (EGRESS, "Egress rules (including toFQDNs) restrict where containers connect."),
        (L7, "HTTP/Kafka/DNS rules in toPorts enforce layer-7 traffic restrictions."),
        (ENCRYPT, "Transparent WireGuard or IPsec encryption protects pod-to-pod traffic."),
        (CENTRAL, "CiliumClusterwideNetworkPolicies manage network policy centrally for the cluster."),
    ),
    how="Images quay.io/cilium/cilium and operator, k8s-app label cilium, Cilium CRDs, CiliumNetworkPolicy objects.",
    conditions="Policies present (layer 7 with http/kafka/dns rules, egress with egress rules, central with "
    "clusterwide policies); encryption needs enable-wireguard or enable-ipsec in cilium-config.",
)
def cilium(ix: Index) -> Outcome | None:
    """Cilium CNI and its policies."""
    policies = ix.kinds(CILIUM_POLICIES, "cilium.io")
    crds = [c for c in ix.crds("cilium.io") if c.name.startswith("cilium")]
    found = ix.presence(CILIUM) + [evidence(c, ("spec", "names"), "Cilium CRD") for c in crds]
    if not found and not policies:
        return None
    crypto = _cilium_config(ix, "enable-wireguard") + _cilium_config(ix, "enable-ipsec")
    ev = [evidence(p, ("spec",), p.kind) for p in policies[:MAX_EVIDENCE]] + crypto + found
    l7 = any(
        isinstance(r, dict) and any(k in r for k in ("http", "kafka", "dns", "l7"))
        for p in policies for r in collect(p.doc, "rules")
    )
    egress = any(collect(p.doc, "egress") or collect(p.doc, "egressDeny") for p in policies)
    central = any(p.kind == "CiliumClusterwideNetworkPolicy" for p in policies)
    eff = [ENCRYPT] if crypto else []
    if not policies:
        return outcome(
            "partial",
            "Cilium is installed but no CiliumNetworkPolicy was found, so traffic is not restricted by it.",
            "已安装 Cilium,但未发现 CiliumNetworkPolicy,流量未受其限制。",
            ev, effective=eff, partial=[L4],
        )
    eff += [L4] + [r for r, ok in ((EGRESS, egress), (L7, l7), (CENTRAL, central)) if ok]
    return outcome(
        "effective",
        f"Cilium enforces {len(policies)} Cilium policy(ies)"
        + (" including layer-7 rules" if l7 else "") + (" with transparent encryption." if crypto else "."),
        f"Cilium 执行 {len(policies)} 个 Cilium 网络策略" + (",含七层规则" if l7 else "")
        + (",并启用了透明加密。" if crypto else "。"),
        ev, effective=eff, partial=(),
    )


HUBBLE = Signature(
    images=("cilium/hubble-relay", "cilium/hubble-ui", "cilium/hubble-ui-backend"),
    labels=("hubble-relay", "hubble-ui"),
)
VISUAL = ("PLT.NET.L3.2", "OPS.MGT.L4.1", "OPS.MGT.L4.2")


@detector(
    id="hubble",
    name="Hubble",
    category="network-observability",
    supports=(
        ("PLT.NET.L3.2", "Hubble UI draws the container network topology and live traffic."),
        ("PLT.NET.L4.2", "Hubble records every flow with its verdict: a traffic audit trail."),
        ("OPS.MGT.L4.1", "The service map visualises the network topology."),
        ("OPS.MGT.L4.2", "The service map shows which services talk to which."),
    ),
    how="Images quay.io/cilium/hubble-relay and hubble-ui, their labels, enable-hubble in cilium-config.",
    conditions="Hubble UI deployed; with only the relay or enable-hubble, flows are audited but not visualised.",
)
def hubble(ix: Index) -> Outcome | None:
    """Hubble: flows from the relay or config flag, visualisation from the UI."""
    found = ix.presence(HUBBLE) + _cilium_config(ix, "enable-hubble")
    if not found:
        return None
    if ix.image_uses(("cilium/hubble-ui",)) or ix.labelled(("hubble-ui",)):
        return outcome(
            "effective",
            "Hubble is enabled and its UI visualises the network topology and flows.",
            "已启用 Hubble,其 UI 可视化网络拓扑与流量。",
            found,
        )
    return outcome(
        "partial",
        "Hubble records flows, but no Hubble UI was found to visualise the topology.",
        "Hubble 已记录网络流,但未发现用于可视化拓扑的 Hubble UI。",
        found, effective=("PLT.NET.L4.2",), partial=VISUAL,
    )


CALICO = Signature(
    images=("calico/node", "calico/kube-controllers", "calico/cni", "calico/typha", "calico/apiserver",
            "tigera/operator", "calico/node-windows"),
    labels=("calico-node", "calico-kube-controllers", "calico-typha", "tigera-operator", "calico"),
    crd_groups=("crd.projectcalico.org", "operator.tigera.io"),
)
CALICO_GROUPS = ("crd.projectcalico.org", "projectcalico.org")


@detector(
    id="calico",
    name="Calico",
    category="network-policy",
    supports=(
        (L4, "Calico policies enforce layer 3/4 rules with ordered allow/deny actions."),
        (EGRESS, "Calico egress rules restrict the destinations of containers."),
        (CENTRAL, "GlobalNetworkPolicies apply cluster-wide network policy from one place."),
        (ENCRYPT, "Calico's WireGuard mode encrypts traffic between nodes."),
    ),
    how="Images calico/node, kube-controllers, typha, tigera/operator; labels; projectcalico.org CRDs and policies.",
    conditions="Calico NetworkPolicy/GlobalNetworkPolicy present (staged policies do not enforce); "
    "encryption needs FelixConfiguration wireguardEnabled.",
)
def calico(ix: Index) -> Outcome | None:
    """Calico CNI and its own policy resources."""
    policies = ix.kinds(("NetworkPolicy", "GlobalNetworkPolicy"), *CALICO_GROUPS)
    found = ix.presence(CALICO)
    if not found and not policies:
        return None
    wg = [evidence(f, ("spec", "wireguardEnabled"), "WireGuard enabled")
          for f in ix.kind("FelixConfiguration", *CALICO_GROUPS) if truthy(f.get("spec", "wireguardEnabled"))]
    ev = [evidence(p, ("spec",), p.kind) for p in policies[:MAX_EVIDENCE]] + wg + found
    eff = [ENCRYPT] if wg else []
    if not policies:
        return outcome(
            "partial",
            "Calico is installed but no Calico policy was found (plain NetworkPolicies are reported on their own).",
            "已安装 Calico,但未发现 Calico 策略(Kubernetes NetworkPolicy 单独评估)。",
            ev, effective=eff, partial=[L4],
        )
    egress = any(collect(p.get("spec"), "egress") for p in policies)
    central = any(p.kind == "GlobalNetworkPolicy" for p in policies)
    eff += [L4] + [r for r, ok in ((EGRESS, egress), (CENTRAL, central)) if ok]
    return outcome(
        "effective",
        f"Calico enforces {len(policies)} Calico policy(ies)" + (" including global policies." if central else "."),
        f"Calico 执行 {len(policies)} 个 Calico 策略" + (",包括全局策略。" if central else "。"),
        ev, effective=eff, partial=(),
    )
