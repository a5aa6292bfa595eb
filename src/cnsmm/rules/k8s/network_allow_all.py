"""NetworkPolicy rules that allow all traffic: an empty rule (``- {}``), or a peer that is the
whole address space (``ipBlock: 0.0.0.0/0`` or ``::/0`` without exceptions), on every port."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cnsmm.findings import Severity
from cnsmm.rules.base import Hit, RuleContext, RuleMeta, Scope, rule
from cnsmm.rules.k8s.network import NETPOL_REQUIREMENTS, NSA_NETPOL
from cnsmm.sources.k8s import K8sObject

NETPOL_DOC = "https://kubernetes.io/docs/concepts/services-networking/network-policies/"
EVERYWHERE = frozenset({"0.0.0.0/0", "::/0"})


def _allows_all(item: Any, peers_key: str) -> str | None:
    """Why a policy rule lets every peer in on every port, or None."""
    if not isinstance(item, dict) or item.get("ports"):
        return None
    peers = item.get(peers_key)
    if not peers:
        return "an empty rule matches every source, destination and port"
    for peer in peers if isinstance(peers, list) else []:
        block = peer.get("ipBlock") if isinstance(peer, dict) else None
        if isinstance(block, dict) and str(block.get("cidr") or "").strip() in EVERYWHERE and not block.get("except"):
            return f"ipBlock {block['cidr']} is every address, on every port"
    return None


def _hits(obj: K8sObject, direction: str, peers_key: str) -> Iterator[Hit]:
    if obj.group != "networking.k8s.io":
        return
    items = obj.get("spec", direction)
    for i, item in enumerate(items if isinstance(items, list) else []):
        reason = _allows_all(item, peers_key)
        if reason is not None:
            yield Hit(f'NetworkPolicy "{obj.name}" allows all {direction} traffic: {reason}', ("spec", direction, i))


@rule(RuleMeta(
    id="K8S-165", name="networkpolicy-allows-all-ingress", title="NetworkPolicy allows all ingress traffic",
    severity=Severity.MEDIUM, scope=Scope.OBJECT, targets=("NetworkPolicy",), requirements=NETPOL_REQUIREMENTS,
    what="Flags NetworkPolicy ingress rules without `ports` that have no `from` (`- {}`) or whose `from` includes "
         "`ipBlock` 0.0.0.0/0 or ::/0 without `except`.",
    why="Policies are additive: one allow-all rule undoes the namespace's default deny for the pods it selects, "
        "letting every pod of the cluster (and, through an open load balancer, the internet) reach every port.",
    fix="List the sources (podSelector, namespaceSelector, narrow ipBlocks) and ports the pods need.",
    bad="ingress:\n- {}",
    good="ingress:\n- from:\n  - podSelector: {matchLabels: {app: web}}\n  ports:\n  - port: 8080",
    references=(NETPOL_DOC, NSA_NETPOL, "CWE-284"),
))
def allows_all_ingress(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    yield from _hits(obj, "ingress", "from")


@rule(RuleMeta(
    id="K8S-166", name="networkpolicy-allows-all-egress", title="NetworkPolicy allows all egress traffic",
    severity=Severity.MEDIUM, scope=Scope.OBJECT, targets=("NetworkPolicy",),
    requirements=("PLT.NET.L2.1", *NETPOL_REQUIREMENTS),
    what="Flags NetworkPolicy egress rules without `ports` that have no `to` (`- {}`) or whose `to` includes "
         "`ipBlock` 0.0.0.0/0 or ::/0 without `except`.",
    why="Unrestricted egress lets a compromised pod reach the cloud metadata service, the API server and any "
        "host on the internet to download tools and exfiltrate data; it undoes a default-deny egress policy.",
    fix="Allow DNS and the destinations the pods need by selector or narrow CIDR, with ports; keep "
        "169.254.169.254 excluded.",
    bad="egress:\n- {}",
    good="egress:\n- to:\n  - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}\n"
         "  ports:\n  - {port: 53, protocol: UDP}",
    references=(NETPOL_DOC, NSA_NETPOL, "CWE-284"),
))
def allows_all_egress(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    yield from _hits(obj, "egress", "to")
