"""Privileged containers and privilege escalation."""

from __future__ import annotations

from collections.abc import Iterator

from cnsmm.findings import Severity
from cnsmm.rules.base import Hit, RuleContext, RuleMeta, Scope, rule
from cnsmm.rules.k8s._common import NSA, PSS_BASELINE, WORKLOADS, where
from cnsmm.sources.k8s import Container


@rule(RuleMeta(
    id="K8S-001",
    name="privileged-container",
    title="Container runs privileged",
    severity=Severity.CRITICAL,
    scope=Scope.CONTAINER,
    targets=WORKLOADS,
    requirements=("PLT.RUN.L2.1", "PLT.RUN.L1.2"),
    what="Flags containers with `securityContext.privileged: true`.",
    why=(
        "A privileged container has every capability and access to all host devices; a process "
        "that escapes it owns the node and everything scheduled there."
    ),
    fix="Remove `privileged: true`; grant only the specific capabilities the workload needs.",
    bad="securityContext:\n  privileged: true",
    good="securityContext:\n  privileged: false\n  capabilities:\n    drop: [ALL]",
    references=(f"{PSS_BASELINE}: Privileged Containers", f"{NSA}: Pod security", "CIS Kubernetes 5.2.2", "CWE-250"),
))
def privileged_container(c: Container, ctx: RuleContext) -> Iterator[Hit]:
    if c.get("securityContext", "privileged") is True:
        yield Hit(f"{where(c)} runs privileged", (*c.path, "securityContext", "privileged"))
