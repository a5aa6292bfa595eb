"""Availability: replica counts and PodDisruptionBudgets.

The pod count of a workload is the ``minReplicas`` of a HorizontalPodAutoscaler (or the
``minReplicaCount`` of a KEDA ScaledObject) that targets it in the same set, else
``spec.replicas`` (missing means 1). ``replicas: 0`` is a deliberate shutdown and is not
reported. DaemonSets are left out: drains skip them and their count follows the nodes.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from cnsmm.findings import Severity
from cnsmm.kube import Selector, pdb_selector
from cnsmm.rules.base import Hit, RuleContext, RuleMeta, Scope, rule
from cnsmm.rules.k8s._selectors import (
    SCALABLE_KINDS,
    SYSTEM_NAMESPACES_OPTION,
    autoscaler_minimum,
    covered_workloads,
    index,
    minimum_replicas,
    namespace_text,
    pods_known,
    selected_in,
    workload_ids,
    workloads,
)
from cnsmm.sources.k8s import K8sObject, ObjectSet

AVAIL_REQUIREMENTS = ("APP.MSV.L1.1",)
"""微服务高可用."""
PDB_DOC = "https://kubernetes.io/docs/tasks/run-application/configure-pdb/"


def _pdbs(objs: ObjectSet) -> list[K8sObject]:
    return index(objs).of_kind("PodDisruptionBudget")


@rule(RuleMeta(
    id="K8S-086",
    name="single-replica",
    title="Deployment or StatefulSet runs fewer than two replicas",
    severity=Severity.LOW,
    scope=Scope.SET,
    targets=tuple(sorted(SCALABLE_KINDS - {"ReplicaSet", "ReplicationController"})),
    requirements=AVAIL_REQUIREMENTS,
    what=(
        "Flags Deployments, StatefulSets, Argo Rollouts and CloneSets that run fewer pods than "
        "`min_replicas` (default 2): `spec.replicas` below it (missing means 1), or an autoscaler "
        "in the set with a lower minimum (then the autoscaler is reported). Zero (a deliberate "
        "shutdown, or scale-to-zero) is not reported."
    ),
    why=(
        "A single pod is a single point of failure: every node drain, eviction, crash or rollout "
        "makes the service unavailable."
    ),
    fix=(
        "Run at least two replicas (or set the autoscaler's minReplicas to 2) and spread them with "
        "topologySpreadConstraints."
    ),
    bad="kind: Deployment\nspec:\n  replicas: 1",
    good="kind: Deployment\nspec:\n  replicas: 3",
    references=(PDB_DOC, "CWE-400"),
    options={
        "min_replicas": "Fewest replicas a Deployment or StatefulSet should run (default 2).",
        "system_namespaces": SYSTEM_NAMESPACES_OPTION,
    },
))
def single_replica(objs: ObjectSet, ctx: RuleContext) -> Iterator[Hit]:
    wanted = ctx.option("min_replicas", 2)
    wanted = wanted if isinstance(wanted, int) and not isinstance(wanted, bool) else 2
    for obj, _ in workloads(objs, ctx):
        if obj.kind in ("ReplicaSet", "ReplicationController"):
            continue
        count = minimum_replicas(obj, objs)
        if count is None or count == 0 or count >= wanted:
            continue
        scaled = autoscaler_minimum(obj, objs)
        if scaled is not None:
            scaler = scaled[0]
            path: tuple[Any, ...] = ("spec", "minReplicas" if scaler.kind != "ScaledObject" else "minReplicaCount")
            yield Hit(
                f'{scaler.kind} "{scaler.name}" lets {obj.kind} "{obj.name}" scale down to {count} replica(s)',
                path,
                obj=scaler,
            )
            continue
        written = "sets no replicas (1)" if obj.get("spec", "replicas") is None else f"runs {count} replica(s)"
        yield Hit(f'{obj.kind} "{obj.name}" {written}; at least {wanted} are needed', ("spec", "replicas"), obj=obj)


@rule(RuleMeta(
    id="K8S-087",
    name="workload-without-pdb",
    title="Replicated workload not covered by a PodDisruptionBudget",
    severity=Severity.LOW,
    scope=Scope.SET,
    targets=tuple(sorted(SCALABLE_KINDS)),
    requirements=AVAIL_REQUIREMENTS,
    what=(
        "Flags workloads that run two or more replicas (as read by K8S-086) whose pod template "
        "labels no PodDisruptionBudget of the same namespace in the set selects."
    ),
    why=(
        "Without a PodDisruptionBudget a node drain or cluster upgrade may evict every replica at "
        "once; the replicas then protect only against crashes, not against maintenance."
    ),
    fix=(
        "Add a PodDisruptionBudget with `maxUnavailable: 1` (or a `minAvailable` below the replica "
        "count) selecting the pods."
    ),
    bad="kind: Deployment\nspec:\n  replicas: 3\n# no PodDisruptionBudget selects its pods",
    good="kind: PodDisruptionBudget\nspec:\n  maxUnavailable: 1\n  selector: {matchLabels: {app: api}}",
    references=(PDB_DOC, "CWE-400"),
    options={"system_namespaces": SYSTEM_NAMESPACES_OPTION},
))
def workload_without_pdb(objs: ObjectSet, ctx: RuleContext) -> Iterator[Hit]:
    by_ns: dict[str | None, list[Selector]] = {}
    for p in _pdbs(objs):
        by_ns.setdefault(p.namespace, []).append(pdb_selector(p.api_version, p.get("spec")))
    judged = workloads(objs, ctx)
    groups: dict[str | None, list[int]] = {}
    for i, (obj, _pod) in enumerate(judged):
        groups.setdefault(obj.namespace, []).append(i)
    covered: set[int] = set()
    for ns, positions in groups.items():
        hit = covered_workloads([judged[i] for i in positions], by_ns.get(ns, ()))
        covered.update(positions[j] for j in hit)
    for position, (obj, _pod) in enumerate(judged):
        count = minimum_replicas(obj, objs)
        if count is None or count < 2 or position in covered:
            continue
        yield Hit(
            f'{obj.kind} "{obj.name}" runs {count} replicas but no PodDisruptionBudget selects its pods',
            ("metadata",),
            obj=obj,
        )


@rule(RuleMeta(
    id="K8S-088",
    name="pdb-selects-nothing",
    title="PodDisruptionBudget selects no workload",
    severity=Severity.LOW,
    scope=Scope.SET,
    targets=("PodDisruptionBudget",),
    requirements=AVAIL_REQUIREMENTS,
    what=(
        "Flags PodDisruptionBudgets whose selector matches the pod template labels of no workload "
        "of its namespace in the set (judged only when the set shows that namespace's pods: it "
        "holds a workload there and no custom resource that could create pods)."
    ),
    why="A budget that selects nothing protects nothing: the workload it was written for can be evicted all at once.",
    fix="Make the selector match the labels of the pods the budget protects, or delete it.",
    bad="kind: PodDisruptionBudget\nspec:\n  selector: {matchLabels: {app: api-v1}}\n# pods are labelled app: api",
    good="kind: PodDisruptionBudget\nspec:\n  selector: {matchLabels: {app: api}}",
    references=(PDB_DOC, "CWE-710"),
))
def pdb_selects_nothing(objs: ObjectSet, ctx: RuleContext) -> Iterator[Hit]:
    known: dict[str | None, bool] = {}
    for pdb in _pdbs(objs):
        ns = pdb.namespace
        if ns not in known:
            known[ns] = pods_known(objs, ns)
        if not known[ns]:
            continue
        selector = pdb_selector(pdb.api_version, pdb.get("spec"))
        if next(selected_in(objs, ns, selector), None) is None:
            yield Hit(
                f'PodDisruptionBudget "{pdb.name}" selects no workload of {namespace_text(ns)} in these manifests',
                ("spec", "selector"),
                obj=pdb,
            )


def _blocks(value: Any, unavailable: bool) -> bool:
    text = str(value).strip()
    if unavailable:
        return text in ("0", "0%")
    return text == "100%"


def _needed(value: Any, total: int) -> int | None:
    """Pods ``minAvailable`` keeps out of ``total`` (percentages round up, as the
    disruption controller does); None when the value is not readable."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    if text.endswith("%") and text[:-1].isdigit():
        return math.ceil(int(text[:-1]) * total / 100)
    return int(text) if text.isdigit() else None


def _selected_pods(pdb: K8sObject, objs: ObjectSet) -> tuple[int, list[K8sObject]] | None:
    """How many pods the budget's selector covers in the set (replicas, or the autoscaler's
    minimum), with the workloads; None when unknown (a DaemonSet, a templated count) or none."""
    selector = pdb_selector(pdb.api_version, pdb.get("spec"))
    total, chosen = 0, []
    plain = workload_ids(objs)
    for obj, _labels in selected_in(objs, pdb.namespace, selector):
        if id(obj) not in plain:
            continue
        count = 1 if obj.kind == "Pod" else minimum_replicas(obj, objs)
        if count is None:
            return None
        total += count
        chosen.append(obj)
    return (total, chosen) if chosen and total > 0 else None


@rule(RuleMeta(
    id="K8S-089",
    name="pdb-blocks-eviction",
    title="PodDisruptionBudget allows no disruption",
    severity=Severity.MEDIUM,
    scope=Scope.SET,
    targets=("PodDisruptionBudget",),
    requirements=AVAIL_REQUIREMENTS,
    what=(
        "Flags PodDisruptionBudgets with `maxUnavailable: 0` (or `0%`) or `minAvailable: 100%`, and "
        "budgets whose `minAvailable` (a number, or a percentage rounded up) is at or above the "
        "pod count of the workloads it selects in the set (their replicas, or their autoscaler's "
        "minimum). DaemonSets and templated replica counts are not judged."
    ),
    why=(
        "Such a budget never allows a voluntary eviction: node drains hang, cluster upgrades and "
        "security patching of nodes stall until someone deletes the budget by hand. "
        "`minAvailable: 2` for a two-replica Deployment blocks exactly like `maxUnavailable: 0`."
    ),
    fix=(
        "Allow at least one pod to be disrupted (`maxUnavailable: 1`, or a `minAvailable` below the "
        "replica count) and run enough replicas to stay available."
    ),
    bad="kind: PodDisruptionBudget\nspec:\n  minAvailable: 2\n# Deployment web: replicas: 2",
    good="kind: PodDisruptionBudget\nspec:\n  maxUnavailable: 1",
    references=(PDB_DOC, "CWE-400"),
))
def pdb_blocks_eviction(objs: ObjectSet, ctx: RuleContext) -> Iterator[Hit]:
    for pdb in _pdbs(objs):
        found = False
        for key, unavailable in (("maxUnavailable", True), ("minAvailable", False)):
            value = pdb.get("spec", key)
            if value is not None and not isinstance(value, bool) and _blocks(value, unavailable):
                found = True
                yield Hit(
                    f'PodDisruptionBudget "{pdb.name}" sets {key}: {value}, so no pod may ever be evicted',
                    ("spec", key),
                    obj=pdb,
                )
        minimum = pdb.get("spec", "minAvailable")
        if found or minimum is None or isinstance(minimum, bool):
            continue
        selected = _selected_pods(pdb, objs)
        if selected is None:
            continue
        total, chosen = selected
        needed = _needed(minimum, total)
        if needed is not None and needed >= total:
            names = ", ".join(f'{o.kind} "{o.name}"' for o in chosen[:3])
            yield Hit(
                f'PodDisruptionBudget "{pdb.name}" keeps minAvailable: {minimum} of the {total} pod(s) of '
                f"{names}, so no pod may ever be evicted",
                ("spec", "minAvailable"),
                obj=pdb,
            )
