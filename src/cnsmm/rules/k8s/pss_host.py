"""Pod Security rules about the node's resources: host namespaces, hostPath, host ports.

Severity (scheme in ``_pss.py``): high for the baseline controls (host namespaces, hostPath,
host ports), critical for the two patterns that amount to owning the node: the node's root
filesystem mounted (K8S-009) and the host PID namespace together with process-control powers
(K8S-016).
"""

from __future__ import annotations

from collections.abc import Iterator

from cnsmm.findings import Severity
from cnsmm.rules.base import Hit, RuleContext, RuleMeta, Scope, rule
from cnsmm.rules.k8s._common import PSS_BASELINE, WORKLOADS, where
from cnsmm.rules.k8s._pss import (
    CIS,
    NSA_ENFORCEMENT,
    added_capabilities,
    as_int,
    is_host_root,
    option_names,
    pod_where,
)
from cnsmm.sources.k8s import Container, PodSpec

_NAMESPACE_REQUIREMENTS = ("PLT.RUN.L1.2", "INF.CMP.L1.1", "INF.CMP.L2.1")
_PROCESS_CONTROL = frozenset({"ALL", "SYS_ADMIN", "SYS_PTRACE"})


def _host_namespace_meta(rule_id: str, field: str, ns: str, cis: str, why: str) -> RuleMeta:
    return RuleMeta(
        id=rule_id,
        name=f"host-{ns.lower()}-namespace-shared",
        title=f"Pod shares the host {ns} namespace",
        severity=Severity.HIGH,
        scope=Scope.POD,
        targets=WORKLOADS,
        requirements=_NAMESPACE_REQUIREMENTS,
        what=f"Flags pods with `spec.{field}: true`.",
        why=why,
        fix=(
            f"Remove `{field}: true` (or set it to false); keep node-level agents in a separately "
            "admitted namespace."
        ),
        bad=f"spec:\n  {field}: true\n  containers:\n    - name: app\n      image: app:1.0",
        good="spec:\n  containers:\n    - name: app\n      image: app:1.0",
        references=(f"{PSS_BASELINE}: Host Namespaces", NSA_ENFORCEMENT, f"{CIS}: {cis}", "CWE-668"),
    )


def _host_namespace(pod: PodSpec, field: str, what: str) -> Iterator[Hit]:
    if pod.get(field) is True:
        yield Hit(f"{pod_where(pod)} {what} ({field}: true)", (*pod.path, field))


@rule(_host_namespace_meta(
    "K8S-003", "hostNetwork", "network",
    "5.2.5 Minimize the admission of containers wishing to share the host network namespace",
    "With the node's network namespace the pod can bind any node port, sniff traffic on the "
    "node's interfaces and reach services that listen only on localhost (the kubelet, "
    "metadata endpoints), and NetworkPolicies no longer isolate it.",
))
def host_network(pod: PodSpec, ctx: RuleContext) -> Iterator[Hit]:
    """Report hostNetwork: true."""
    yield from _host_namespace(pod, "hostNetwork", "shares the node's network namespace")


@rule(_host_namespace_meta(
    "K8S-004", "hostPID", "PID",
    "5.2.3 Minimize the admission of containers wishing to share the host process ID namespace",
    "With the node's process namespace the pod sees every process on the node, their "
    "command lines and environments, can signal them, and with ptrace or SYS_ADMIN can enter "
    "them (`nsenter -t 1`) to become root on the node.",
))
def host_pid(pod: PodSpec, ctx: RuleContext) -> Iterator[Hit]:
    """Report hostPID: true."""
    yield from _host_namespace(pod, "hostPID", "shares the node's process namespace")


@rule(_host_namespace_meta(
    "K8S-005", "hostIPC", "IPC",
    "5.2.4 Minimize the admission of containers wishing to share the host IPC namespace",
    "With the node's IPC namespace the pod can read and write the shared memory segments and "
    "message queues of every process on the node, including other tenants' workloads.",
))
def host_ipc(pod: PodSpec, ctx: RuleContext) -> Iterator[Hit]:
    """Report hostIPC: true."""
    yield from _host_namespace(pod, "hostIPC", "shares the node's IPC namespace")


def _host_paths(pod: PodSpec) -> Iterator[tuple[int, str]]:
    volumes = pod.get("volumes")
    if not isinstance(volumes, list):
        return
    for i, volume in enumerate(volumes):
        if isinstance(volume, dict) and isinstance(volume.get("hostPath"), dict):
            path = volume["hostPath"].get("path")
            yield i, path if isinstance(path, str) else ""


@rule(RuleMeta(
    id="K8S-008",
    name="host-path-volume",
    title="Pod mounts a hostPath volume",
    severity=Severity.HIGH,
    scope=Scope.POD,
    targets=WORKLOADS,
    requirements=("PLT.RUN.L1.2", "INF.CMP.L1.1", "INF.CMP.L2.1"),
    what=(
        "Flags every `hostPath` volume of a pod. The node's root directory is reported by K8S-009 "
        "instead (one finding per volume)."
    ),
    why=(
        "A hostPath volume gives the pod files of the node: other pods' data, kubelet credentials, "
        "container runtime sockets, or places where a write turns into code execution on the node. "
        "Read-only mounts still leak secrets, and symlinks have repeatedly escaped them."
    ),
    fix=(
        "Replace the hostPath volume with an emptyDir, a ConfigMap/Secret, or a PersistentVolumeClaim; "
        "if a node agent truly needs host files, mount the narrowest path read-only in a dedicated namespace."
    ),
    bad="volumes:\n  - name: logs\n    hostPath:\n      path: /var/log",
    good="volumes:\n  - name: logs\n    emptyDir: {}",
    references=(
        f"{PSS_BASELINE}: HostPath Volumes",
        NSA_ENFORCEMENT,
        f"{CIS}: 5.2.12 Minimize the admission of HostPath volumes",
        "CWE-668",
    ),
))
def host_path_volume(pod: PodSpec, ctx: RuleContext) -> Iterator[Hit]:
    """Report hostPath volumes other than the node's root."""
    volumes = pod.get("volumes")
    for i, path in _host_paths(pod):
        if is_host_root(path):
            continue
        name = volumes[i].get("name") or "?"
        shown = path or "(no path)"
        yield Hit(f'{pod_where(pod)} mounts node path {shown} (hostPath volume "{name}")',
                  (*pod.path, "volumes", i, "hostPath"))


@rule(RuleMeta(
    id="K8S-009",
    name="host-root-filesystem-mounted",
    title="Pod mounts the node's root filesystem",
    severity=Severity.CRITICAL,
    scope=Scope.POD,
    targets=WORKLOADS,
    requirements=("PLT.RUN.L2.1", "PLT.RUN.L1.2", "INF.CMP.L1.1", "INF.CMP.L2.1"),
    what=(
        "Flags `hostPath` volumes whose path is the node's root (`/`, or a drive root such as `C:\\` "
        "on Windows)."
    ),
    why=(
        "The whole node is then a directory in the container: kubelet and runtime credentials, "
        "every other pod's data, `/etc/shadow`, cron and systemd units. Writing any of them, or a "
        "simple `chroot`, is root on the node."
    ),
    fix="Remove the volume; mount only the specific directory a node agent needs, read-only.",
    bad="volumes:\n  - name: host\n    hostPath:\n      path: /",
    good="volumes:\n  - name: data\n    persistentVolumeClaim:\n      claimName: scanner-data",
    references=(
        f"{PSS_BASELINE}: HostPath Volumes",
        NSA_ENFORCEMENT,
        f"{CIS}: 5.2.12 Minimize the admission of HostPath volumes",
        "CWE-668",
        "CWE-250",
    ),
))
def host_root_mounted(pod: PodSpec, ctx: RuleContext) -> Iterator[Hit]:
    """Report hostPath volumes of the node's root directory."""
    volumes = pod.get("volumes")
    for i, path in _host_paths(pod):
        if is_host_root(path):
            name = volumes[i].get("name") or "?"
            yield Hit(f'{pod_where(pod)} mounts the node\'s root filesystem {path} (volume "{name}")',
                      (*pod.path, "volumes", i, "hostPath", "path"))


@rule(RuleMeta(
    id="K8S-010",
    name="host-port",
    title="Container binds a host port",
    severity=Severity.HIGH,
    scope=Scope.CONTAINER,
    targets=WORKLOADS,
    requirements=("PLT.RUN.L1.2", "INF.CMP.L1.1"),
    what=(
        "Flags a non-zero `ports[].hostPort` on containers, init containers and ephemeral containers, "
        "except ports listed in the `allowed_host_ports` option."
    ),
    why=(
        "A host port opens the container on the node's own IP address, outside Services and, with "
        "many network plugins, outside NetworkPolicies; it also pins the pod to nodes where that "
        "port is free."
    ),
    fix="Remove `hostPort` and expose the container through a Service (ClusterIP, Ingress or LoadBalancer).",
    bad="ports:\n  - containerPort: 8080\n    hostPort: 80",
    good="ports:\n  - containerPort: 8080",
    references=(
        f"{PSS_BASELINE}: Host Ports",
        NSA_ENFORCEMENT,
        f"{CIS}: 5.2.13 Minimize the admission of containers which use HostPorts",
        "CWE-668",
    ),
    options={"allowed_host_ports": "Host ports that are accepted (list of integers; the PSS 'known list')."},
))
def host_port(c: Container, ctx: RuleContext) -> Iterator[Hit]:
    """Report non-zero hostPort entries not in the allowed list."""
    ports = c.get("ports")
    if not isinstance(ports, list):
        return
    allowed = option_names(ctx, "allowed_host_ports")
    for i, port in enumerate(ports):
        value = as_int(port.get("hostPort")) if isinstance(port, dict) else None
        if value and str(value) not in allowed:
            yield Hit(f"{where(c)} binds port {value} of the node (hostPort)",
                      (*c.path, "ports", i, "hostPort"))


@rule(RuleMeta(
    id="K8S-016",
    name="host-pid-with-process-control",
    title="Host PID namespace combined with privileged or ptrace/SYS_ADMIN containers",
    severity=Severity.CRITICAL,
    scope=Scope.POD,
    targets=WORKLOADS,
    requirements=("PLT.RUN.L2.1", "PLT.RUN.L1.2", "INF.CMP.L1.1"),
    what=(
        "Flags pods with `hostPID: true` where a container (of any kind) is privileged or adds "
        "`SYS_PTRACE`, `SYS_ADMIN` or `ALL`."
    ),
    why=(
        "Together these are a one-line node takeover: `nsenter --target 1 --mount --pid -- sh` enters "
        "the node's init process and gives a root shell on the node. Each setting is also reported "
        "by its own rule; this one marks the combination for priority."
    ),
    fix="Remove `hostPID: true`, or drop the privileged mode and the SYS_PTRACE/SYS_ADMIN capabilities.",
    bad=(
        "spec:\n  hostPID: true\n  containers:\n    - name: debug\n      securityContext:\n"
        "        capabilities:\n          add: [SYS_PTRACE]"
    ),
    good=(
        "spec:\n  hostPID: false\n  containers:\n    - name: debug\n      securityContext:\n"
        "        capabilities:\n          drop: [ALL]"
    ),
    references=(
        f"{PSS_BASELINE}: Host Namespaces",
        f"{PSS_BASELINE}: Capabilities",
        NSA_ENFORCEMENT,
        f"{CIS}: 5.2.3 Minimize the admission of containers wishing to share the host process ID namespace",
        "CWE-250",
    ),
))
def host_pid_with_process_control(pod: PodSpec, ctx: RuleContext) -> Iterator[Hit]:
    """Report hostPID together with privileged, SYS_PTRACE, SYS_ADMIN or ALL."""
    if pod.get("hostPID") is not True:
        return
    powerful = []
    for c in pod.containers():
        powers = sorted({name for _, name, _ in added_capabilities(c) if name in _PROCESS_CONTROL})
        if c.get("securityContext", "privileged") is True:
            powers.insert(0, "privileged")
        if powers:
            powerful.append(f"{where(c)} ({', '.join(powers)})")
    if powerful:
        yield Hit(
            f"{pod_where(pod)} shares the node's process namespace with {'; '.join(powerful)}: "
            "a root shell on the node is one nsenter away",
            (*pod.path, "hostPID"),
        )
