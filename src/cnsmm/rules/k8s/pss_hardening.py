"""Pod Security rules about volume types, privilege escalation and container hardening.

Severity (scheme in ``_pss.py``): the restricted controls (K8S-020 volume types, K8S-021
privilege escalation) are medium; the defence-in-depth extras outside the standards (K8S-030
read-only root filesystem, K8S-033 shared process namespace) are low. Privilege escalation and
the read-only root filesystem are Linux-only: pods with ``spec.os.name: windows`` are exempt.
"""

from __future__ import annotations

from collections.abc import Iterator

from cnsmm.findings import Severity
from cnsmm.rules.base import Hit, RuleContext, RuleMeta, Scope, rule
from cnsmm.rules.k8s._common import PSS_RESTRICTED, WORKLOADS, where
from cnsmm.rules.k8s._pss import CIS, NSA_ENFORCEMENT, NSA_HARDENING, NSA_IMMUTABLE, is_windows, pod_where
from cnsmm.sources.k8s import Container, PodSpec

RESTRICTED_VOLUME_TYPES = frozenset({
    "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected",
    "secret",
})
"""Volume types the restricted profile allows."""


@rule(RuleMeta(
    id="K8S-020",
    name="volume-type-not-restricted",
    title="Volume type outside the restricted list",
    severity=Severity.MEDIUM,
    scope=Scope.POD,
    targets=WORKLOADS,
    requirements=("PLT.RUN.L1.2", "INF.STO.L2.1"),
    what=(
        "Flags pod volumes of any type other than configMap, csi, downwardAPI, emptyDir, ephemeral, "
        "persistentVolumeClaim, projected and secret (nfs, iscsi, gitRepo, cephfs, rbd, "
        "awsElasticBlockStore...). "
        "hostPath volumes are reported by K8S-008/K8S-009."
    ),
    why=(
        "Inline storage volumes connect the pod straight to a storage backend with credentials and "
        "options the workload chooses, bypassing the PersistentVolume layer where administrators "
        "control access; `gitRepo` runs git on the node as root and has allowed code execution."
    ),
    fix="Use a PersistentVolumeClaim bound to an administrator-provided PersistentVolume or StorageClass.",
    bad="volumes:\n  - name: data\n    nfs:\n      server: nfs.example.com\n      path: /exports",
    good="volumes:\n  - name: data\n    persistentVolumeClaim:\n      claimName: data",
    references=(f"{PSS_RESTRICTED}: Volume Types", NSA_ENFORCEMENT, "CWE-668"),
))
def volume_type_not_restricted(pod: PodSpec, ctx: RuleContext) -> Iterator[Hit]:
    """Report volume types outside the restricted list (hostPath excepted)."""
    volumes = pod.get("volumes")
    if not isinstance(volumes, list):
        return
    for i, volume in enumerate(volumes):
        if not isinstance(volume, dict):
            continue
        name = volume.get("name") or "?"
        for key in volume:
            if key in ("name", "hostPath") or key in RESTRICTED_VOLUME_TYPES:
                continue
            yield Hit(f'{pod_where(pod)} uses a {key} volume ("{name}"), outside the restricted volume types',
                      (*pod.path, "volumes", i, key))


@rule(RuleMeta(
    id="K8S-021",
    name="privilege-escalation-allowed",
    title="Privilege escalation not disabled",
    severity=Severity.MEDIUM,
    scope=Scope.CONTAINER,
    targets=WORKLOADS,
    requirements=("PLT.RUN.L2.1",),
    what=(
        "Flags containers, init containers and ephemeral containers whose "
        "`securityContext.allowPrivilegeEscalation` is not explicitly false (there is no pod-level "
        "field). Windows pods are exempt."
    ),
    why=(
        "Unless it is false the container process can gain privileges through setuid binaries and "
        "file capabilities (`no_new_privs` is not set): a foothold as an unprivileged user becomes "
        "root inside the container."
    ),
    fix="Set `securityContext.allowPrivilegeEscalation: false` on every container.",
    bad="securityContext:\n  runAsNonRoot: true",
    good="securityContext:\n  runAsNonRoot: true\n  allowPrivilegeEscalation: false",
    references=(
        f"{PSS_RESTRICTED}: Privilege Escalation",
        NSA_HARDENING,
        f"{CIS}: 5.2.6 Minimize the admission of containers with allowPrivilegeEscalation",
        "CWE-269",
    ),
))
def privilege_escalation_allowed(c: Container, ctx: RuleContext) -> Iterator[Hit]:
    """Report containers without allowPrivilegeEscalation: false (Linux pods)."""
    if is_windows(c.pod):
        return
    value = c.get("securityContext", "allowPrivilegeEscalation")
    if value is False:
        return
    if value is None:
        yield Hit(f"{where(c)} does not set allowPrivilegeEscalation: false",
                  (*c.path, "securityContext", "allowPrivilegeEscalation"))
    else:
        yield Hit(f"{where(c)} allows privilege escalation (allowPrivilegeEscalation: {str(value).lower()})",
                  (*c.path, "securityContext", "allowPrivilegeEscalation"))


@rule(RuleMeta(
    id="K8S-030",
    name="writable-root-filesystem",
    title="Container root filesystem is writable",
    severity=Severity.LOW,
    scope=Scope.CONTAINER,
    targets=WORKLOADS,
    containers=("container", "init"),
    requirements=("PLT.RUN.L2.2",),
    what=(
        "Flags containers and init containers without `securityContext.readOnlyRootFilesystem: true`. "
        "Ephemeral (debugging) containers and Windows pods are exempt."
    ),
    why=(
        "A writable root filesystem lets an intruder drop and run tools, alter binaries and "
        "configuration, and persist until the container restarts; with a read-only root only the "
        "volumes you declare can be written, which also limits what can run in the container."
    ),
    fix=(
        "Set `readOnlyRootFilesystem: true` and mount an emptyDir at each path the application "
        "writes (/tmp, caches)."
    ),
    bad="securityContext:\n  allowPrivilegeEscalation: false",
    good=(
        "securityContext:\n  readOnlyRootFilesystem: true\nvolumeMounts:\n  - name: tmp\n"
        "    mountPath: /tmp"
    ),
    references=(NSA_IMMUTABLE, f"{CIS}: 5.7.3 Apply SecurityContext to your Pods and Containers", "CWE-732"),
))
def writable_root_filesystem(c: Container, ctx: RuleContext) -> Iterator[Hit]:
    """Report containers without readOnlyRootFilesystem: true (Linux pods)."""
    if is_windows(c.pod):
        return
    value = c.get("securityContext", "readOnlyRootFilesystem")
    if value is True:
        return
    shown = "" if value is None else f" (readOnlyRootFilesystem: {str(value).lower()})"
    yield Hit(f"{where(c)} has a writable root filesystem{shown}",
              (*c.path, "securityContext", "readOnlyRootFilesystem"))


@rule(RuleMeta(
    id="K8S-033",
    name="process-namespace-shared",
    title="Containers of the pod share one process namespace",
    severity=Severity.LOW,
    scope=Scope.POD,
    targets=WORKLOADS,
    requirements=("PLT.RUN.L1.2",),
    what="Flags pods with `spec.shareProcessNamespace: true`.",
    why=(
        "Every container of the pod then sees the others' processes and, through /proc/<pid>/root and "
        "/proc/<pid>/environ, their filesystems and secrets: a compromised sidecar reaches the main "
        "application's credentials and can signal its processes."
    ),
    fix="Remove `shareProcessNamespace: true` unless a debugging or init-system need is documented.",
    bad="spec:\n  shareProcessNamespace: true",
    good="spec:\n  shareProcessNamespace: false",
    references=(NSA_HARDENING, "CWE-668"),
))
def process_namespace_shared(pod: PodSpec, ctx: RuleContext) -> Iterator[Hit]:
    """Report shareProcessNamespace: true."""
    if pod.get("shareProcessNamespace") is True:
        yield Hit(f"{pod_where(pod)} shares one process namespace between its containers",
                  (*pod.path, "shareProcessNamespace"))
