"""Selectors that select nothing: NetworkPolicies and Services whose pods are not in the set.

A selector is judged only when the set shows the namespace's pods: it holds at least one
workload in that namespace and no custom resource there (an operator's custom resource
creates pods the manifests do not show). Otherwise the pods may simply live elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterator

from cnsmm.findings import Severity
from cnsmm.kube import service_selector
from cnsmm.rules.base import Hit, RuleContext, RuleMeta, Scope, rule
from cnsmm.rules.k8s._common import NSA
from cnsmm.rules.k8s._selectors import (
    index,
    namespace_text,
    pods_known,
    selected_in,
)
from cnsmm.rules.k8s.network import NETPOL_REQUIREMENTS, NSA_NETPOL, network_policies, pod_selector
from cnsmm.sources.k8s import ObjectSet


class _Known:
    """Caches :func:`pods_known` per namespace for one set."""

    def __init__(self, objs: ObjectSet) -> None:
        self.objs = objs
        self.cache: dict[str | None, bool] = {}

    def __call__(self, ns: str | None) -> bool:
        if ns not in self.cache:
            self.cache[ns] = pods_known(self.objs, ns)
        return self.cache[ns]


@rule(RuleMeta(
    id="K8S-073",
    name="networkpolicy-selects-nothing",
    title="NetworkPolicy selects no workload",
    severity=Severity.LOW,
    scope=Scope.SET,
    targets=("NetworkPolicy",),
    requirements=NETPOL_REQUIREMENTS,
    what=(
        "Flags NetworkPolicies whose non-empty `podSelector` matches the pod template labels of no "
        "workload of its namespace in the set (judged only when the set shows that namespace's pods)."
    ),
    why=(
        "A policy that selects nothing protects nothing; it usually means a label was renamed and "
        "the workload it was written for now runs unrestricted while reviewers believe otherwise."
    ),
    fix="Fix the podSelector to match the labels of the pods it is meant to protect, or delete the policy.",
    bad="kind: NetworkPolicy\nspec:\n  podSelector: {matchLabels: {app: api-v1}}\n# pods are labelled app: api",
    good="kind: NetworkPolicy\nspec:\n  podSelector: {matchLabels: {app: api}}",
    references=("CIS Kubernetes 5.3.2", NSA_NETPOL, "CWE-710"),
))
def networkpolicy_selects_nothing(objs: ObjectSet, ctx: RuleContext) -> Iterator[Hit]:
    known = _Known(objs)
    for policy in network_policies(objs):
        selector = pod_selector(policy)
        ns = policy.namespace
        if selector.everything or not known(ns):
            continue
        if next(selected_in(objs, ns, selector), None) is None:
            yield Hit(
                f'NetworkPolicy "{policy.name}" selects no workload of {namespace_text(ns)} in these manifests',
                ("spec", "podSelector"),
                obj=policy,
            )


@rule(RuleMeta(
    id="K8S-074",
    name="service-selects-nothing",
    title="Service selector matches no workload",
    severity=Severity.LOW,
    scope=Scope.SET,
    targets=("Service",),
    requirements=("APP.MSV.L1.1",),
    what=(
        "Flags Services with a `selector` that matches the pod template labels of no workload of "
        "their namespace in the set (judged only when the set shows that namespace's pods; "
        "Services without a selector and ExternalName Services are skipped)."
    ),
    why=(
        "A Service with no endpoints fails every request; a selector that matches a workload once "
        "its labels are fixed may also route traffic to pods nobody intended (a typo-squatting "
        "label in another deployment)."
    ),
    fix="Make the selector match the labels of the intended pod template.",
    bad="kind: Service\nspec:\n  selector: {app: catalogue}\n# the Deployment's pods are labelled app: catalog",
    good="kind: Service\nspec:\n  selector: {app: catalog}",
    references=(f"{NSA}: Network separation and hardening", "CWE-710"),
))
def service_selects_nothing(objs: ObjectSet, ctx: RuleContext) -> Iterator[Hit]:
    known = _Known(objs)
    for svc in index(objs).of_kind("Service"):
        selector = svc.get("spec", "selector")
        if svc.group != "" or not isinstance(selector, dict) or not selector:
            continue
        if svc.get("spec", "type") == "ExternalName" or not known(svc.namespace):
            continue
        parsed = service_selector(svc.get("spec"))
        if next(selected_in(objs, svc.namespace, parsed), None) is None:
            shown = ", ".join(f"{k}={v}" for k, v in selector.items())
            yield Hit(
                f'Service "{svc.name}" selects {shown}, which no workload of {namespace_text(svc.namespace)} carries',
                ("spec", "selector"),
                obj=svc,
            )
