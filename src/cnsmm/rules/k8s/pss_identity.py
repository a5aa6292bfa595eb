"""Pod Security rules about the user and groups containers run as.

Severity (scheme in ``_pss.py``): the restricted controls (K8S-022 runAsNonRoot, K8S-023
UID 0) are medium; the defence-in-depth extras (K8S-031 root group, K8S-032 low UID, K8S-034
Windows administrator account) are low.

Precedence follows Kubernetes: a container's ``securityContext`` field wins over the pod's,
and a pod-level value applies to every container that does not set its own. Values that the
standards forbid wherever they are written (``runAsUser: 0``, ``runAsNonRoot: false``) are
reported on the field that holds them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cnsmm.findings import Severity
from cnsmm.rules.base import Hit, RuleContext, RuleMeta, Scope, rule
from cnsmm.rules.k8s._common import PSS_RESTRICTED, WORKLOADS, effective, where
from cnsmm.rules.k8s._pss import (
    CIS,
    NSA_NON_ROOT,
    as_int,
    is_windows,
    option_int,
    pod_where,
    security_contexts,
)
from cnsmm.sources.k8s import PodSpec

_CIS_ROOT = f"{CIS}: 5.2.7 Minimize the admission of root containers"
DEFAULT_MIN_UID = 10000


@rule(RuleMeta(
    id="K8S-022",
    name="run-as-non-root-not-required",
    title="Containers may run as root (runAsNonRoot not true)",
    severity=Severity.MEDIUM,
    scope=Scope.POD,
    targets=WORKLOADS,
    requirements=("PLT.RUN.L2.1",),
    what=(
        "Flags containers of every kind whose effective `runAsNonRoot` is not true: set to false on the "
        "pod or the container, or set nowhere. A pod-level `runAsNonRoot: true` covers every container "
        "that does not override it with false. One finding on the pod when nothing sets it."
    ),
    why=(
        "Without `runAsNonRoot: true` the kubelet starts the image's user, which is root for most "
        "images; root in the container is root on the node after any escape, and owns every file the "
        "container can reach. Only `runAsNonRoot` makes the kubelet refuse to start a root process."
    ),
    fix=(
        "Set `securityContext.runAsNonRoot: true` on the pod, and a non-zero `runAsUser` or a numeric "
        "USER in the image."
    ),
    bad="spec:\n  containers:\n    - name: app\n      image: app:1.0",
    good="spec:\n  securityContext:\n    runAsNonRoot: true\n    runAsUser: 10001",
    references=(f"{PSS_RESTRICTED}: Running as Non-root", NSA_NON_ROOT, _CIS_ROOT, "CWE-250"),
))
def run_as_non_root_not_required(pod: PodSpec, ctx: RuleContext) -> Iterator[Hit]:
    """Report runAsNonRoot false, or unset where the pod does not set it true."""
    pod_value = pod.get("securityContext", "runAsNonRoot")
    if pod_value is not None and pod_value is not True:
        yield Hit(f"{pod_where(pod)} sets runAsNonRoot: {_show(pod_value)} at pod level",
                  (*pod.path, "securityContext", "runAsNonRoot"))
    containers = list(pod.containers())
    unset = []
    for c in containers:
        own = c.get("securityContext", "runAsNonRoot")
        if own is None:
            if pod_value is None:
                unset.append(c)
        elif own is not True:
            yield Hit(f"{where(c)} sets runAsNonRoot: {_show(own)}",
                      (*c.path, "securityContext", "runAsNonRoot"))
    if not unset:
        return
    if len(unset) == len(containers):
        yield Hit(f"{pod_where(pod)} does not set runAsNonRoot: true; its containers may run as root",
                  (*pod.path, "securityContext", "runAsNonRoot"))
        return
    for c in unset:
        uid, _ = effective(c, "runAsUser")
        note = ""
        if as_int(uid):
            note = f" (runAsUser {uid} is non-zero, but the restricted profile requires runAsNonRoot)"
        yield Hit(f"{where(c)} does not set runAsNonRoot: true{note}",
                  (*c.path, "securityContext", "runAsNonRoot"))


@rule(RuleMeta(
    id="K8S-023",
    name="runs-as-uid-0",
    title="Runs as UID 0 (runAsUser: 0)",
    severity=Severity.MEDIUM,
    scope=Scope.POD,
    targets=WORKLOADS,
    requirements=("PLT.RUN.L2.1",),
    what=(
        "Flags `runAsUser: 0` on the pod or on any container, init container or ephemeral container. "
        "A pod-level 0 is reported even when containers override it, as Pod Security admission does."
    ),
    why=(
        "The process is explicitly root: it owns every file the container can reach, can use every "
        "capability the container keeps, and is root on the node after any escape."
    ),
    fix="Set `runAsUser` to a non-zero UID the image supports (10000 or above) and `runAsNonRoot: true`.",
    bad="securityContext:\n  runAsUser: 0",
    good="securityContext:\n  runAsNonRoot: true\n  runAsUser: 10001",
    references=(f"{PSS_RESTRICTED}: Running as Non-root user", NSA_NON_ROOT, _CIS_ROOT, "CWE-250"),
))
def runs_as_uid_0(pod: PodSpec, ctx: RuleContext) -> Iterator[Hit]:
    """Report runAsUser: 0 on the pod and on each container."""
    for sc, path, label in security_contexts(pod):
        if as_int(sc.get("runAsUser")) == 0:
            who = pod_where(pod) if label == "pod" else label
            yield Hit(f"{who} runs as UID 0 (root)", (*path, "runAsUser"))


@rule(RuleMeta(
    id="K8S-031",
    name="root-group",
    title="Runs with the root group (GID 0)",
    severity=Severity.LOW,
    scope=Scope.POD,
    targets=WORKLOADS,
    requirements=("PLT.RUN.L2.1",),
    what=(
        "Flags `runAsGroup: 0` (pod or any container), `fsGroup: 0` and a 0 in `supplementalGroups`. "
        "Windows pods are exempt."
    ),
    why=(
        "Group 0 reaches every file that is group-owned by root, in the image and on mounted volumes "
        "(and on the node after an escape); `fsGroup: 0` also makes the volumes root-group owned."
    ),
    fix="Use non-zero group ids for `runAsGroup`, `fsGroup` and `supplementalGroups` (10000 or above).",
    bad="securityContext:\n  runAsGroup: 0\n  fsGroup: 0",
    good="securityContext:\n  runAsGroup: 10001\n  fsGroup: 10001",
    references=(
        f"{PSS_RESTRICTED}: Non-root groups (optional control of earlier releases)",
        NSA_NON_ROOT,
        "CWE-250",
    ),
))
def root_group(pod: PodSpec, ctx: RuleContext) -> Iterator[Hit]:
    """Report group id 0 in runAsGroup, fsGroup and supplementalGroups (Linux pods)."""
    if is_windows(pod):
        return
    for sc, path, label in security_contexts(pod):
        who = pod_where(pod) if label == "pod" else label
        keys = ("runAsGroup", "fsGroup") if label == "pod" else ("runAsGroup",)
        for key in keys:
            if as_int(sc.get(key)) == 0:
                yield Hit(f"{who} sets {key}: 0 (root group)", (*path, key))
        groups = sc.get("supplementalGroups") if label == "pod" else None
        if isinstance(groups, list):
            for i, gid in enumerate(groups):
                if as_int(gid) == 0:
                    yield Hit(f"{who} adds the root group (0) to supplementalGroups",
                              (*path, "supplementalGroups", i))


@rule(RuleMeta(
    id="K8S-032",
    name="low-uid",
    title="Runs as a low UID that can collide with node users",
    severity=Severity.LOW,
    scope=Scope.POD,
    targets=WORKLOADS,
    requirements=("PLT.RUN.L2.1",),
    what=(
        "Flags containers whose effective `runAsUser` (the container's, else the pod's) is between 1 "
        "and the `min_run_as_user` option (default 10000, exclusive). UID 0 is K8S-023's. Windows "
        "pods are exempt."
    ),
    why=(
        "UIDs below 10000 are the node's own system and human users. Without user namespaces a "
        "process that escapes the container keeps its UID, and then owns that node user's files "
        "and processes."
    ),
    fix="Run as a UID of 10000 or above that exists in no node's /etc/passwd (or enable user namespaces).",
    bad="securityContext:\n  runAsUser: 1000",
    good="securityContext:\n  runAsUser: 10001",
    references=(NSA_NON_ROOT, "CWE-250"),
    options={"min_run_as_user": "Lowest UID considered safe (default 10000)."},
))
def low_uid(pod: PodSpec, ctx: RuleContext) -> Iterator[Hit]:
    """Report effective UIDs between 1 and the configured minimum (Linux pods)."""
    if is_windows(pod):
        return
    threshold = option_int(ctx, "min_run_as_user", DEFAULT_MIN_UID)
    seen: set[tuple[Any, ...]] = set()
    for c in pod.containers():
        value, path = effective(c, "runAsUser")
        uid = as_int(value)
        if uid is None or not 0 < uid < threshold or path in seen:
            continue
        seen.add(path)
        who = where(c) if path[: len(c.path)] == c.path else f"{pod_where(pod)} (pod-level, inherited)"
        yield Hit(f"{who} runs as UID {uid}, below {threshold}", path)


@rule(RuleMeta(
    id="K8S-034",
    name="windows-container-administrator",
    title="Windows container runs as ContainerAdministrator",
    severity=Severity.LOW,
    scope=Scope.POD,
    targets=WORKLOADS,
    requirements=("PLT.RUN.L2.1",),
    what=(
        "Flags an effective `securityContext.windowsOptions.runAsUserName` (the container's, else the "
        "pod's) of ContainerAdministrator or Administrator, on every container kind. It is the Windows "
        "counterpart of K8S-023, since the Linux user controls do not apply to Windows pods; "
        "HostProcess accounts are K8S-002's."
    ),
    why=(
        "ContainerAdministrator is the administrator of the container: it can change anything in "
        "the container's filesystem and registry and is the starting point of Windows container "
        "escapes. Applications rarely need it; ContainerUser is the unprivileged account."
    ),
    fix="Set `windowsOptions.runAsUserName: ContainerUser` (or a dedicated account) at pod level.",
    bad="securityContext:\n  windowsOptions:\n    runAsUserName: ContainerAdministrator",
    good="securityContext:\n  windowsOptions:\n    runAsUserName: ContainerUser",
    references=(NSA_NON_ROOT, "CWE-250"),
))
def windows_container_administrator(pod: PodSpec, ctx: RuleContext) -> Iterator[Hit]:
    """Report effective Windows administrator accounts."""
    seen: set[tuple[Any, ...]] = set()
    pod_user = pod.get("securityContext", "windowsOptions", "runAsUserName")
    for c in pod.containers():
        own = c.get("securityContext", "windowsOptions", "runAsUserName")
        if own is not None:
            user, path, who = own, (*c.path, "securityContext", "windowsOptions", "runAsUserName"), where(c)
        elif pod_user is not None:
            user = pod_user
            path = (*pod.path, "securityContext", "windowsOptions", "runAsUserName")
            who = f"{pod_where(pod)} (pod-level, inherited)"
        else:
            continue
        if path in seen or str(user).strip().lower() not in _WINDOWS_ADMINS:
            continue
        seen.add(path)
        yield Hit(f"{who} runs as Windows user {user}", path)


_WINDOWS_ADMINS = frozenset({"containeradministrator", "administrator"})


def _show(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else repr(value)
