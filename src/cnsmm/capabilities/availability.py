"""Availability and resilience: PodDisruptionBudgets with replicas, autoscalers (HPA, KEDA)
and chaos engineering (Chaos Mesh, Litmus)."""

from __future__ import annotations

from typing import Any

from cnsmm.capabilities.index import Index, Signature, evidence
from cnsmm.capabilities.model import MAX_EVIDENCE, Outcome
from cnsmm.capabilities.registry import detector, outcome
from cnsmm.capabilities.values import mapping, short, text, truthy
from cnsmm.kube import LabelIndex, pdb_selector
from cnsmm.sources.k8s import K8sObject

HA = "APP.MSV.L1.1"
DEGRADE = "APP.MSV.L3.1"


def _int(value: Any, default: int) -> int:
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    try:
        return int(text(value))
    except ValueError:
        return default


def _hpa_min(ix: Index) -> dict[tuple[str | None, str, str], int]:
    """Lowest replica count per scaled workload, from HPAs and KEDA ScaledObjects."""
    floors: dict[tuple[str | None, str, str], int] = {}
    for hpa in ix.kind("HorizontalPodAutoscaler", "autoscaling"):
        ref = mapping(hpa.get("spec", "scaleTargetRef"))
        floors[(hpa.namespace, text(ref.get("kind")), text(ref.get("name")))] = _int(hpa.get("spec", "minReplicas"), 1)
    for so in ix.kind("ScaledObject", "keda.sh"):
        ref = mapping(so.get("spec", "scaleTargetRef"))
        key = (so.namespace, text(ref.get("kind")) or "Deployment", text(ref.get("name")))
        floors[key] = _int(so.get("spec", "minReplicaCount"), 0)
    return floors


@detector(
    id="pod-disruption-budget",
    name="Replicas and PodDisruptionBudgets",
    category="availability",
    supports=((HA, "Two or more replicas guarded by a PodDisruptionBudget survive node loss and drains."),),
    how="Deployments/StatefulSets with replicas (or autoscaler minimum) of 2 or more, and PodDisruptionBudgets "
    "(policy) whose selector matches their pod labels in the same namespace.",
    conditions="Every Deployment and StatefulSet of the set has at least 2 replicas and is covered by a "
    "PodDisruptionBudget; otherwise partial, naming the workloads that are not.",
)
def pod_disruption_budget(ix: Index) -> Outcome | None:
    """High availability of long-running workloads."""
    pdbs = ix.kind("PodDisruptionBudget", "policy")
    floors = _hpa_min(ix)
    pdb_namespaces = ix.by_namespace(pdbs)
    apps = [(obj, pod) for obj, pod in ix.pods if obj.kind in ("Deployment", "StatefulSet") and obj.group == "apps"]
    by_ns: dict[str | None, list[int]] = {}
    for i, (obj, _pod) in enumerate(apps):
        by_ns.setdefault(ix.namespace(obj), []).append(i)
    covered: set[int] = set()
    for ns, positions in by_ns.items():  # through a label index: bounded however the selectors are written
        labelled = LabelIndex(((apps[i][0], mapping(apps[i][1].template_labels)) for i in positions),
                              template=lambda _obj: True)
        selectors = [pdb_selector(p.api_version, p.get("spec")) for p in pdb_namespaces.get(ns, ())]
        covered.update(positions[j] for j in labelled.covered(selectors))
    workloads: list[tuple[K8sObject, int, bool]] = []
    for i, (obj, _pod) in enumerate(apps):
        replicas = floors.get((obj.namespace, obj.kind, obj.name), _int(obj.get("spec", "replicas"), 1))
        workloads.append((obj, replicas, i in covered))
    if not pdbs and not any(r >= 2 for _, r, _ in workloads):
        return None
    weak = [(o, r, c) for o, r, c in workloads if r < 2 or not c]
    ev = [evidence(p, ("spec",), "PodDisruptionBudget") for p in pdbs[:MAX_EVIDENCE]]
    ev += [evidence(o, ("spec", "replicas"), f"{r} replica(s), {'covered' if c else 'no'} PodDisruptionBudget")
           for o, r, c in weak[:6]]
    if workloads and not weak:
        return outcome(
            "effective",
            f"All {len(workloads)} Deployment/StatefulSet(s) run 2+ replicas protected by PodDisruptionBudgets.",
            f"全部 {len(workloads)} 个 Deployment/StatefulSet 均运行 2 个以上副本并受 PodDisruptionBudget 保护。",
            ev,
        )
    detail = ", ".join(f"{short(o.resource)} ({r} replica(s){'' if c else ', no PDB'})" for o, r, c in weak[:4])
    return outcome(
        "partial",
        f"{len(weak)} of {len(workloads)} workload(s) lack 2+ replicas or a PodDisruptionBudget: {detail}."
        if workloads else "PodDisruptionBudgets exist but no Deployment or StatefulSet in this set uses them.",
        f"{len(weak)}/{len(workloads)} 个工作负载缺少 2 个以上副本或 PodDisruptionBudget。"
        if workloads else "存在 PodDisruptionBudget,但本组中没有相应的 Deployment 或 StatefulSet。",
        ev,
    )


@detector(
    id="horizontal-pod-autoscaler",
    name="HorizontalPodAutoscaler",
    category="availability",
    supports=((HA, "Autoscaling keeps enough replicas under load; a minimum of 2 avoids a single point of failure."),),
    how="HorizontalPodAutoscaler objects (autoscaling/v1, v2).",
    conditions="Every HPA has minReplicas of 2 or more (the default is 1).",
)
def horizontal_pod_autoscaler(ix: Index) -> Outcome | None:
    """HPAs and their replica floor."""
    hpas = ix.kind("HorizontalPodAutoscaler", "autoscaling")
    if not hpas:
        return None
    low = [h for h in hpas if _int(h.get("spec", "minReplicas"), 1) < 2]
    ev = [evidence(h, ("spec", "minReplicas"), f"minReplicas {_int(h.get('spec', 'minReplicas'), 1)}")
          for h in hpas[:MAX_EVIDENCE]]
    if not low:
        return outcome("effective", f"{len(hpas)} HorizontalPodAutoscaler(s) scale workloads, keeping 2+ replicas.",
                       f"{len(hpas)} 个 HPA 自动伸缩工作负载,且至少保留 2 个副本。", ev)
    return outcome("partial", f"{len(low)} of {len(hpas)} HPA(s) allow a single replica (minReplicas < 2).",
                   f"{len(low)}/{len(hpas)} 个 HPA 允许缩到单副本(minReplicas < 2)。", ev)


KEDA = Signature(images=("kedacore/keda", "kedacore/keda-metrics-apiserver", "kedacore/keda-admission-webhooks"),
                 labels=("keda-operator", "keda"), crd_groups=("keda.sh",))


@detector(
    id="keda",
    name="KEDA",
    category="availability",
    supports=((HA, "Event-driven autoscaling keeps services scaled to demand; a floor of 2 keeps them redundant."),),
    how="ScaledObject/ScaledJob resources (keda.sh), images ghcr.io/kedacore/keda*.",
    conditions="Every ScaledObject has minReplicaCount of 2 or more (the default 0 scales to zero).",
)
def keda(ix: Index) -> Outcome | None:
    """KEDA ScaledObjects and their replica floor."""
    scaled = ix.kind("ScaledObject", "keda.sh")
    found = ix.presence(KEDA)
    if not scaled and not found:
        return None
    low = [s for s in scaled if _int(s.get("spec", "minReplicaCount"), 0) < 2]
    ev = [evidence(s, ("spec", "minReplicaCount"), "ScaledObject") for s in scaled[:MAX_EVIDENCE]] + found
    if scaled and not low:
        return outcome("effective", f"{len(scaled)} KEDA ScaledObject(s) autoscale with at least 2 replicas.",
                       f"{len(scaled)} 个 KEDA ScaledObject 自动伸缩且至少保留 2 个副本。", ev)
    return outcome(
        "partial",
        f"{len(low)} of {len(scaled)} ScaledObject(s) may scale below 2 replicas." if scaled
        else "KEDA is installed but no ScaledObject uses it.",
        f"{len(low)}/{len(scaled)} 个 ScaledObject 可能缩到 2 个副本以下。" if scaled
        else "已安装 KEDA,但没有 ScaledObject。",
        ev,
    )


def _chaos(ix: Index, name: str, zh: str, experiments: list[K8sObject], found: list[Any]) -> Outcome | None:
    if not experiments and not found:
        return None
    ev = [evidence(e, ("spec",), e.kind) for e in experiments[:6]] + found
    if experiments:
        return outcome("effective", f"{name} runs {len(experiments)} fault-injection experiment(s) or schedule(s).",
                       f"{zh} 配置了 {len(experiments)} 个故障注入实验或计划。", ev)
    return outcome("partial", f"{name} is installed but no experiment is defined in this set.",
                   f"已安装 {zh},但本组对象中没有定义实验。", ev)


CHAOS_MESH = Signature(images=("chaos-mesh/chaos-mesh", "chaos-mesh/chaos-daemon", "chaos-mesh/chaos-dashboard",
                               "pingcap/chaos-mesh", "pingcap/chaos-daemon"),
                       labels=("chaos-mesh",), crd_groups=("chaos-mesh.org",))
CHAOS_SUPPORTS = ((DEGRADE, "Fault injection verifies that services degrade gracefully and failures stay isolated."),)


@detector(
    id="chaos-mesh",
    name="Chaos Mesh",
    category="resilience",
    supports=CHAOS_SUPPORTS,
    how="Images chaos-mesh/*, app label chaos-mesh, chaos-mesh.org CRDs and experiments (PodChaos, Schedule, ...).",
    conditions="At least one experiment, Schedule or Workflow is defined.",
)
def chaos_mesh(ix: Index) -> Outcome | None:
    """Chaos Mesh experiments."""
    experiments = [o for o in ix.in_groups("chaos-mesh.org")
                   if o.kind.endswith("Chaos") or o.kind in ("Schedule", "Workflow")]
    return _chaos(ix, "Chaos Mesh", "Chaos Mesh", experiments, ix.presence(CHAOS_MESH))


LITMUS = Signature(images=("litmuschaos/*",), labels=("litmus", "chaos-operator", "litmusportal-server"),
                   crd_groups=("litmuschaos.io",))


@detector(
    id="litmus",
    name="LitmusChaos",
    category="resilience",
    supports=CHAOS_SUPPORTS,
    how="Images litmuschaos/*, labels, litmuschaos.io CRDs, ChaosEngine and ChaosSchedule resources.",
    conditions="At least one active ChaosEngine (engineState not stop) or ChaosSchedule.",
)
def litmus(ix: Index) -> Outcome | None:
    """Litmus chaos engines."""
    experiments = [o for o in ix.kinds(("ChaosEngine", "ChaosSchedule"), "litmuschaos.io")
                   if text(o.get("spec", "engineState")).lower() != "stop"
                   and not truthy(o.get("spec", "schedule", "halt"))]
    return _chaos(ix, "LitmusChaos", "LitmusChaos", experiments, ix.presence(LITMUS))
