"""Pod Security rules about kernel-level confinement: AppArmor, SELinux, seccomp, /proc, sysctls.

Severity (scheme in ``_pss.py``): high for the baseline controls (a confinement switched off
or widened), medium for the restricted seccomp requirement (K8S-024, a profile must be set).

Baseline controls forbid values wherever they are written, as Pod Security admission checks
them: a pod-level ``Unconfined`` is reported even when every container overrides it. The
restricted seccomp control resolves container-over-pod precedence: the pod-level profile
satisfies it for every container that does not override it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cnsmm.findings import Severity
from cnsmm.rules.base import Hit, RuleContext, RuleMeta, Scope, rule
from cnsmm.rules.k8s._common import PSS_BASELINE, PSS_RESTRICTED, WORKLOADS, where
from cnsmm.rules.k8s._pss import (
    CIS,
    NSA_HARDENING,
    SAFE_SYSCTLS,
    is_windows,
    option_names,
    pod_annotations,
    pod_where,
    security_contexts,
)
from cnsmm.sources.k8s import Container, PodSpec

APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"
SECCOMP_POD_ANNOTATION = "seccomp.security.alpha.kubernetes.io/pod"
SECCOMP_CONTAINER_ANNOTATION = "container.seccomp.security.alpha.kubernetes.io/"
SELINUX_TYPES = frozenset({"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"})
CONFINED = ("RuntimeDefault", "Localhost")

_CIS_SECCOMP = (
    f"{CIS}: 5.7.2 Ensure that the seccomp profile is set to docker/default in your Pod definitions"
)
_CIS_CONTEXT = f"{CIS}: 5.7.3 Apply SecurityContext to your Pods and Containers"


@rule(RuleMeta(
    id="K8S-011",
    name="apparmor-profile-overridden",
    title="AppArmor profile disabled or overridden",
    severity=Severity.HIGH,
    scope=Scope.POD,
    targets=WORKLOADS,
    requirements=("PLT.RUN.L2.1",),
    what=(
        "Flags `securityContext.appArmorProfile.type` (pod or any container) other than RuntimeDefault "
        "or Localhost, and `container.apparmor.security.beta.kubernetes.io/<name>` annotations of the "
        "pod (template) other than `runtime/default` or `localhost/<profile>`."
    ),
    why=(
        "The runtime's default AppArmor profile blocks mounts, writes to /proc and /sys and other "
        "classic escape steps; `Unconfined` removes that layer for the container."
    ),
    fix=(
        "Remove the override, or set `appArmorProfile: {type: RuntimeDefault}` (or a reviewed "
        "Localhost profile)."
    ),
    bad=(
        "metadata:\n  annotations:\n    container.apparmor.security.beta.kubernetes.io/app: unconfined\n"
        "spec:\n  securityContext:\n    appArmorProfile:\n      type: Unconfined"
    ),
    good="spec:\n  securityContext:\n    appArmorProfile:\n      type: RuntimeDefault",
    references=(f"{PSS_BASELINE}: AppArmor", NSA_HARDENING, "CWE-693"),
))
def apparmor_overridden(pod: PodSpec, ctx: RuleContext) -> Iterator[Hit]:
    """Report AppArmor profiles and annotations other than the runtime default or a local profile."""
    for sc, path, label in security_contexts(pod):
        profile = sc.get("appArmorProfile")
        kind = profile.get("type") if isinstance(profile, dict) else None
        if kind is not None and kind not in CONFINED:
            yield Hit(f"{_label(label, pod)} sets AppArmor profile type {kind}",
                      (*path, "appArmorProfile", "type"))
    annotations, ann_path = pod_annotations(pod)
    for key, value in annotations.items():
        if not (isinstance(key, str) and key.startswith(APPARMOR_ANNOTATION)):
            continue
        text = str(value).strip()
        if text == "runtime/default" or text.startswith("localhost/"):
            continue
        name = key[len(APPARMOR_ANNOTATION):]
        yield Hit(f'AppArmor annotation sets profile "{text}" for container "{name}"', (*ann_path, key))


@rule(RuleMeta(
    id="K8S-012",
    name="selinux-options-custom",
    title="Custom SELinux type, user or role",
    severity=Severity.HIGH,
    scope=Scope.POD,
    targets=WORKLOADS,
    requirements=("PLT.RUN.L2.1",),
    what=(
        "Flags `seLinuxOptions` (pod or any container) whose `type` is not container_t, container_init_t, "
        "container_kvm_t or container_engine_t, or that set a `user` or `role`. The `level` is allowed."
    ),
    why=(
        "SELinux types such as `spc_t` (super-privileged container) or `unconfined_t` lift the SELinux "
        "policy that keeps a container away from host files and processes; a custom user or role can "
        "grant the same."
    ),
    fix="Remove the `type`, `user` and `role` from `seLinuxOptions`; set only `level` when needed.",
    bad="securityContext:\n  seLinuxOptions:\n    type: spc_t",
    good='securityContext:\n  seLinuxOptions:\n    level: "s0:c123,c456"',
    references=(f"{PSS_BASELINE}: SELinux", NSA_HARDENING, "CWE-693"),
))
def selinux_custom(pod: PodSpec, ctx: RuleContext) -> Iterator[Hit]:
    """Report SELinux types outside the allowed list, and any user or role."""
    for sc, path, label in security_contexts(pod):
        options = sc.get("seLinuxOptions")
        if not isinstance(options, dict):
            continue
        kind = options.get("type")
        if kind is not None and str(kind) not in SELINUX_TYPES:
            yield Hit(f"{_label(label, pod)} sets SELinux type {kind}", (*path, "seLinuxOptions", "type"))
        for key in ("user", "role"):
            value = options.get(key)
            if value is not None and str(value) != "":
                yield Hit(f"{_label(label, pod)} sets SELinux {key} {value}", (*path, "seLinuxOptions", key))


@rule(RuleMeta(
    id="K8S-013",
    name="proc-mount-unmasked",
    title="Container uses an unmasked /proc",
    severity=Severity.HIGH,
    scope=Scope.CONTAINER,
    targets=WORKLOADS,
    requirements=("PLT.RUN.L2.1", "PLT.RUN.L1.2"),
    what="Flags `securityContext.procMount` other than `Default` on every container kind.",
    why=(
        "`Unmasked` exposes the parts of /proc that the runtime hides (kcore, sysrq-trigger, "
        "kernel keys, timer lists), which leak host information and can act on the host kernel."
    ),
    fix="Remove `procMount` or set it to `Default`.",
    bad="securityContext:\n  procMount: Unmasked",
    good="securityContext:\n  procMount: Default",
    references=(f"{PSS_BASELINE}: /proc Mount Type", NSA_HARDENING, "CWE-200"),
))
def proc_mount_unmasked(c: Container, ctx: RuleContext) -> Iterator[Hit]:
    """Report procMount values other than Default."""
    value = c.get("securityContext", "procMount")
    if value is not None and value != "Default":
        yield Hit(f"{where(c)} mounts /proc as {value}", (*c.path, "securityContext", "procMount"))


@rule(RuleMeta(
    id="K8S-014",
    name="seccomp-unconfined",
    title="Seccomp profile set to Unconfined",
    severity=Severity.HIGH,
    scope=Scope.POD,
    targets=WORKLOADS,
    requirements=("PLT.RUN.L2.1",),
    what=(
        "Flags `seccompProfile.type: Unconfined` on the pod or any container, and the legacy "
        "annotations `seccomp.security.alpha.kubernetes.io/pod` and "
        "`container.seccomp.security.alpha.kubernetes.io/<name>` set to `unconfined` (clusters before "
        "Kubernetes 1.27 still honour them, and the manifest states the intent)."
    ),
    why=(
        "Without a seccomp filter every system call of the kernel is reachable from the container, "
        "including the rarely used ones where most kernel escape vulnerabilities live."
    ),
    fix=(
        "Set `seccompProfile: {type: RuntimeDefault}` (or a reviewed Localhost profile) and remove "
        "the Unconfined override."
    ),
    bad="securityContext:\n  seccompProfile:\n    type: Unconfined",
    good="securityContext:\n  seccompProfile:\n    type: RuntimeDefault",
    references=(f"{PSS_BASELINE}: Seccomp", NSA_HARDENING, _CIS_SECCOMP, "CWE-693"),
))
def seccomp_unconfined(pod: PodSpec, ctx: RuleContext) -> Iterator[Hit]:
    """Report seccomp Unconfined in fields and legacy annotations."""
    for sc, path, label in security_contexts(pod):
        if _seccomp_type(sc) == "Unconfined":
            yield Hit(f"{_label(label, pod)} runs without seccomp (Unconfined)",
                      (*path, "seccompProfile", "type"))
    annotations, ann_path = pod_annotations(pod)
    for key, value in annotations.items():
        if not isinstance(key, str) or str(value).strip().lower() != "unconfined":
            continue
        if key == SECCOMP_POD_ANNOTATION:
            yield Hit("legacy seccomp annotation disables seccomp for the whole pod "
                      "(honoured by clusters before Kubernetes 1.27)", (*ann_path, key))
        elif key.startswith(SECCOMP_CONTAINER_ANNOTATION):
            name = key[len(SECCOMP_CONTAINER_ANNOTATION):]
            yield Hit(f'legacy seccomp annotation disables seccomp for container "{name}" '
                      "(honoured by clusters before Kubernetes 1.27)", (*ann_path, key))


@rule(RuleMeta(
    id="K8S-015",
    name="unsafe-sysctl",
    title="Pod sets a sysctl outside the safe set",
    severity=Severity.HIGH,
    scope=Scope.POD,
    targets=WORKLOADS,
    requirements=("PLT.RUN.L1.2", "INF.CMP.L1.1"),
    what=(
        "Flags `spec.securityContext.sysctls[].name` outside the baseline safe set ("
        + ", ".join(sorted(SAFE_SYSCTLS))
        + ") and the names listed in the `allowed_sysctls` option."
    ),
    why=(
        "Sysctls outside the safe set are not isolated per pod: they change the kernel of the whole "
        "node (all other pods included) or switch off protections."
    ),
    fix="Remove the sysctl from the pod; tune the node itself if the whole node needs the setting.",
    bad="securityContext:\n  sysctls:\n    - name: kernel.msgmax\n      value: \"65536\"",
    good=(
        "securityContext:\n  sysctls:\n    - name: net.ipv4.ip_local_port_range\n"
        "      value: \"32768 60999\""
    ),
    references=(f"{PSS_BASELINE}: Sysctls", NSA_HARDENING, "CWE-668"),
    options={"allowed_sysctls": "Sysctl names accepted besides the safe set (for nodes that allow them)."},
))
def unsafe_sysctl(pod: PodSpec, ctx: RuleContext) -> Iterator[Hit]:
    """Report sysctls outside the safe set and the allowed list."""
    sysctls = pod.get("securityContext", "sysctls")
    if not isinstance(sysctls, list):
        return
    allowed = option_names(ctx, "allowed_sysctls")
    for i, item in enumerate(sysctls):
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str) or not name.strip():
            continue
        dotted = name.strip().replace("/", ".")
        if dotted in SAFE_SYSCTLS or dotted in allowed or name in allowed:
            continue
        yield Hit(f"{pod_where(pod)} sets sysctl {name}, outside the safe set",
                  (*pod.path, "securityContext", "sysctls", i, "name"))


@rule(RuleMeta(
    id="K8S-024",
    name="seccomp-profile-missing",
    title="No seccomp profile (RuntimeDefault or Localhost)",
    severity=Severity.MEDIUM,
    scope=Scope.POD,
    targets=WORKLOADS,
    requirements=("PLT.RUN.L2.1",),
    what=(
        "Flags containers of every kind whose effective `seccompProfile.type` (the container's, else "
        "the pod's) is not RuntimeDefault or Localhost. `Unconfined` is reported by K8S-014 instead. "
        "The legacy annotations (`seccomp.security.alpha.kubernetes.io/pod`, "
        "`container.seccomp.security.alpha.kubernetes.io/<name>` set to `runtime/default`, "
        "`docker/default` or `localhost/<file>`) count as a profile where no field is set: clusters "
        "before 1.27 apply them. One finding on the pod when no container sets a profile. Windows "
        "pods are exempt."
    ),
    why=(
        "Kubernetes runs containers without seccomp unless a profile is requested, so every system "
        "call of the kernel stays reachable; the restricted profile requires RuntimeDefault or a "
        "Localhost profile."
    ),
    fix="Set `securityContext.seccompProfile.type: RuntimeDefault` at pod level (or on each container).",
    bad="spec:\n  containers:\n    - name: app\n      image: app:1.0",
    good="spec:\n  securityContext:\n    seccompProfile:\n      type: RuntimeDefault",
    references=(f"{PSS_RESTRICTED}: Seccomp", NSA_HARDENING, _CIS_SECCOMP, _CIS_CONTEXT, "CWE-693"),
))
def seccomp_missing(pod: PodSpec, ctx: RuleContext) -> Iterator[Hit]:
    """Report containers without an effective RuntimeDefault or Localhost profile (Linux pods)."""
    if is_windows(pod):
        return
    annotations, _ = pod_annotations(pod)
    pod_type = _seccomp_type(pod.get("securityContext")) or _legacy_seccomp(annotations.get(SECCOMP_POD_ANNOTATION))
    if pod_type is not None and pod_type not in CONFINED and pod_type != "Unconfined":
        yield Hit(
            f"{pod_where(pod)} sets seccomp profile type {pod_type} (needs RuntimeDefault or Localhost)",
            (*pod.path, "securityContext", "seccompProfile", "type"),
        )
    containers = list(pod.containers())
    owns = [
        _seccomp_type(c.get("securityContext"))
        or _legacy_seccomp(annotations.get(SECCOMP_CONTAINER_ANNOTATION + c.name))
        for c in containers
    ]
    if pod_type is None and containers and all(own is None for own in owns):
        yield Hit(f"{pod_where(pod)} sets no seccomp profile for its containers",
                  (*pod.path, "securityContext", "seccompProfile"))
        return
    for c, own in zip(containers, owns, strict=True):
        if own is None and pod_type is None:
            yield Hit(f"{where(c)} has no seccomp profile (needs RuntimeDefault or Localhost)",
                      (*c.path, "securityContext", "seccompProfile"))
        elif own is not None and own not in CONFINED and own != "Unconfined":
            yield Hit(f"{where(c)} sets seccomp profile type {own} (needs RuntimeDefault or Localhost)",
                      (*c.path, "securityContext", "seccompProfile", "type"))


def _legacy_seccomp(value: Any) -> str | None:
    """The profile type a legacy seccomp annotation value stands for, or None."""
    text = str(value or "").strip().lower()
    if text in ("runtime/default", "docker/default"):
        return "RuntimeDefault"
    if text.startswith("localhost/") and len(text) > len("localhost/"):
        return "Localhost"
    return "Unconfined" if text == "unconfined" else None


def _seccomp_type(sc: Any) -> str | None:
    if not isinstance(sc, dict) or not isinstance(sc.get("seccompProfile"), dict):
        return None
    value = sc["seccompProfile"].get("type")
    return str(value) if value is not None else None


def _label(label: str, pod: PodSpec) -> str:
    return pod_where(pod) if label == "pod" else label
