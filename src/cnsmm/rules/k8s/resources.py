"""Resource requests and limits, and namespaces without LimitRange or ResourceQuota.

The container rules judge app containers (and sidecar init containers, which run as long as
the pod) as Kubernetes will run them: a LimitRange of type Container in the same namespace
and set fills missing values at admission (``default`` for limits, ``defaultRequest`` or else
``default`` for requests), and a missing request takes the value of the container's limit.
Init and ephemeral containers are not judged. A quantity of zero (``memory: "0"``,
``cpu: 0m``) is no request and no limit: Kubernetes treats it as unset.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from cnsmm.findings import Severity
from cnsmm.rules.base import Hit, RuleContext, RuleMeta, Scope, rule
from cnsmm.rules.k8s._common import NSA, WORKLOADS, where
from cnsmm.rules.k8s._selectors import SYSTEM_NAMESPACES_OPTION, by_namespace, index, namespace_text, workloads
from cnsmm.rules.k8s.network import namespace_anchor
from cnsmm.sources.k8s import Container, K8sObject, ObjectSet, PodSpec

NSA_RES = f"{NSA}: Network separation and hardening - Resource policies"
RES_REQUIREMENTS = ("PLT.RUN.L1.2",)
"""资源隔离与使用限制."""


Defaults = dict[str, set[str]]
"""Resources a LimitRange fills in, per section (``limits``, ``requests``)."""


def limitrange_defaults(objs: ObjectSet, ns: str | None) -> Defaults:
    """What the LimitRanges of namespace ``ns`` in the set fill in for containers."""
    out: Defaults = {"limits": set(), "requests": set()}
    for lr in index(objs).of_kind("LimitRange"):
        items = lr.get("spec", "limits")
        if lr.namespace != ns or not isinstance(items, list):
            continue
        for item in items:
            if not isinstance(item, dict) or item.get("type", "Container") != "Container":
                continue
            for key, sections in (("default", ("limits", "requests")), ("defaultRequest", ("requests",))):
                values = item.get(key)
                if isinstance(values, dict):
                    for section in sections:
                        out[section].update(str(k) for k, v in values.items() if is_set(v))
    return out


def app_containers(objs: ObjectSet) -> Iterator[tuple[K8sObject, Container, Defaults]]:
    """App and sidecar containers of every workload, with their namespace's LimitRange defaults."""
    cache: dict[str | None, Defaults] = {}
    for obj, pod in workloads(objs):
        if obj.namespace not in cache:
            cache[obj.namespace] = limitrange_defaults(objs, obj.namespace)
        for c in pod.containers("container", "init"):
            if c.kind == "container" or c.is_sidecar:
                yield obj, c, cache[obj.namespace]


_QUANTITY = re.compile(r"^\+?([0-9]*\.?[0-9]*)(?:[eE][+-]?[0-9]+)?(?:m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")


def is_set(value: Any) -> bool:
    """Whether a resource quantity requests or limits anything: zero (``0``, ``"0"``, ``0Mi``,
    ``0m``) is the same as no value for the scheduler, the QoS class and the kubelet; a value
    that is not a quantity (a template expression) is taken as set."""
    if value is None or isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return value > 0
    text = str(value).strip()
    if not text:
        return False
    m = _QUANTITY.match(text)
    if m is None or m.group(1) in ("", "."):
        return True
    return float(m.group(1)) > 0


def _has(c: Container, section: str, resource: str, defaults: Defaults) -> bool:
    return is_set(c.get("resources", section, resource)) or resource in defaults[section]


def _path(c: Container, section: str) -> tuple[object, ...]:
    return (*c.path, "resources", section)


CONTAINER_WHAT = (
    " A LimitRange default in the same namespace and set counts as set; a value of zero "
    "(`\"0\"`, `0m`, `0Mi`) does not."
)


@rule(RuleMeta(
    id="K8S-079",
    name="missing-resource-requests",
    title="Container without CPU or memory requests",
    severity=Severity.MEDIUM,
    scope=Scope.SET,
    targets=WORKLOADS,
    requirements=RES_REQUIREMENTS,
    what=(
        "Flags containers (not init or ephemeral containers) that set neither a CPU request nor a "
        "CPU limit, or neither a memory request nor a memory limit (a limit alone also sets the "
        "request)." + CONTAINER_WHAT
    ),
    why=(
        "Without requests the scheduler packs pods blindly and the pod gets the BestEffort class: "
        "it is evicted first under pressure and a noisy neighbour can starve it."
    ),
    fix="Set `resources.requests.cpu` and `resources.requests.memory` from observed usage.",
    bad="containers:\n- name: app\n  image: app:1.0",
    good="containers:\n- name: app\n  resources:\n    requests: {cpu: 100m, memory: 128Mi}",
    references=(NSA_RES, "CWE-770"),
))
def missing_requests(objs: ObjectSet, ctx: RuleContext) -> Iterator[Hit]:
    for obj, c, defaults in app_containers(objs):
        missing = [
            name for name in ("cpu", "memory")
            if not _has(c, "requests", name, defaults) and not _has(c, "limits", name, defaults)
        ]
        if missing:
            text = " and no ".join(f"{'CPU' if m == 'cpu' else m} request" for m in missing)
            yield Hit(f"{where(c)} sets no {text}", _path(c, "requests"), obj=obj)


@rule(RuleMeta(
    id="K8S-080",
    name="missing-memory-limit",
    title="Container without a memory limit",
    severity=Severity.MEDIUM,
    scope=Scope.SET,
    targets=WORKLOADS,
    requirements=RES_REQUIREMENTS,
    what="Flags containers (not init or ephemeral containers) without `resources.limits.memory`." + CONTAINER_WHAT,
    why=(
        "A container without a memory limit can use all the node's memory: a leak or an attack "
        "makes the kernel kill other pods and can take the node down (denial of service)."
    ),
    fix="Set `resources.limits.memory` (commonly equal to the memory request).",
    bad="resources:\n  requests: {memory: 128Mi}",
    good="resources:\n  requests: {memory: 128Mi}\n  limits: {memory: 256Mi}",
    references=(NSA_RES, "CWE-770", "CWE-400"),
))
def missing_memory_limit(objs: ObjectSet, ctx: RuleContext) -> Iterator[Hit]:
    for obj, c, defaults in app_containers(objs):
        if not _has(c, "limits", "memory", defaults):
            yield Hit(f"{where(c)} sets no memory limit", _path(c, "limits"), obj=obj)


@rule(RuleMeta(
    id="K8S-081",
    name="missing-cpu-limit",
    title="Container without a CPU limit",
    severity=Severity.LOW,
    scope=Scope.SET,
    targets=WORKLOADS,
    requirements=RES_REQUIREMENTS,
    what="Flags containers (not init or ephemeral containers) without `resources.limits.cpu`." + CONTAINER_WHAT,
    why=(
        "Without a CPU limit one container can use every idle core of the node. CPU limits are "
        "debated (throttling hurts latency even when cores are idle, and CPU requests already "
        "guarantee each pod its share), hence the low severity: in multi-tenant namespaces a "
        "limit (or a LimitRange default) bounds abuse such as crypto-mining."
    ),
    fix="Set `resources.limits.cpu`, or disable this rule where CPU requests alone are the policy.",
    bad="resources:\n  requests: {cpu: 100m}",
    good="resources:\n  requests: {cpu: 100m}\n  limits: {cpu: 500m}",
    references=(NSA_RES, "CWE-770"),
))
def missing_cpu_limit(objs: ObjectSet, ctx: RuleContext) -> Iterator[Hit]:
    for obj, c, defaults in app_containers(objs):
        if not _has(c, "limits", "cpu", defaults):
            yield Hit(f"{where(c)} sets no CPU limit", _path(c, "limits"), obj=obj)


_NO_DEFAULTS: Defaults = {"requests": set(), "limits": set()}


def _sets_own_resources(pod: PodSpec) -> bool:
    """Whether every app and sidecar container requests and limits CPU and memory itself."""
    return all(
        _has(c, section, resource, _NO_DEFAULTS)
        for c in pod.containers("container", "init") if c.kind == "container" or c.is_sidecar
        for section in ("requests", "limits") for resource in ("cpu", "memory")
    )


def _namespace_without(objs: ObjectSet, ctx: RuleContext, kind: str) -> Iterator[Hit]:
    """One finding per namespace without ``kind``. For a LimitRange, whose defaults serve the
    containers that set no requests or limits, the failing objects are the workloads that do
    not set all four themselves (a workload that does is not exposed by the missing defaults);
    a quota bounds the namespace as a whole, so every workload fails with it."""
    for ns, items in by_namespace(workloads(objs, ctx)).items():
        if any(o.namespace == ns for o in index(objs).of_kind(kind)):
            continue
        exposed = [o for o, pod in items if kind != "LimitRange" or not _sets_own_resources(pod)]
        anchor, path = namespace_anchor(objs, ns, (exposed or [items[0][0]])[0])
        text = f"{namespace_text(ns, start=True)} runs {len(items)} workload(s) but has no {kind}"
        if len(exposed) < len(items):
            text += f"; {len(items) - len(exposed)} of them set their own requests and limits"
        yield Hit(text, path, obj=anchor, related=tuple(o for o in exposed if o is not anchor))


@rule(RuleMeta(
    id="K8S-082",
    name="namespace-without-limitrange",
    title="Namespace without a LimitRange",
    severity=Severity.LOW,
    scope=Scope.SET,
    targets=(*WORKLOADS, "Namespace", "LimitRange"),
    requirements=("INF.CMP.L2.1",),
    what=(
        "Flags each namespace of the set that runs workloads but holds no LimitRange (objects "
        "without `metadata.namespace` count as one namespace; system namespaces are skipped). The "
        "failing objects are the workloads whose containers do not all set CPU and memory requests "
        "and limits themselves; the others are not exposed by the missing defaults."
    ),
    why=(
        "A LimitRange gives containers that forget requests and limits sane defaults and caps "
        "what one container may ask for, so one bad manifest cannot starve the namespace."
    ),
    fix="Add a LimitRange with `default`, `defaultRequest` and `max` for containers to the namespace.",
    bad="# namespace shop: Deployments, no LimitRange",
    good=(
        "kind: LimitRange\nspec:\n  limits:\n  - type: Container\n    default: {cpu: 500m, memory: 256Mi}\n"
        "    defaultRequest: {cpu: 100m, memory: 128Mi}"
    ),
    references=(NSA_RES, "CWE-770"),
    options={"system_namespaces": SYSTEM_NAMESPACES_OPTION},
))
def namespace_without_limitrange(objs: ObjectSet, ctx: RuleContext) -> Iterator[Hit]:
    yield from _namespace_without(objs, ctx, "LimitRange")


@rule(RuleMeta(
    id="K8S-083",
    name="namespace-without-resourcequota",
    title="Namespace without a ResourceQuota",
    severity=Severity.LOW,
    scope=Scope.SET,
    targets=(*WORKLOADS, "Namespace", "ResourceQuota"),
    requirements=("INF.CMP.L2.1",),
    what=(
        "Flags each namespace of the set that runs workloads but holds no ResourceQuota (objects "
        "without `metadata.namespace` count as one namespace; system namespaces are skipped)."
    ),
    why=(
        "Without a quota one team or one compromised deployment can consume the cluster's "
        "capacity (pods, CPU, memory, load balancers), starving every other tenant."
    ),
    fix="Add a ResourceQuota bounding requests, limits and object counts to the namespace.",
    bad="# namespace shop: Deployments, no ResourceQuota",
    good="kind: ResourceQuota\nspec:\n  hard: {requests.cpu: '8', requests.memory: 16Gi, pods: '50'}",
    references=(NSA_RES, "CWE-770"),
    options={"system_namespaces": SYSTEM_NAMESPACES_OPTION},
))
def namespace_without_resourcequota(objs: ObjectSet, ctx: RuleContext) -> Iterator[Hit]:
    yield from _namespace_without(objs, ctx, "ResourceQuota")
