"""Label selectors, namespaces and workloads as the cross-object (set) rules need them.

Semantics follow the Kubernetes API:

- a ``LabelSelector`` (NetworkPolicy ``podSelector``, PDB ``selector``) is ``matchLabels`` AND
  every ``matchExpressions`` entry (``In``, ``NotIn``, ``Exists``, ``DoesNotExist``); an empty
  selector ``{}`` selects every pod of the namespace;
- a Service ``selector`` is a plain label map; no selector means "endpoints managed elsewhere";
- an object without ``metadata.namespace`` lands in the namespace it is applied to: all such
  objects of one set are treated as one implicit namespace (the key ``None``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

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


RUNTIME_LABELS = frozenset({
    "pod-template-hash", "controller-revision-hash", "statefulset.kubernetes.io/pod-name",
    "apps.kubernetes.io/pod-index", "batch.kubernetes.io/job-name", "batch.kubernetes.io/controller-uid",
    "job-name", "controller-uid", "pod-template-generation",
})
"""Labels controllers add to pods at run time; a selector on them is judged on its other terms."""


@dataclass
class SetIndex:
    """Objects of one set by kind and namespace, built once and shared by the set rules."""

    kinds: dict[str, list[K8sObject]] = field(default_factory=dict)
    pods: list[tuple[K8sObject, PodSpec]] = field(default_factory=list)
    labels: dict[str | None, list[tuple[K8sObject, dict[str, Any]]]] = field(default_factory=dict)
    keys: set[tuple[str, str | None, str]] = field(default_factory=set)

    def of_kind(self, *kinds: str) -> list[K8sObject]:
        """Objects of the given kinds, in input order within each kind."""
        if len(kinds) == 1:
            return self.kinds.get(kinds[0], [])
        return [o for k in kinds for o in self.kinds.get(k, [])]


_CACHE: list[tuple[ObjectSet, int, SetIndex]] = []


def index(objs: ObjectSet) -> SetIndex:
    """The :class:`SetIndex` of ``objs`` (cached for the set being checked)."""
    if _CACHE and _CACHE[0][0] is objs and _CACHE[0][1] == len(objs.objects):
        return _CACHE[0][2]
    idx = SetIndex()
    for obj in objs.objects:
        idx.kinds.setdefault(obj.kind, []).append(obj)
        idx.keys.add((obj.kind, obj.namespace, obj.name))
        pod = obj.pod_spec()
        if pod is not None:
            idx.pods.append((obj, pod))
            idx.labels.setdefault(obj.namespace, []).append((obj, pod.template_labels))
    _CACHE[:] = [(objs, len(objs.objects), idx)]
    return idx


def label_value(value: Any) -> str:
    """A label value as the API server stores it (YAML ``true`` -> ``"true"``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def selector_matches(selector: Any, labels: dict[str, Any]) -> bool:
    """Whether a ``LabelSelector`` selects ``labels``. ``{}`` selects all; a non-mapping nothing."""
    if not isinstance(selector, dict):
        return False
    have = {str(k): label_value(v) for k, v in labels.items()}
    match_labels = selector.get("matchLabels") or {}
    if not isinstance(match_labels, dict):
        return False
    for key, value in match_labels.items():
        if str(key) not in RUNTIME_LABELS and have.get(str(key)) != label_value(value):
            return False
    expressions = selector.get("matchExpressions") or []
    if not isinstance(expressions, list):
        return False
    for expr in expressions:
        if not isinstance(expr, dict):
            return False
        if str(expr.get("key") or "") not in RUNTIME_LABELS and not _expression_matches(expr, have):
            return False
    return True


def _expression_matches(expr: dict[str, Any], have: dict[str, str]) -> bool:
    key = str(expr.get("key") or "")
    op = str(expr.get("operator") or "")
    raw = expr.get("values")
    values = {label_value(v) for v in raw} if isinstance(raw, list) else set()
    if op == "In":
        return key in have and have[key] in values
    if op == "NotIn":
        return key not in have or have[key] not in values
    if op == "Exists":
        return key in have
    if op == "DoesNotExist":
        return key not in have
    return False


def map_selector_matches(selector: dict[str, Any], labels: dict[str, Any]) -> bool:
    """Whether a plain label map (Service ``selector``) selects ``labels``."""
    have = {str(k): label_value(v) for k, v in labels.items()}
    return all(str(k) in RUNTIME_LABELS or have.get(str(k)) == label_value(v) for k, v in selector.items())


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


def controlled_by_present_owner(obj: K8sObject, present: set[tuple[str, str | None, str]]) -> bool:
    """True when a controller owning ``obj`` (cluster dumps) is itself in the set."""
    refs = obj.metadata.get("ownerReferences")
    if not isinstance(refs, list):
        return False
    return any(
        isinstance(ref, dict) and (ref.get("kind"), obj.namespace, ref.get("name")) in present for ref in refs
    )


def workloads(objs: ObjectSet, ctx: RuleContext | None = None) -> list[tuple[K8sObject, PodSpec]]:
    """Objects that run pods (PodTemplate excluded), minus those whose owning controller is in
    the set (a dump's ReplicaSets and Pods are reported through their Deployment), minus system
    namespaces when ``ctx`` is given."""
    idx = index(objs)
    present = idx.keys
    skip = system_namespaces(ctx) if ctx is not None else frozenset()
    out = []
    for obj, pod in idx.pods:
        if obj.kind == "PodTemplate" or controlled_by_present_owner(obj, present):
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
    """The HorizontalPodAutoscaler or KEDA ScaledObject scaling ``obj`` and its minimum replicas."""
    for scaler in index(objs).of_kind("HorizontalPodAutoscaler", "ScaledObject"):
        if scaler.namespace != obj.namespace:
            continue
        target = scaler.get("spec", "scaleTargetRef")
        if not isinstance(target, dict) or str(target.get("name") or "") != obj.name:
            continue
        if str(target.get("kind") or "Deployment") != obj.kind:
            continue
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
    creates pods the manifests do not show)."""
    has_workload = False
    for obj in objs.objects:
        if obj.namespace != ns or obj.cluster_scoped:
            continue
        if obj.group not in BUILTIN_GROUPS and obj.pod_spec() is None:
            return False
        if obj.pod_spec() is not None and obj.kind != "PodTemplate":
            has_workload = True
    return has_workload


def template_labels_in(objs: ObjectSet, ns: str | None) -> list[tuple[K8sObject, dict[str, Any]]]:
    """Pod template labels of every pod-bearing object of namespace ``ns``."""
    return index(objs).labels.get(ns, [])
