"""Availability of replicated workloads during rollouts and node failures, and the scheduling
priority of system-critical workloads.

Replica counts are read as in :mod:`.availability` (an autoscaler's minimum, else
``spec.replicas``); system namespaces are skipped by the replicated-workload rules.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from cnsmm.findings import Severity
from cnsmm.rules.base import Hit, RuleContext, RuleMeta, Scope, rule
from cnsmm.rules.k8s._common import WORKLOADS
from cnsmm.rules.k8s._selectors import SYSTEM_NAMESPACES_OPTION, minimum_replicas, workloads
from cnsmm.rules.k8s.availability import AVAIL_REQUIREMENTS
from cnsmm.sources.k8s import K8sObject, ObjectSet, PodSpec

SPREAD_DOC = "https://kubernetes.io/docs/concepts/scheduling-eviction/topology-spread-constraints/"


def _unavailable(value: object, replicas: int) -> int | None:
    """Pods ``maxUnavailable`` may take down (percentages round down, as the controller does)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    if text.endswith("%") and text[:-1].isdigit():
        return math.floor(int(text[:-1]) * replicas / 100)
    return None


@rule(RuleMeta(
    id="K8S-167", name="rollout-takes-all-pods-down", title="Rollout stops every replica at once",
    severity=Severity.LOW, scope=Scope.SET, targets=("Deployment",), requirements=AVAIL_REQUIREMENTS,
    what=(
        "Flags Deployments running two or more replicas whose `strategy.type` is `Recreate`, or whose "
        "`rollingUpdate.maxUnavailable` (a number, or a percentage rounded down) is at or above the replica count."
    ),
    why="Every rollout, including an urgent security patch, then stops all pods before new ones are ready: the "
        "service is down for the length of the image pull and start-up, and a bad image leaves nothing running.",
    fix="Use `RollingUpdate` with `maxUnavailable` below the replica count (for example 25% or 1) and "
        "`maxSurge` of at least 1; keep Recreate for workloads that truly cannot run two versions at once.",
    bad="strategy:\n  type: Recreate",
    good="strategy:\n  type: RollingUpdate\n  rollingUpdate: {maxUnavailable: 1, maxSurge: 1}",
    references=("https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#strategy", "CWE-400"),
    options={"system_namespaces": SYSTEM_NAMESPACES_OPTION},
))
def rollout_takes_all_down(objs: ObjectSet, ctx: RuleContext) -> Iterator[Hit]:
    for obj, _ in workloads(objs, ctx):
        if obj.kind != "Deployment":
            continue
        replicas = minimum_replicas(obj, objs)
        if replicas is None or replicas < 2:
            continue
        strategy = obj.get("spec", "strategy")
        if not isinstance(strategy, dict):
            continue
        if strategy.get("type") == "Recreate":
            yield Hit(f'Deployment "{obj.name}" stops all {replicas} replicas on every rollout (Recreate)',
                      ("spec", "strategy", "type"), obj=obj)
            continue
        value = obj.get("spec", "strategy", "rollingUpdate", "maxUnavailable")
        down = _unavailable(value, replicas) if value is not None else None
        if down is not None and down >= replicas:
            text = f'Deployment "{obj.name}" may take all {replicas} replicas down at once (maxUnavailable: {value})'
            yield Hit(text, ("spec", "strategy", "rollingUpdate", "maxUnavailable"), obj=obj)


def _spread(obj: K8sObject) -> bool:
    pod = obj.pod_spec()
    if pod is None:
        return True
    anti = pod.get("affinity", "podAntiAffinity")
    spread = pod.get("topologySpreadConstraints")
    return bool(anti) or bool(spread)


@rule(RuleMeta(
    id="K8S-168", name="replicas-not-spread", title="Replicas may all land on one node or zone",
    severity=Severity.LOW, scope=Scope.SET, targets=("Deployment", "StatefulSet", "Rollout", "CloneSet"),
    requirements=AVAIL_REQUIREMENTS,
    what="Flags Deployments, StatefulSets, Argo Rollouts and CloneSets running two or more replicas without "
         "`topologySpreadConstraints` or `podAntiAffinity` in their pod template.",
    why="The scheduler may place every replica on the same node (or zone): one node failure, drain or zone "
        "outage then takes the whole service down despite the replicas.",
    fix="Add `topologySpreadConstraints` over `kubernetes.io/hostname` (and `topology.kubernetes.io/zone`), or a "
        "preferred pod anti-affinity on the app's labels.",
    bad="replicas: 3\ntemplate:\n  spec:\n    containers: [...]",
    good="topologySpreadConstraints:\n- maxSkew: 1\n  topologyKey: kubernetes.io/hostname\n"
         "  whenUnsatisfiable: ScheduleAnyway\n  labelSelector: {matchLabels: {app: web}}",
    references=(SPREAD_DOC, "CWE-400"),
    options={"system_namespaces": SYSTEM_NAMESPACES_OPTION},
))
def replicas_not_spread(objs: ObjectSet, ctx: RuleContext) -> Iterator[Hit]:
    for obj, pod in workloads(objs, ctx):
        if obj.kind not in ("Deployment", "StatefulSet", "Rollout", "CloneSet"):
            continue
        replicas = minimum_replicas(obj, objs)
        if replicas is None or replicas < 2 or _spread(obj):
            continue
        yield Hit(f'{obj.kind} "{obj.name}" runs {replicas} replicas with no spread or anti-affinity rule',
                  pod.path, obj=obj)


CRITICAL_NAMESPACES = ("kube-system",)
CRITICAL_PRIORITY = ("system-cluster-critical", "system-node-critical")


@rule(RuleMeta(
    id="K8S-169", name="system-workload-without-priority", title="System workload without a priority class",
    severity=Severity.LOW, scope=Scope.POD, targets=WORKLOADS, requirements=(*AVAIL_REQUIREMENTS, "PLT.RUN.L1.2"),
    what="Flags workloads in kube-system (DNS, CNI, proxies, storage and policy agents) without a "
         "`priorityClassName`.",
    why="Without a priority class they have the default priority of application pods: under memory or CPU "
        "pressure the kubelet may evict them, and the scheduler may not preempt application pods to place them, "
        "taking DNS, networking or policy enforcement down with one busy node.",
    fix="Set `priorityClassName: system-cluster-critical` (cluster-wide services) or `system-node-critical` "
        "(per-node agents).",
    bad="metadata: {namespace: kube-system}\nspec:\n  containers: [...]",
    good="spec:\n  priorityClassName: system-cluster-critical",
    references=("https://kubernetes.io/docs/tasks/administer-cluster/guaranteed-scheduling-critical-addon-pods/",
                "CWE-400"),
))
def system_without_priority(pod: PodSpec, ctx: RuleContext) -> Iterator[Hit]:
    if pod.obj.namespace not in CRITICAL_NAMESPACES:
        return
    if pod.obj.kind in ("Job", "CronJob", "PodTemplate"):
        return
    if not pod.get("priorityClassName"):
        yield Hit(f'{pod.obj.kind} "{pod.obj.name}" runs in kube-system without a priorityClassName', pod.path)
