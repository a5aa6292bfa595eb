"""Privileged containers (K8S-001) and Windows HostProcess containers (K8S-002).

Both are critical: each hands the workload the node itself (the Pod Security rules' severity
scheme is described in ``_pss.py``).
"""

from __future__ import annotations

from collections.abc import Iterator

from cnsmm.findings import Severity
from cnsmm.rules.base import Hit, RuleContext, RuleMeta, Scope, rule
from cnsmm.rules.k8s._common import PSS_BASELINE, WORKLOADS, where
from cnsmm.rules.k8s._pss import CIS, NSA_ENFORCEMENT, pod_where
from cnsmm.sources.k8s import Container, PodSpec


@rule(RuleMeta(
    id="K8S-001",
    name="privileged-container",
    title="Container runs privileged",
    severity=Severity.CRITICAL,
    scope=Scope.CONTAINER,
    targets=WORKLOADS,
    requirements=("PLT.RUN.L2.1", "PLT.RUN.L1.2"),
    what=(
        "Flags containers, init containers and ephemeral containers with "
        "`securityContext.privileged: true`."
    ),
    why=(
        "A privileged container has every capability and access to all host devices; a process "
        "that escapes it owns the node and everything scheduled there."
    ),
    fix="Remove `privileged: true`; grant only the specific capabilities the workload needs.",
    bad="securityContext:\n  privileged: true",
    good="securityContext:\n  privileged: false\n  capabilities:\n    drop: [ALL]",
    references=(
        f"{PSS_BASELINE}: Privileged Containers",
        NSA_ENFORCEMENT,
        f"{CIS}: 5.2.2 Minimize the admission of privileged containers",
        "CWE-250",
    ),
))
def privileged_container(c: Container, ctx: RuleContext) -> Iterator[Hit]:
    """Report containers of any kind with privileged: true."""
    if c.get("securityContext", "privileged") is True:
        yield Hit(f"{where(c)} runs privileged", (*c.path, "securityContext", "privileged"))


@rule(RuleMeta(
    id="K8S-002",
    name="host-process-container",
    title="Windows HostProcess container",
    severity=Severity.CRITICAL,
    scope=Scope.POD,
    targets=WORKLOADS,
    requirements=("PLT.RUN.L2.1", "PLT.RUN.L1.2", "INF.CMP.L1.1"),
    what=(
        "Flags `securityContext.windowsOptions.hostProcess: true` on the pod or on any "
        "container, init container or ephemeral container."
    ),
    why=(
        "A HostProcess container runs directly on the Windows node, in the host's network and "
        "process space, with the rights of a node account: it is the Windows equivalent of a "
        "privileged container and whoever controls it controls the node."
    ),
    fix=(
        "Remove `windowsOptions.hostProcess: true`; run node agents that really need it in a "
        "dedicated, separately admitted namespace."
    ),
    bad="securityContext:\n  windowsOptions:\n    hostProcess: true\nhostNetwork: true",
    good="securityContext:\n  windowsOptions:\n    runAsUserName: ContainerUser",
    references=(
        f"{PSS_BASELINE}: HostProcess",
        NSA_ENFORCEMENT,
        f"{CIS}: 5.2.11 Minimize the admission of Windows HostProcess containers",
        "CWE-250",
    ),
))
def host_process_container(pod: PodSpec, ctx: RuleContext) -> Iterator[Hit]:
    """Report hostProcess: true on the pod and on each container."""
    if pod.get("securityContext", "windowsOptions", "hostProcess") is True:
        yield Hit(
            f"{pod_where(pod)} runs every container as a Windows HostProcess (pod-level hostProcess: true)",
            (*pod.path, "securityContext", "windowsOptions", "hostProcess"),
        )
    for c in pod.containers():
        if c.get("securityContext", "windowsOptions", "hostProcess") is True:
            yield Hit(
                f"{where(c)} runs as a Windows HostProcess on the node",
                (*c.path, "securityContext", "windowsOptions", "hostProcess"),
            )
