"""Shared data and helpers of the Pod Security rules (K8S-001 to K8S-049).

Severity scheme of the family:

- critical: a direct path to the node (host takeover): privileged and HostProcess containers,
  the host's root filesystem mounted, dangerous capabilities, hostPID together with
  process-control powers;
- high: any other violation of the Pod Security Standards *baseline* profile;
- medium: controls that only the *restricted* profile adds;
- low: defence-in-depth settings outside the standards (read-only root filesystem, root
  group, low UIDs, shared process namespace).

One setting gives one finding: where a higher-severity rule of the family already reports a
value (``SYS_ADMIN`` added, ``/`` mounted, seccomp ``Unconfined``), the broader rule leaves
that value to it.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Iterator
from typing import Any

from cnsmm.rules.base import RuleContext
from cnsmm.rules.k8s._common import NSA, where
from cnsmm.sources.k8s import Container, PodSpec, dig

CIS = "CIS Kubernetes Benchmark v1.9"
"""Prefix of CIS references (``f"{CIS}: 5.2.2 ..."``)."""

NSA_ENFORCEMENT = f"{NSA} (v1.2): Kubernetes Pod security - Pod security enforcement"
NSA_NON_ROOT = f"{NSA} (v1.2): Kubernetes Pod security - Non-root containers and rootless container engines"
NSA_IMMUTABLE = f"{NSA} (v1.2): Kubernetes Pod security - Immutable container file systems"
NSA_HARDENING = f"{NSA} (v1.2): Kubernetes Pod security - Hardening container environments"

BASELINE_CAPABILITIES = frozenset({
    "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
    "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
})
"""Capabilities the baseline profile lets a container add (the container runtime defaults)."""

DANGEROUS_CAPABILITIES: dict[str, str] = {
    "ALL": "every capability, the same power as a privileged container",
    "SYS_ADMIN": "mount, namespaces, BPF and most of root's power; the classic escape path",
    "NET_ADMIN": "reconfigure interfaces, routes and firewall rules of the network namespace",
    "SYS_PTRACE": "trace and inject code into other processes",
    "SYS_MODULE": "load kernel modules, that is run code in the host kernel",
    "SYS_RAWIO": "raw I/O on devices and kernel memory",
    "SYS_BOOT": "reboot the node or load a new kernel",
    "BPF": "load BPF programs into the host kernel",
    "PERFMON": "observe other processes and the kernel through perf",
    "DAC_READ_SEARCH": "open host files by handle (the 'shocker' escape)",
    "MAC_ADMIN": "change the AppArmor/SELinux policy that confines containers",
    "MAC_OVERRIDE": "bypass the AppArmor/SELinux policy",
    "SYSLOG": "read kernel addresses and the kernel log",
}
"""Capabilities that give a path to the node or to other workloads, with what they allow."""

SAFE_SYSCTLS = frozenset({
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_wmem",
})
"""The safe sysctls of the baseline profile (Kubernetes 1.32)."""

_WINDOWS_DRIVE_ROOT = re.compile(r"^[A-Za-z]:[\\/]*$")


def as_int(value: Any) -> int | None:
    """``value`` when it is a real integer (YAML ``true`` is not 0 or 1), else None."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def is_windows(pod: PodSpec) -> bool:
    """True when the pod declares ``spec.os.name: windows`` (Linux-only controls do not apply)."""
    name = pod.get("os", "name")
    return isinstance(name, str) and name.strip().lower() == "windows"


def is_host_root(path: Any) -> bool:
    """True for the root of the node's filesystem (``/``, ``//``, ``/.``, ``C:\\``)."""
    if not isinstance(path, str) or not path.strip():
        return False
    text = path.strip()
    if _WINDOWS_DRIVE_ROOT.match(text):
        return True
    return text.startswith("/") and posixpath.normpath(text).strip("/") in ("", ".")


def normalise_capability(value: Any) -> str:
    """``cap_sys_admin`` -> ``SYS_ADMIN`` (runtimes accept both spellings)."""
    name = str(value).strip().upper()
    return name[4:] if name.startswith("CAP_") else name


def added_capabilities(c: Container) -> Iterator[tuple[int, str, str]]:
    """``(index, normalised name, name as written)`` of each ``capabilities.add`` entry."""
    items = c.get("securityContext", "capabilities", "add")
    if not isinstance(items, list):
        return
    for i, item in enumerate(items):
        if isinstance(item, str | int) and not isinstance(item, bool) and str(item).strip():
            yield i, normalise_capability(item), str(item)


def security_contexts(pod: PodSpec) -> Iterator[tuple[dict[str, Any], tuple[Any, ...], str]]:
    """The pod's securityContext and each container's (all kinds), with path and a label.

    Yields ``(securityContext mapping, its path, "pod" | 'container "app"' ...)`` for each
    securityContext that is a mapping, pod first.
    """
    pod_sc = pod.get("securityContext")
    if isinstance(pod_sc, dict):
        yield pod_sc, (*pod.path, "securityContext"), "pod"
    for c in pod.containers():
        sc = c.get("securityContext")
        if isinstance(sc, dict):
            yield sc, (*c.path, "securityContext"), where(c)


def pod_annotations(pod: PodSpec) -> tuple[dict[str, Any], tuple[Any, ...]]:
    """Annotations the pods will carry (the template's, or the Pod's own) and their path."""
    path = (*pod.path[:-1], "metadata", "annotations")  # a Pod's spec is at ("spec",)
    found = dig(pod.obj.doc, path)
    return (found if isinstance(found, dict) else {}), path


def pod_where(pod: PodSpec) -> str:
    """``pod template of Deployment "web"`` / ``Pod "web"`` for messages."""
    obj = pod.obj
    if obj.kind == "Pod":
        return f'Pod "{obj.name}"'
    return f'pod template of {obj.kind} "{obj.name}"'


def option_int(ctx: RuleContext, key: str, default: int) -> int:
    """An integer option; a value of the wrong type falls back to ``default``."""
    value = as_int(ctx.option(key, default))
    return default if value is None else value


def option_names(ctx: RuleContext, key: str) -> frozenset[str]:
    """A list-of-strings option as a set; anything else counts as empty."""
    value = ctx.option(key, ())
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, Iterable):
        return frozenset()
    return frozenset(str(v).strip() for v in value if isinstance(v, str | int) and str(v).strip())
