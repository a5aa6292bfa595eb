"""Resource requests and limits, and namespaces without LimitRange or ResourceQuota.

The container rules read the manifest as written: a LimitRange with defaults in the target
namespace fills missing values at admission. Where a namespace relies on that, disable or
suppress these rules for it. A missing request is not reported when the matching limit is
set, because Kubernetes then uses the limit as the request.
"""

from __future__ import annotations

from collections.abc import Iterator

from cnsmm.findings import Severity
from cnsmm.rules.base import Hit, RuleContext, RuleMeta, Scope, rule
from cnsmm.rules.k8s._common import NSA, WORKLOADS, where
from cnsmm.rules.k8s._selectors import SYSTEM_NAMESPACES_OPTION, by_namespace, index, namespace_text, workloads
from cnsmm.rules.k8s.network import namespace_anchor
from cnsmm.sources.k8s import Container, ObjectSet

NSA_RES = f"{NSA}: Network separation and hardening - Resource policies"
RES_REQUIREMENTS = ("PLT.RUN.L1.2",)
"""资源隔离与使用限制."""


def _value(c: Container, section: str, resource: str) -> object:
    value = c.get("resources", section, resource)
    return None if value in (None, "") else value


def _path(c: Container, section: str) -> tuple[object, ...]:
    return (*c.path, "resources", section)


@rule(RuleMeta(
    id="K8S-079",
    name="missing-resource-requests",
    title="Container without CPU or memory requests",
    severity=Severity.MEDIUM,
    scope=Scope.CONTAINER,
    targets=WORKLOADS,
    containers=("container",),
    requirements=RES_REQUIREMENTS,
    what=(
        "Flags containers (not init or ephemeral containers) that set neither a CPU request nor a "
        "CPU limit, or neither a memory request nor a memory limit (a limit alone also sets the "
        "request)."
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
def missing_requests(c: Container, ctx: RuleContext) -> Iterator[Hit]:
    missing = [
        name for name in ("cpu", "memory")
        if _value(c, "requests", name) is None and _value(c, "limits", name) is None
    ]
    if missing:
        yield Hit(f"{where(c)} sets no {' and no '.join(missing)} request", _path(c, "requests"))


@rule(RuleMeta(
    id="K8S-080",
    name="missing-memory-limit",
    title="Container without a memory limit",
    severity=Severity.MEDIUM,
    scope=Scope.CONTAINER,
    targets=WORKLOADS,
    containers=("container",),
    requirements=RES_REQUIREMENTS,
    what="Flags containers (not init or ephemeral containers) without `resources.limits.memory`.",
    why=(
        "A container without a memory limit can use all the node's memory: a leak or an attack "
        "makes the kernel kill other pods and can take the node down (denial of service)."
    ),
    fix="Set `resources.limits.memory` (commonly equal to the memory request).",
    bad="resources:\n  requests: {memory: 128Mi}",
    good="resources:\n  requests: {memory: 128Mi}\n  limits: {memory: 256Mi}",
    references=(NSA_RES, "CWE-770", "CWE-400"),
))
def missing_memory_limit(c: Container, ctx: RuleContext) -> Iterator[Hit]:
    if _value(c, "limits", "memory") is None:
        yield Hit(f"{where(c)} sets no memory limit", _path(c, "limits"))


@rule(RuleMeta(
    id="K8S-081",
    name="missing-cpu-limit",
    title="Container without a CPU limit",
    severity=Severity.LOW,
    scope=Scope.CONTAINER,
    targets=WORKLOADS,
    containers=("container",),
    requirements=RES_REQUIREMENTS,
    what="Flags containers (not init or ephemeral containers) without `resources.limits.cpu`.",
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
def missing_cpu_limit(c: Container, ctx: RuleContext) -> Iterator[Hit]:
    if _value(c, "limits", "cpu") is None:
        yield Hit(f"{where(c)} sets no CPU limit", _path(c, "limits"))


def _namespace_without(objs: ObjectSet, ctx: RuleContext, kind: str) -> Iterator[Hit]:
    for ns, items in by_namespace(workloads(objs, ctx)).items():
        if any(o.namespace == ns for o in index(objs).of_kind(kind)):
            continue
        anchor, path = namespace_anchor(objs, ns, items[0][0])
        yield Hit(f"{namespace_text(ns)} runs {len(items)} workload(s) but has no {kind}", path, obj=anchor)


@rule(RuleMeta(
    id="K8S-082",
    name="namespace-without-limitrange",
    title="Namespace without a LimitRange",
    severity=Severity.LOW,
    scope=Scope.SET,
    targets=(*WORKLOADS, "Namespace", "LimitRange"),
    requirements=(*RES_REQUIREMENTS, "INF.CMP.L2.1"),
    what=(
        "Flags each namespace of the set that runs workloads but holds no LimitRange (objects "
        "without `metadata.namespace` count as one namespace; system namespaces are skipped)."
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
    requirements=(*RES_REQUIREMENTS, "INF.CMP.L2.1"),
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
