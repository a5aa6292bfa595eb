"""Backups (Velero, K8up), sandboxed container runtimes (gVisor, Kata Containers) and
namespace resource limits."""

from __future__ import annotations

from cnsmm.capabilities.index import Index, Signature, evidence
from cnsmm.capabilities.model import MAX_EVIDENCE, Outcome
from cnsmm.capabilities.registry import detector, outcome
from cnsmm.capabilities.values import mapping, short, text, truthy
from cnsmm.sources.k8s import K8sObject

BACKUP = "INF.STO.L2.2"
POLICY = "INF.STO.L3.2"
OFFSITE = "INF.STO.L4.1"

VELERO = Signature(images=("velero/velero", "velero/velero-plugin-for-aws", "velero/velero-plugin-for-gcp",
                           "velero/velero-plugin-for-microsoft-azure", "bitnami/velero"),
                   labels=("velero",), crd_groups=("velero.io",))


@detector(
    id="velero",
    name="Velero",
    category="backup",
    supports=(
        (BACKUP, "Velero backs up cluster resources and volumes and restores them."),
        (POLICY, "Schedules define how often backups run and how long they are kept (TTL)."),
        (OFFSITE, "A BackupStorageLocation in an object store keeps copies outside the cluster."),
    ),
    how="Images velero/velero and plugins, app label velero, velero.io CRDs, Schedule and BackupStorageLocation.",
    conditions="At least one unpaused Schedule; off-site counts with a BackupStorageLocation that has an "
    "object storage bucket. An install without Schedule is only partial.",
)
def velero(ix: Index) -> Outcome | None:
    """Velero: scheduled backups to object storage."""
    schedules = [s for s in ix.kind("Schedule", "velero.io") if not truthy(s.get("spec", "paused"))]
    paused = [s for s in ix.kind("Schedule", "velero.io") if truthy(s.get("spec", "paused"))]
    bsls = ix.kind("BackupStorageLocation", "velero.io")
    remote = [b for b in bsls if text(mapping(b.get("spec", "objectStorage")).get("bucket"))]
    found = ix.presence(VELERO)
    if not found and not schedules and not bsls and not paused:
        return None
    ev = [evidence(s, ("spec", "schedule"), f"Schedule {text(s.get('spec', 'schedule'))}") for s in schedules]
    ev += [evidence(s, ("spec", "paused"), "paused Schedule") for s in paused]
    ev += [evidence(b, ("spec", "objectStorage"), f"BackupStorageLocation ({text(b.get('spec', 'provider'))})")
           for b in bsls] + found
    if schedules:
        return outcome(
            "effective",
            f"Velero runs {len(schedules)} backup Schedule(s)"
            + (" to an object store outside the cluster." if remote else "; no BackupStorageLocation is in this set."),
            f"Velero 配置了 {len(schedules)} 个定时备份"
            + (",备份存放在集群外的对象存储。" if remote else ",但本组中没有备份存储位置。"),
            ev, effective=(BACKUP, POLICY, *((OFFSITE,) if remote else ())), partial=(),
        )
    return outcome(
        "partial",
        "Velero is installed but no active backup Schedule exists, so backups only happen when someone runs them.",
        "已安装 Velero,但没有生效的定时备份(Schedule),备份只能手动触发。",
        ev, effective=(), partial=(BACKUP,),
    )


K8UP = Signature(images=("k8up-io/k8up", "vshn/k8up"), labels=("k8up",), crd_groups=("k8up.io", "backup.appuio.ch"))


@detector(
    id="k8up",
    name="K8up",
    category="backup",
    supports=(
        (BACKUP, "K8up backs up persistent volumes with restic and restores them."),
        (POLICY, "K8up Schedules define backup frequency, retention and checks."),
    ),
    how="Images k8up-io/k8up, app label k8up, k8up.io CRDs and Schedule resources.",
    conditions="At least one K8up Schedule with a backup section.",
)
def k8up(ix: Index) -> Outcome | None:
    """K8up scheduled backups."""
    schedules = [s for s in ix.kind("Schedule", "k8up.io", "backup.appuio.ch") if mapping(s.get("spec")).get("backup")]
    found = ix.presence(K8UP) + [evidence(s, ("spec", "backup"), "K8up backup Schedule") for s in schedules]
    if not found:
        return None
    if schedules:
        return outcome("effective", f"K8up runs {len(schedules)} scheduled backup(s).",
                       f"K8up 配置了 {len(schedules)} 个定时备份。", found)
    return outcome("partial", "K8up is installed but no backup Schedule exists.",
                   "已安装 K8up,但没有备份计划。", found, effective=(), partial=(BACKUP,))


SANDBOX_SUPPORTS = (
    ("PLT.RUN.L4.4", "Pods run in a sandboxed runtime with its own kernel boundary."),
    ("INF.CMP.L2.1", "A separate kernel per pod strengthens isolation between tenants on shared nodes."),
    ("APP.SLS.L2.1", "Functions and untrusted workloads are isolated from each other and from the host."),
)


def _sandbox(ix: Index, name: str, zh: str, handler_ok: tuple[str, ...]) -> Outcome | None:
    classes = [c for c in ix.kind("RuntimeClass", "node.k8s.io")
               if text(c.get("handler")).lower().startswith(handler_ok)]
    names = {c.name for c in classes} | {h for h in handler_ok if h != "runsc"}
    users: list[K8sObject] = []
    for obj, pod in ix.pods:
        rc = text(pod.get("runtimeClassName")).lower()
        if rc and (rc in names or rc.startswith(handler_ok)):
            users.append(obj)
    if not classes and not users:
        return None
    ev = [evidence(u, ("spec",), f"workload uses the {name} runtime class") for u in users[:6]]
    ev += [evidence(c, ("handler",), f"RuntimeClass handler {text(c.get('handler'))}") for c in classes]
    if users:
        return outcome("effective", f"{len(users)} workload(s) run in {name} sandboxes (runtimeClassName).",
                       f"{len(users)} 个工作负载运行在 {zh} 沙箱中(runtimeClassName)。", ev)
    return outcome("partial", f"A {name} RuntimeClass is defined but no workload in this set uses it.",
                   f"定义了 {zh} RuntimeClass,但本组中没有工作负载使用它。", ev)


@detector(
    id="gvisor",
    name="gVisor",
    category="sandbox-runtime",
    supports=SANDBOX_SUPPORTS,
    how="RuntimeClass (node.k8s.io) with handler runsc or gvisor; pods with that runtimeClassName.",
    conditions="At least one workload sets runtimeClassName to a gVisor class; a class alone is partial.",
)
def gvisor(ix: Index) -> Outcome | None:
    """gVisor runtime class and its users."""
    return _sandbox(ix, "gVisor", "gVisor", ("runsc", "gvisor"))


@detector(
    id="kata-containers",
    name="Kata Containers",
    category="sandbox-runtime",
    supports=SANDBOX_SUPPORTS,
    how="RuntimeClass (node.k8s.io) with a handler starting kata (kata, kata-qemu, kata-clh, kata-fc).",
    conditions="At least one workload sets runtimeClassName to a Kata class; a class alone is partial.",
)
def kata_containers(ix: Index) -> Outcome | None:
    """Kata Containers runtime class and its users."""
    return _sandbox(ix, "Kata Containers", "Kata Containers", ("kata",))


@detector(
    id="resource-quota",
    name="ResourceQuotas and LimitRanges",
    category="resource-isolation",
    supports=(
        ("PLT.RUN.L1.2", "Quotas and default limits cap what the containers of a namespace may use."),
        ("INF.CMP.L2.1", "Per-namespace quotas share compute fairly between tenants."),
    ),
    how="ResourceQuota and LimitRange objects (core API), compared with the namespaces of the set.",
    conditions="Every namespace of the set that runs workloads (or is declared) has a ResourceQuota or LimitRange.",
)
def resource_quota(ix: Index) -> Outcome | None:
    """Namespace-level resource limits."""
    limits = ix.kinds(("ResourceQuota", "LimitRange"), "")
    if not limits:
        return None
    limited = {ix.namespace(o) for o in limits}
    spaces = {ix.namespace(o) for o, _ in ix.pods} | {n.name for n in ix.kind("Namespace", "")}
    open_spaces = sorted(spaces - limited, key=lambda s: s or "")
    ev = [evidence(o, ("spec",), o.kind) for o in limits[:MAX_EVIDENCE]]
    if not open_spaces:
        return outcome("effective", f"Every namespace of the set has a ResourceQuota or LimitRange ({len(limits)}).",
                       f"本组每个命名空间都受 ResourceQuota 或 LimitRange 约束(共 {len(limits)} 个)。", ev)
    names = ", ".join(short(s) if s else "(no namespace)" for s in open_spaces[:5])
    return outcome("partial", f"{len(open_spaces)} namespace(s) have no ResourceQuota or LimitRange: {names}.",
                   f"{len(open_spaces)} 个命名空间没有 ResourceQuota 或 LimitRange:{names}。", ev)
