"""hostPath volumes that hand the node's secrets to a pod: container runtime sockets and
sensitive host directories.

Paths are compared after normalisation (``//`` and trailing ``/`` removed, ``.`` segments
dropped). Every hostPath is a Pod Security Standards baseline violation; these rules single out
the mounts that are a direct path to node or cluster takeover.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from cnsmm.findings import Severity
from cnsmm.rules.base import Hit, RuleContext, RuleMeta, Scope, rule
from cnsmm.rules.k8s._common import NSA, PSS_BASELINE, WORKLOADS
from cnsmm.sources.k8s import PodSpec

RUNTIME_SOCKETS = (
    "/var/run/docker.sock", "/run/docker.sock", "/var/run/docker/containerd/containerd.sock",
    "/run/docker/containerd/containerd.sock", "/var/run/containerd/containerd.sock",
    "/run/containerd/containerd.sock", "/var/run/crio/crio.sock", "/run/crio/crio.sock",
    "/var/run/cri-dockerd.sock", "/run/cri-dockerd.sock", "/var/run/dockershim.sock",
    "/run/k3s/containerd/containerd.sock", "/var/run/k3s/containerd/containerd.sock",
    "/var/run/podman/podman.sock", "/run/podman/podman.sock",
    "/run/user/*/docker.sock", "/var/run/user/*/docker.sock",
    "/run/user/*/podman/podman.sock", "/var/run/user/*/podman/podman.sock",
    "/run/user/*/containerd/containerd.sock", "/run/user/*/containerd-rootless/api.sock",
    "/var/snap/microk8s/common/run/containerd.sock", "/run/snap.docker/docker.sock",
)
"""Sockets of Docker (and the containerd it embeds), containerd, CRI-O, cri-dockerd, k3s, Podman,
and the rootless Docker, Podman and nerdctl sockets under ``/run/user/<uid>`` (``*`` is one
path segment)."""
SOCKET_ROOTS = ("/run", "/var/run", "/var/snap")
"""A directory between these and a socket exposes the socket too."""

SENSITIVE_EXACT = {
    "/": "the node's whole file system",
    "/etc": "the node's configuration, including /etc/shadow and kubelet credentials",
    "/proc": "every host process (environment variables, memory maps, namespaces)",
    "/sys": "kernel and device settings of the node",
    "/dev": "the node's devices, including its disks",
    "/boot": "the node's kernel and boot loader",
    "/var": "container data, logs and kubelet state of every pod",
    "/var/lib": "container data and kubelet state of every pod",
}
_BINARIES = "the node's programs and libraries (writing them runs code as root on the node)"
SENSITIVE_TREES = {
    "/var/lib/kubelet": "kubelet credentials and every pod's mounted secrets and tokens",
    "/var/lib/docker": "every container's file system",
    "/var/lib/containerd": "every container's file system",
    "/var/lib/containers": "every container's file system (Podman, CRI-O)",
    "/var/lib/etcd": "the cluster database with every secret",
    "/var/lib/rancher": "k3s/RKE2 data: server token, certificates and the datastore",
    "/etc/kubernetes": "control-plane certificates and kubeconfig files",
    "/etc/rancher": "k3s/RKE2 configuration and kubeconfig",
    "/home/kubernetes": "GKE's node binaries, CNI plugins and kubelet credentials",
    "/root": "the root user's home (SSH keys, cloud credentials, kubeconfig)",
    "/home": "users' home directories (SSH keys, cloud credentials, kubeconfig)",
    "/etc/ssh": "the node's SSH host keys and configuration",
    "/etc/shadow": "password hashes of the node's users",
    "/etc/sudoers": "sudo rules of the node",
    "/etc/cron.d": "the node's cron jobs (writing one runs code as root)",
    "/etc/systemd": "the node's services (writing one runs code as root)",
    "/usr": _BINARIES, "/lib": _BINARIES, "/lib64": _BINARIES, "/lib32": _BINARIES,
    "/bin": _BINARIES, "/sbin": _BINARIES, "/opt/cni/bin": "the CNI plugins the kubelet runs as root",
    "/var/log": (
        "the node's and every pod's logs; with write access, a symlink there lets anyone who may "
        "read node logs through the kubelet read any file of the node"
    ),
    "/sys/fs/cgroup": "the node's cgroups (release_agent and device rules lead out of the container)",
    "/sys/kernel": "kernel tunables, security and debug interfaces of the node",
    "/sys/firmware": "the node's firmware interfaces",
}
_PROC_ROOT = re.compile(r"^/proc/(?:[0-9]+|self|thread-self)/(?:root|cwd)(?:/|$)")
CREDENTIAL_DIRS = {
    ".ssh": "SSH keys",
    ".aws": "AWS credentials",
    ".config/gcloud": "Google Cloud credentials",
    ".azure": "Azure credentials",
    ".kube": "kubeconfig files with cluster credentials",
    ".docker": "registry credentials (docker config.json)",
    ".gnupg": "GPG private keys",
}
"""Credential folders found in home directories, wherever they sit."""
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


def _segments_match(pattern: list[str], parts: list[str]) -> bool:
    return len(pattern) == len(parts) and all(p in ("*", q) for p, q in zip(pattern, parts, strict=True))


def exposes_socket(path: str) -> str | None:
    """The runtime socket reachable through ``path`` (the socket, or a directory holding it below
    /run, /var/run or /var/snap), or None."""
    parts = path.strip("/").split("/")
    for sock in RUNTIME_SOCKETS:
        pattern = sock.strip("/").split("/")
        if _segments_match(pattern, parts):
            return path if "*" in sock else sock
        below_root = any(path == r or path.startswith(r + "/") for r in SOCKET_ROOTS)
        if below_root and len(parts) < len(pattern) and _segments_match(pattern[: len(parts)], parts):
            return sock
    return None


def sensitive(path: str) -> str | None:
    """What a mount of ``path`` gives access to, or None."""
    if _PROC_ROOT.match(path):
        return "the node's whole file system (the root of a host process)"
    if path in SENSITIVE_EXACT:
        return SENSITIVE_EXACT[path]
    for tree, what in SENSITIVE_TREES.items():
        if path == tree or path.startswith(tree + "/"):
            return what
    for folder, what in CREDENTIAL_DIRS.items():
        if path.endswith("/" + folder) or f"/{folder}/" in path:
            return what
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
        "Flags hostPath volumes of the Docker, containerd, CRI-O, cri-dockerd, k3s, MicroK8s or Podman "
        "socket in any of their locations (Docker's own containerd under /run/docker, rootless Docker, "
        "Podman and nerdctl under /run/user/<uid>), or of a directory under /run, /var/run or /var/snap "
        "that contains one."
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
        "Flags hostPath volumes of /, /etc, /proc, /sys, /dev, /boot, /var, /var/lib; the node root "
        "through /proc/<pid>/root; anything under /root, /home, /usr, /lib, /bin, /sbin, /var/log, "
        "/sys/fs/cgroup, /sys/kernel, /var/lib/kubelet, /var/lib/docker, /var/lib/containerd, "
        "/var/lib/containers, /var/lib/etcd, /var/lib/rancher, /etc/kubernetes, /etc/rancher, /etc/ssh, "
        "/etc/cron.d, /etc/systemd, /opt/cni/bin; and credential folders anywhere (`.ssh`, `.aws`, "
        "`.config/gcloud`, `.azure`, `.kube`, `.docker`, `.gnupg`). Narrow mounts such as /etc/localtime "
        "or /etc/ssl/certs are not reported here (the baseline hostPath rule still applies)."
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
