"""Namespaces and workloads of one object set, as the cross-object (set) rules need them.

Label selectors, owner references and namespace defaulting follow the Kubernetes API as
:mod:`cnsmm.kube` defines them (the capability detectors use the same module).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from cnsmm.kube import Controllers, LabelIndex, Selector
from cnsmm.rules.base import RuleContext
from cnsmm.sources.k8s import K8sObject, ObjectSet, PodSpec

DEFAULT_SYSTEM_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease")
"""Namespaces the namespace-level rules skip unless ``system_namespaces`` says otherwise."""

SYSTEM_NAMESPACES_OPTION = (
    "Namespaces skipped by the namespace-level and coverage rules "
    f"(default: {', '.join(DEFAULT_SYSTEM_NAMESPACES)})."
)

SCALABLE_KINDS = frozenset({
    "Deployment", "StatefulSet", "ReplicaSet", "ReplicationController", "Rollout", "CloneSet",
    "DeploymentConfig",
})
"""Kinds whose pod count is ``spec.replicas``."""

BATCH_KINDS = frozenset({"Job", "CronJob", "ScaledJob"})
"""Kinds whose pods run to completion."""


@dataclass
class SetIndex:
    """Objects of one set by kind and namespace, built once and shared by the set rules."""

    kinds: dict[str, list[K8sObject]] = field(default_factory=dict)
    pods: list[tuple[K8sObject, PodSpec]] = field(default_factory=list)
    labels: dict[str | None, list[tuple[K8sObject, dict[str, Any]]]] = field(default_factory=dict)
    controllers: Controllers = field(default_factory=lambda: Controllers(()))
    """The pod-bearing objects, to find the Pods and ReplicaSets checked through their controller."""
    _label_indexes: dict[str | None, LabelIndex[K8sObject]] = field(default_factory=dict)
    memo: dict[str, Any] = field(default_factory=dict)
    """Indexes that one family of set rules builds once per set (RBAC bindings by subject...)."""
    _named: dict[tuple[str, str | None], tuple[set[str], set[str]]] | None = None

    def names_in(self, kind: str, ns: str | None) -> tuple[set[str], set[str]]:
        """Names of the objects of ``kind`` in namespace ``ns``, and the files they are in."""
        if self._named is None:
            self._named = {}
            for k, objs in self.kinds.items():
                for o in objs:
                    names, files = self._named.setdefault((k, o.namespace), (set(), set()))
                    names.add(o.name)
                    files.add(o.file)
        return self._named.get((kind, ns), (set(), set()))

    def label_index(self, ns: str | None) -> LabelIndex[K8sObject]:
        """The pod-bearing objects of namespace ``ns`` by their pod template labels."""
        found = self._label_indexes.get(ns)
        if found is None:
            found = self._label_indexes[ns] = LabelIndex(self.labels.get(ns, []), template=_is_template)
        return found

    def of_kind(self, *kinds: str) -> list[K8sObject]:
        """Objects of the given kinds, in input order within each kind."""
        if len(kinds) == 1:
            return self.kinds.get(kinds[0], [])
        return [o for k in kinds for o in self.kinds.get(k, [])]


def _is_template(obj: K8sObject) -> bool:
    """Whether the labels of ``obj`` the set rules match are a pod template's (not a Pod's own)."""
    return obj.kind != "Pod"


def covered_workloads(items: list[Workload], selectors: Iterable[Selector]) -> set[int]:
    """Positions in ``items`` of the workloads that at least one of ``selectors`` selects (through
    :meth:`LabelIndex.covered`: bounded however the selectors are written)."""
    return LabelIndex(((obj, pod.template_labels) for obj, pod in items), template=_is_template).covered(selectors)


_CACHE: list[tuple[ObjectSet, int, SetIndex]] = []


def index(objs: ObjectSet) -> SetIndex:
    """The :class:`SetIndex` of ``objs`` (cached for the set being checked)."""
    if _CACHE and _CACHE[0][0] is objs and _CACHE[0][1] == len(objs.objects):
        return _CACHE[0][2]
    idx = SetIndex()
    for obj in objs.objects:
        idx.kinds.setdefault(obj.kind, []).append(obj)
        pod = obj.pod_spec()
        if pod is not None:
            idx.pods.append((obj, pod))
            idx.labels.setdefault(obj.namespace, []).append((obj, pod.template_labels))
    idx.controllers = Controllers(obj for obj, _ in idx.pods)
    _CACHE[:] = [(objs, len(objs.objects), idx)]
    return idx


def selects_workload(selector: Selector, obj: K8sObject, labels: Mapping[Any, Any]) -> bool:
    """Whether ``selector`` selects the pods of ``obj`` (``labels`` are its pod template's, or a
    Pod's own)."""
    return selector.matches(labels, template=obj.kind != "Pod")


def namespace_text(ns: str | None, *, start: bool = False) -> str:
    """``namespace "shop"``, or the phrase for objects without a namespace (capitalised with ``start``)."""
    if ns is None:
        text = "the namespace the manifests are applied to (no metadata.namespace is set)"
    else:
        text = f'namespace "{ns}"'
    return text[0].upper() + text[1:] if start else text


def system_namespaces(ctx: RuleContext) -> frozenset[str]:
    """The ``system_namespaces`` option as a set."""
    value = ctx.option("system_namespaces", DEFAULT_SYSTEM_NAMESPACES)
    if isinstance(value, str):
        value = [value]
    return frozenset(str(v) for v in value) if isinstance(value, (list, tuple)) else frozenset()


def workloads(objs: ObjectSet, ctx: RuleContext | None = None) -> list[tuple[K8sObject, PodSpec]]:
    """Objects that run pods (PodTemplate excluded), minus those whose owning controller is in
    the set (a dump's ReplicaSets and Pods are reported through their Deployment), minus system
    namespaces when ``ctx`` is given."""
    idx = index(objs)
    skip = system_namespaces(ctx) if ctx is not None else frozenset()
    out = []
    for obj, pod in idx.pods:
        if obj.kind == "PodTemplate" or idx.controllers.controlled(obj):
            continue
        if obj.namespace in skip:
            continue
        out.append((obj, pod))
    return out


Workload = tuple[K8sObject, PodSpec]


def by_namespace(items: Iterable[Workload]) -> dict[str | None, list[Workload]]:
    """Workloads grouped by namespace key, in input order."""
    groups: dict[str | None, list[Workload]] = {}
    for obj, pod in items:
        groups.setdefault(obj.namespace, []).append((obj, pod))
    return groups


def namespace_object(objs: ObjectSet, ns: str | None) -> K8sObject | None:
    """The Namespace object named ``ns`` in the set, if any."""
    if ns is None:
        return None
    for obj in index(objs).of_kind("Namespace"):
        if obj.name == ns:
            return obj
    return None


def declared_replicas(obj: K8sObject) -> int | None:
    """``spec.replicas`` (missing means 1), or None when it is not a number (a template)."""
    value = obj.get("spec", "replicas")
    if value is None:
        return 1
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def autoscaler_minimum(obj: K8sObject, objs: ObjectSet) -> tuple[K8sObject, int] | None:
    """The HorizontalPodAutoscaler or KEDA ScaledObject scaling ``obj`` and its minimum replicas
    (the first in the set, found through an index of the scalers by target)."""
    memo = index(objs).memo
    targets: dict[tuple[str | None, str, str], K8sObject] | None = memo.get("scalers-by-target")
    if targets is None:
        targets = memo["scalers-by-target"] = {}
        for scaler in index(objs).of_kind("HorizontalPodAutoscaler", "ScaledObject"):
            target = scaler.get("spec", "scaleTargetRef")
            if isinstance(target, dict):
                key = (scaler.namespace, str(target.get("kind") or "Deployment"), str(target.get("name") or ""))
                targets.setdefault(key, scaler)
    found = targets.get((obj.namespace, obj.kind, obj.name))
    for scaler in () if found is None else (found,):
        if scaler.kind == "HorizontalPodAutoscaler":
            minimum = scaler.get("spec", "minReplicas")
            default = 1
        else:
            minimum = scaler.get("spec", "minReplicaCount")
            default = 0
        value = minimum if isinstance(minimum, int) and not isinstance(minimum, bool) else default
        return scaler, value
    return None


def minimum_replicas(obj: K8sObject, objs: ObjectSet) -> int | None:
    """Fewest pods the workload runs: the autoscaler's minimum when one targets it, else
    ``spec.replicas``; None for kinds without replicas or unreadable values."""
    if obj.kind not in SCALABLE_KINDS:
        return None
    scaled = autoscaler_minimum(obj, objs)
    if scaled is not None:
        return scaled[1]
    return declared_replicas(obj)


BUILTIN_GROUPS = frozenset({
    "", "apps", "batch", "policy", "autoscaling", "extensions", "networking.k8s.io", "rbac.authorization.k8s.io",
    "storage.k8s.io", "apiextensions.k8s.io", "admissionregistration.k8s.io", "scheduling.k8s.io",
    "coordination.k8s.io", "discovery.k8s.io", "node.k8s.io", "certificates.k8s.io", "apiregistration.k8s.io",
    "flowcontrol.apiserver.k8s.io", "events.k8s.io", "resource.k8s.io", "gateway.networking.k8s.io",
})
"""API groups whose kinds never create pods behind the scenes except the known workloads."""


def pods_known(objs: ObjectSet, ns: str | None) -> bool:
    """Whether the set shows every pod template of namespace ``ns``: it has at least one
    workload there and no custom resource (an operator's custom resource, such as a Prometheus,
    creates pods the manifests do not show). Judged for every namespace in one pass per set."""
    memo = index(objs).memo
    known: dict[str | None, bool] | None = memo.get("pods-known")
    if known is None:
        custom: set[str | None] = set()
        workload: set[str | None] = set()
        for obj in objs.objects:
            if obj.cluster_scoped:
                continue
            pod = obj.pod_spec()
            if obj.group not in BUILTIN_GROUPS and pod is None:
                custom.add(obj.namespace)
            if pod is not None and obj.kind != "PodTemplate":
                workload.add(obj.namespace)
        known = memo["pods-known"] = {n: n not in custom for n in workload}
    return known.get(ns, False)


def workload_ids(objs: ObjectSet) -> set[int]:
    """``id`` of every object :func:`workloads` gives without a context (built once per set)."""
    memo = index(objs).memo
    found: set[int] | None = memo.get("workload-ids")
    if found is None:
        found = memo["workload-ids"] = {id(obj) for obj, _pod in workloads(objs)}
    return found


def template_labels_in(objs: ObjectSet, ns: str | None) -> list[tuple[K8sObject, dict[str, Any]]]:
    """Pod template labels of every pod-bearing object of namespace ``ns``."""
    return index(objs).labels.get(ns, [])


def selected_in(objs: ObjectSet, ns: str | None, selector: Selector) -> Iterator[tuple[K8sObject, Any]]:
    """Pod-bearing objects of namespace ``ns`` that ``selector`` selects, with their template
    labels, in input order (found through a label index, see :class:`LabelIndex`)."""
    yield from index(objs).label_index(ns).candidates(selector)
