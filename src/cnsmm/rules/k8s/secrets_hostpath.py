"""hostPath volumes that hand the node's secrets to a pod: container runtime sockets and
sensitive host directories.

Paths are compared after normalisation (``//`` and trailing ``/`` removed, ``.`` segments
dropped). Every hostPath is a Pod Security Standards baseline violation; these rules single out
the mounts that are a direct path to node or cluster takeover.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from cnsmm.findings import Severity
from cnsmm.rules.base import Hit, RuleContext, RuleMeta, Scope, rule
from cnsmm.rules.k8s._common import NSA, PSS_BASELINE, WORKLOADS
from cnsmm.sources.k8s import PodSpec

RUNTIME_SOCKETS = (
    "/var/run/docker.sock", "/run/docker.sock", "/var/run/containerd/containerd.sock",
    "/run/containerd/containerd.sock", "/var/run/crio/crio.sock", "/run/crio/crio.sock",
    "/var/run/cri-dockerd.sock", "/run/cri-dockerd.sock", "/var/run/dockershim.sock",
    "/run/k3s/containerd/containerd.sock", "/var/run/podman/podman.sock", "/run/podman/podman.sock",
    "/var/snap/microk8s/common/run/containerd.sock",
)
"""Sockets of Docker, containerd, CRI-O, cri-dockerd, k3s and Podman."""
SOCKET_ROOTS = ("/run", "/var/run")
"""A directory between these and a socket exposes the socket too."""

SENSITIVE_EXACT = {
    "/": "the node's whole file system",
    "/etc": "the node's configuration, including /etc/shadow and kubelet credentials",
    "/proc": "every host process (environment variables, memory maps, namespaces)",
    "/sys": "kernel and device settings of the node",
    "/dev": "the node's devices, including its disks",
    "/boot": "the node's kernel and boot loader",
    "/root": "the root user's home (SSH keys, cloud credentials, kubeconfig)",
    "/home": "every user's home directory (SSH keys, credentials)",
    "/var": "container data, logs and kubelet state of every pod",
    "/var/lib": "container data and kubelet state of every pod",
}
SENSITIVE_TREES = {
    "/var/lib/kubelet": "kubelet credentials and every pod's mounted secrets and tokens",
    "/var/lib/docker": "every container's file system",
    "/var/lib/containerd": "every container's file system",
    "/var/lib/etcd": "the cluster database with every secret",
    "/etc/kubernetes": "control-plane certificates and kubeconfig files",
    "/root": "the root user's home (SSH keys, cloud credentials, kubeconfig)",
    "/etc/ssh": "the node's SSH host keys and configuration",
    "/etc/shadow": "password hashes of the node's users",
    "/etc/sudoers": "sudo rules of the node",
}
HOSTPATH_REQUIREMENTS = ("PLT.RUN.L2.1", "INF.CMP.L1.1")
"""特权容器与特权行为限制; 计算资源隔离."""


def normalise(path: str) -> str:
    """``/var/run//docker.sock/`` -> ``/var/run/docker.sock``."""
    return "/" + posixpath.normpath("/" + path.strip()).lstrip("/")


def host_paths(pod: PodSpec) -> Iterator[tuple[str, str, tuple[object, ...]]]:
    """(volume name, normalised path, path of ``hostPath.path``) per hostPath volume."""
    volumes = pod.get("volumes")
    if not isinstance(volumes, list):
        return
    for i, vol in enumerate(volumes):
        host = vol.get("hostPath") if isinstance(vol, dict) else None
        if isinstance(host, dict) and isinstance(host.get("path"), str) and host["path"].strip():
            yield str(vol.get("name") or "?"), normalise(host["path"]), (*pod.path, "volumes", i, "hostPath", "path")


def exposes_socket(path: str) -> str | None:
    """The runtime socket reachable through ``path``, or None."""
    for sock in RUNTIME_SOCKETS:
        if path == sock:
            return sock
        if sock.startswith(path + "/") and any(path == r or path.startswith(r + "/") for r in SOCKET_ROOTS):
            return sock
    return None


def sensitive(path: str) -> str | None:
    """What a mount of ``path`` gives access to, or None."""
    if path in SENSITIVE_EXACT:
        return SENSITIVE_EXACT[path]
    for tree, what in SENSITIVE_TREES.items():
        if path == tree or path.startswith(tree + "/"):
            return what
    if "/.ssh" in path + "/" and (path.endswith("/.ssh") or "/.ssh/" in path):
        return "SSH keys"
    return None


@rule(RuleMeta(
    id="K8S-093",
    name="container-runtime-socket-mount",
    title="Container runtime socket mounted into a pod",
    severity=Severity.CRITICAL,
    scope=Scope.POD,
    targets=WORKLOADS,
    requirements=HOSTPATH_REQUIREMENTS,
    what=(
        "Flags hostPath volumes of the Docker, containerd, CRI-O, cri-dockerd, k3s or Podman socket, "
        "or of a directory under /run or /var/run that contains one."
    ),
    why=(
        "The runtime socket is root on the node: through it a process can start a privileged "
        "container with the host's file system, read every container's secrets and escape any "
        "isolation Kubernetes sets."
    ),
    fix=(
        "Remove the mount; build images with rootless tools (BuildKit rootless, Kaniko, Buildah) and "
        "read runtime data through the kubelet or CRI APIs."
    ),
    bad="volumes:\n- name: docker\n  hostPath: {path: /var/run/docker.sock}",
    good="# build with rootless BuildKit in its own pod; no host socket",
    references=(f"{PSS_BASELINE}: HostPath Volumes", f"{NSA}: Kubernetes Pod security", "CWE-250"),
))
def runtime_socket_mount(pod: PodSpec, ctx: RuleContext) -> Iterator[Hit]:
    for name, path, where in host_paths(pod):
        sock = exposes_socket(path)
        if sock is not None:
            via = "" if sock == path else f" (which contains {sock})"
            yield Hit(f'volume "{name}" mounts the container runtime socket {path}{via} from the node', where)


@rule(RuleMeta(
    id="K8S-094",
    name="sensitive-hostpath-mount",
    title="Sensitive host directory mounted into a pod",
    severity=Severity.HIGH,
    scope=Scope.POD,
    targets=WORKLOADS,
    requirements=HOSTPATH_REQUIREMENTS,
    what=(
        "Flags hostPath volumes of /, /etc, /proc, /sys, /dev, /boot, /root, /home, /var, /var/lib, "
        "anything under /var/lib/kubelet, /var/lib/docker, /var/lib/containerd, /var/lib/etcd, "
        "/etc/kubernetes, /etc/ssh, and any `.ssh` directory. Narrow mounts such as /etc/localtime or "
        "/etc/ssl/certs are not reported here (the baseline hostPath rule still applies)."
    ),
    why=(
        "These directories hold the node's credentials and every pod's secrets; a process that can "
        "read them (readOnly does not help) can impersonate the kubelet or other workloads, and one "
        "that can write them owns the node."
    ),
    fix="Remove the mount, or mount the narrowest file needed read-only; prefer CSI drivers or the downward API.",
    bad="volumes:\n- name: host-etc\n  hostPath: {path: /etc}",
    good="volumes:\n- name: tz\n  hostPath: {path: /etc/localtime, type: File}",
    references=(f"{PSS_BASELINE}: HostPath Volumes", f"{NSA}: Kubernetes Pod security", "CWE-668", "CWE-552"),
))
def sensitive_hostpath_mount(pod: PodSpec, ctx: RuleContext) -> Iterator[Hit]:
    for name, path, where in host_paths(pod):
        if exposes_socket(path) is not None:
            continue
        what = sensitive(path)
        if what is not None:
            yield Hit(f'volume "{name}" mounts host path {path}: {what}', where)
