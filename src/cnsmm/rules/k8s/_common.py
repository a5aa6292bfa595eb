"""Helpers shared by the Kubernetes rules."""

from __future__ import annotations

from typing import Any

from cnsmm.rules.base import POD_KINDS
from cnsmm.sources.k8s import Container

PSS = "Pod Security Standards"
PSS_BASELINE = "Kubernetes Pod Security Standards (baseline)"
PSS_RESTRICTED = "Kubernetes Pod Security Standards (restricted)"
NSA = "NSA-CISA Kubernetes Hardening Guide"

WORKLOADS = POD_KINDS
"""Targets for pod and container rules (every pod-bearing kind)."""


def effective(container: Container, key: str) -> tuple[Any, tuple[Any, ...]]:
    """A securityContext field as Kubernetes resolves it: the container's value, else the pod's.

    Returns the value (None when set nowhere) and the path of the field that decided it
    (the container's securityContext path when set nowhere, so findings point there).
    """
    own = container.get("securityContext", key)
    if own is not None:
        return own, (*container.path, "securityContext", key)
    pod_value = container.pod.get("securityContext", key)
    if pod_value is not None:
        return pod_value, (*container.pod.path, "securityContext", key)
    return None, (*container.path, "securityContext")


def where(container: Container) -> str:
    """``container "app"`` / ``init container "setup"`` for messages."""
    label = {"container": "container", "init": "init container", "ephemeral": "ephemeral container"}
    return f'{label[container.kind]} "{container.name}"'
