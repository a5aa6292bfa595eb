"""NetworkPolicy coverage: workloads no policy selects, namespaces without default deny.

Semantics (networking.k8s.io/v1): a policy applies to the pods of its own namespace that its
``podSelector`` selects (``{}`` selects all); ``policyTypes`` defaults to ``[Ingress]`` plus
``Egress`` when the policy has an ``egress`` section. A pod selected by a policy of a type is
isolated for that direction; traffic is then allowed only by some policy's rules. A rule with
neither peers (``from``/``to``) nor ``ports`` allows everything.

Namespaces that hold Calico or Cilium policies, and sets holding cluster-wide policies
(Calico GlobalNetworkPolicy, CiliumClusterwideNetworkPolicy, AdminNetworkPolicy), are not
judged: their effect is not modelled here. System namespaces are skipped (option
``system_namespaces``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cnsmm.findings import Severity
from cnsmm.kube import Selector, network_policy_selector
from cnsmm.kube import policy_types as _policy_types
from cnsmm.rules.base import Hit, RuleContext, RuleMeta, Scope, rule
from cnsmm.rules.k8s._common import NSA, WORKLOADS
from cnsmm.rules.k8s._selectors import (
    SYSTEM_NAMESPACES_OPTION,
    by_namespace,
    covered_workloads,
    index,
    namespace_object,
    namespace_text,
    workloads,
)
from cnsmm.sources.k8s import K8sObject, ObjectSet, PodSpec

NSA_NETPOL = f"{NSA}: Network separation and hardening - Network policies"
NETWORK_GROUP = "networking.k8s.io"
OTHER_NAMESPACED = frozenset({"CiliumNetworkPolicy"})
OTHER_CLUSTER = frozenset({
    "GlobalNetworkPolicy", "CiliumClusterwideNetworkPolicy", "AdminNetworkPolicy", "BaselineAdminNetworkPolicy",
})
NETPOL_REQUIREMENTS = ("PLT.NET.L2.2", "APP.GEN.L3.1", "INF.NET.L2.1")
"""四层网络流量限制; 内部应用间细粒度的访问控制; 多租户网络隔离."""


def network_policies(objs: ObjectSet) -> list[K8sObject]:
    """Kubernetes NetworkPolicies of the set (not Calico's kind of the same name)."""
    return [p for p in index(objs).of_kind("NetworkPolicy") if p.group == NETWORK_GROUP]


def policy_types(policy: K8sObject) -> set[str]:
    """``policyTypes`` with the API's defaulting."""
    return set(_policy_types(policy.get("spec")))


def pod_selector(policy: K8sObject) -> Selector:
    """The policy's ``podSelector`` (missing selects every pod, like ``{}``)."""
    return network_policy_selector(policy.get("spec"))


def unmodelled_namespaces(objs: ObjectSet) -> tuple[bool, set[str | None]]:
    """Whether cluster-wide third-party policies exist, and namespaces holding namespaced ones."""
    cluster = any(o.kind in OTHER_CLUSTER for o in objs.objects)
    namespaces = {
        o.namespace for o in objs.objects
        if o.kind in OTHER_NAMESPACED or (o.kind == "NetworkPolicy" and o.group != NETWORK_GROUP)
    }
    return cluster, namespaces


def _judged(objs: ObjectSet, ctx: RuleContext) -> dict[str | None, list[tuple[K8sObject, PodSpec]]]:
    cluster, skip = unmodelled_namespaces(objs)
    if cluster:
        return {}
    return {ns: items for ns, items in by_namespace(workloads(objs, ctx)).items() if ns not in skip}


def _is_default_deny(policy: K8sObject, direction: str) -> bool:
    if direction not in policy_types(policy) or not pod_selector(policy).everything:
        return False
    rules = policy.get("spec", direction.lower())
    if not isinstance(rules, list):
        return True
    peers = "from" if direction == "Ingress" else "to"
    return all(isinstance(r, dict) and (r.get(peers) or r.get("ports")) for r in rules)


def namespace_anchor(objs: ObjectSet, ns: str | None, first: K8sObject) -> tuple[K8sObject, tuple[Any, ...]]:
    """Where a namespace-level finding points: the Namespace object, else its first workload."""
    ns_obj = namespace_object(objs, ns)
    if ns_obj is not None:
        return ns_obj, ("metadata", "name")
    return first, ("metadata",)


@rule(RuleMeta(
    id="K8S-065",
    name="workload-not-selected-by-networkpolicy",
    title="Workload not selected by any NetworkPolicy",
    severity=Severity.MEDIUM,
    scope=Scope.SET,
    targets=WORKLOADS,
    requirements=NETPOL_REQUIREMENTS,
    what=(
        "Flags each workload whose pod template labels no NetworkPolicy of the same namespace (in "
        "the same set) selects. Objects without `metadata.namespace` are treated as one namespace, "
        "the one they are applied to."
    ),
    why=(
        "Pods that no policy selects accept traffic from every pod in the cluster and can connect "
        "anywhere: one compromised pod can reach them and they can reach everything."
    ),
    fix="Add a default-deny policy for the namespace and policies that allow the traffic the workload needs.",
    bad="kind: Deployment\n... labels: {app: api}\n# and no NetworkPolicy whose podSelector matches app=api",
    good=(
        "kind: NetworkPolicy\nspec:\n  podSelector: {matchLabels: {app: api}}\n  ingress:\n"
        "  - from: [{podSelector: {matchLabels: {app: web}}}]"
    ),
    references=("CIS Kubernetes 5.3.2", NSA_NETPOL, "CWE-923"),
    options={"system_namespaces": SYSTEM_NAMESPACES_OPTION},
))
def workload_not_selected(objs: ObjectSet, ctx: RuleContext) -> Iterator[Hit]:
    by_ns: dict[str | None, list[Selector]] = {}
    for p in network_policies(objs):
        by_ns.setdefault(p.namespace, []).append(pod_selector(p))
    for ns, items in _judged(objs, ctx).items():
        covered = covered_workloads(items, by_ns.get(ns, ()))
        for position, (obj, _pod) in enumerate(items):
            if position not in covered:
                yield Hit(
                    f'{obj.kind} "{obj.name}" in {namespace_text(ns)} is selected by no NetworkPolicy: its pods '
                    "accept and open any connection",
                    ("metadata",),
                    obj=obj,
                )


def _allows_all(policy: K8sObject, direction: str) -> bool:
    """True when one of the policy's rules for ``direction`` has neither peers nor ports."""
    rules = policy.get("spec", direction.lower())
    peers = "from" if direction == "Ingress" else "to"
    return isinstance(rules, list) and any(
        not (isinstance(r, dict) and (r.get(peers) or r.get("ports"))) for r in rules
    )


def _restricted(items: list[tuple[K8sObject, PodSpec]], policies: list[tuple[K8sObject, Selector]],
                direction: str) -> set[int]:
    """Positions in ``items`` of the workloads that policies of ``direction`` select and none of
    the selecting ones allows all (through the label index: bounded however the selectors are
    written)."""
    mine = [(p, s) for p, s in policies if direction in policy_types(p)]
    selected = covered_workloads(items, [s for _p, s in mine])
    opened = covered_workloads(items, [s for p, s in mine if _allows_all(p, direction)])
    return selected - opened


def _default_deny_hits(objs: ObjectSet, ctx: RuleContext, direction: str) -> Iterator[Hit]:
    """One finding per namespace without a default deny. The workloads it leaves open (no policy
    restricts them in ``direction``) are the failing objects; a workload its own policy already
    restricts is not exposed by the missing default, so the gap then counts once, at the anchor."""
    policies = network_policies(objs)
    denied = {p.namespace for p in policies if _is_default_deny(p, direction)}
    by_ns: dict[str | None, list[tuple[K8sObject, Selector]]] = {}
    for p in policies:
        by_ns.setdefault(p.namespace, []).append((p, pod_selector(p)))
    for ns, items in _judged(objs, ctx).items():
        if ns in denied:
            continue
        restricted = _restricted(items, by_ns.get(ns, []), direction)
        open_ = [o for i, (o, _pod) in enumerate(items) if i not in restricted]
        anchor, path = namespace_anchor(objs, ns, (open_ or [items[0][0]])[0])
        names = ", ".join(f"{o.kind}/{o.name}" for o, _ in items[:3]) + (" ..." if len(items) > 3 else "")
        opened = (
            "" if len(open_) == len(items)
            else f"; {len(items) - len(open_)} of its {len(items)} workload(s) are restricted by their own policies"
        )
        yield Hit(
            f"{namespace_text(ns, start=True)} runs workloads ({names}) but has no default-deny {direction.lower()} "
            f"NetworkPolicy (podSelector: {{}}, policyTypes: [{direction}]){opened}",
            path,
            obj=anchor,
            related=tuple(o for o in open_ if o is not anchor),
        )


@rule(RuleMeta(
    id="K8S-066",
    name="namespace-without-default-deny-ingress",
    title="Namespace without a default-deny ingress NetworkPolicy",
    severity=Severity.MEDIUM,
    scope=Scope.SET,
    targets=(*WORKLOADS, "Namespace"),
    requirements=NETPOL_REQUIREMENTS,
    what=(
        "Flags each namespace of the set that runs workloads but holds no NetworkPolicy that selects "
        "all pods (`podSelector: {}`) for Ingress without an allow-all rule. The finding points at the "
        "Namespace object when the set has it, else at the first workload it leaves open. The failing "
        "objects are the workloads no ingress policy of their own restricts (a workload selected only by "
        "allow-all policies is open); the others are not exposed by the missing default."
    ),
    why=(
        "Without a default deny, every new pod accepts connections from the whole cluster until "
        "someone writes a policy for it; allow-lists only work when the default is deny."
    ),
    fix="Add a NetworkPolicy with `podSelector: {}`, `policyTypes: [Ingress]` and no ingress rules to the namespace.",
    bad="# namespace shop: Deployments and Services, no NetworkPolicy",
    good=(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: default-deny-ingress, "
        "namespace: shop}\nspec:\n  podSelector: {}\n  policyTypes: [Ingress]"
    ),
    references=("CIS Kubernetes 5.3.2", NSA_NETPOL, "CWE-923"),
    options={"system_namespaces": SYSTEM_NAMESPACES_OPTION},
))
def namespace_without_default_deny_ingress(objs: ObjectSet, ctx: RuleContext) -> Iterator[Hit]:
    yield from _default_deny_hits(objs, ctx, "Ingress")


@rule(RuleMeta(
    id="K8S-067",
    name="namespace-without-default-deny-egress",
    title="Namespace without a default-deny egress NetworkPolicy",
    severity=Severity.LOW,
    scope=Scope.SET,
    targets=(*WORKLOADS, "Namespace"),
    requirements=("PLT.NET.L2.1", *NETPOL_REQUIREMENTS),
    what=(
        "Flags each namespace of the set that runs workloads but holds no NetworkPolicy that selects "
        "all pods for Egress without an allow-all rule (a rule allowing only DNS ports counts as deny). "
        "The failing objects are the workloads no egress policy of their own restricts."
    ),
    why=(
        "Unrestricted egress lets a compromised pod download tools, reach cloud metadata endpoints "
        "and internal services, and exfiltrate data."
    ),
    fix=(
        "Add a NetworkPolicy with `podSelector: {}`, `policyTypes: [Egress]` and egress rules only "
        "for DNS and the destinations the workloads need."
    ),
    bad="# namespace shop: Deployments, and only ingress NetworkPolicies",
    good=(
        "kind: NetworkPolicy\nspec:\n  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n"
        "  - ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]"
    ),
    references=("CIS Kubernetes 5.3.2", NSA_NETPOL, "CWE-923"),
    options={"system_namespaces": SYSTEM_NAMESPACES_OPTION},
))
def namespace_without_default_deny_egress(objs: ObjectSet, ctx: RuleContext) -> Iterator[Hit]:
    yield from _default_deny_hits(objs, ctx, "Egress")
