"""Liveness and readiness probes on long-running workloads.

Probes apply to the app containers of controllers that keep pods running (Deployment,
StatefulSet, DaemonSet, ReplicaSet, ReplicationController, and pod templates of custom
resources such as Argo Rollouts). They are not required of:

- init containers (they must exit; Kubernetes rejects liveness and readiness probes on them)
  nor sidecar init containers (usually injected infrastructure), nor ephemeral containers;
- Jobs, CronJobs and KEDA ScaledJobs (run to completion, nothing routes traffic to them);
- bare Pods (nothing restarts or replaces them on a failed probe, and no rollout waits on
  readiness);
- Knative Services and Configurations (Knative probes the container itself by default).
"""

from __future__ import annotations

from collections.abc import Iterator

from cnsmm.findings import Severity
from cnsmm.rules.base import Hit, RuleContext, RuleMeta, Scope, rule
from cnsmm.rules.k8s._common import where
from cnsmm.rules.k8s._selectors import BATCH_KINDS
from cnsmm.sources.k8s import Container

LONG_RUNNING = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController")
HEALTH_REQUIREMENTS = ("PLT.RUN.L1.1",)
"""容器健康状态监测."""
PROBES_DOC = "https://kubernetes.io/docs/concepts/configuration/liveness-readiness-startup-probes/"
NSA_APPS = "NSA-CISA Kubernetes Hardening Guide: Upgrading and application security practices"


def _applies(c: Container) -> bool:
    obj = c.pod.obj
    if c.kind != "container" or obj.kind in BATCH_KINDS or obj.kind == "Pod":
        return False
    return obj.group != "serving.knative.dev"


@rule(RuleMeta(
    id="K8S-084",
    name="missing-liveness-probe",
    title="Container without a liveness probe",
    severity=Severity.LOW,
    scope=Scope.CONTAINER,
    targets=LONG_RUNNING,
    containers=("container",),
    requirements=HEALTH_REQUIREMENTS,
    what=(
        "Flags app containers of long-running workloads without `livenessProbe` (not init, sidecar "
        "or ephemeral containers, Jobs, CronJobs or bare Pods)."
    ),
    why=(
        "A deadlocked or hung process keeps running without a liveness probe: the service stays "
        "down while every status reports it healthy, and nobody restarts it."
    ),
    fix=(
        "Add a `livenessProbe` that checks the process itself (not its dependencies), with a "
        "`startupProbe` for slow starts."
    ),
    bad="containers:\n- name: api\n  image: app:1.0",
    good="containers:\n- name: api\n  livenessProbe:\n    httpGet: {path: /healthz, port: 8080}",
    references=(PROBES_DOC, NSA_APPS, "CWE-754"),
))
def missing_liveness_probe(c: Container, ctx: RuleContext) -> Iterator[Hit]:
    if _applies(c) and c.get("livenessProbe") is None:
        yield Hit(f"{where(c)} has no liveness probe", c.path)


@rule(RuleMeta(
    id="K8S-085",
    name="missing-readiness-probe",
    title="Container without a readiness probe",
    severity=Severity.LOW,
    scope=Scope.CONTAINER,
    targets=LONG_RUNNING,
    containers=("container",),
    requirements=(*HEALTH_REQUIREMENTS, "APP.MSV.L1.1"),
    what=(
        "Flags app containers of long-running workloads without `readinessProbe` (not init, "
        "sidecar or ephemeral containers, Jobs, CronJobs or bare Pods)."
    ),
    why=(
        "Without a readiness probe a pod receives traffic as soon as its process starts and keeps "
        "receiving it when it cannot serve; rolling updates then replace healthy pods with broken "
        "ones without noticing."
    ),
    fix="Add a `readinessProbe` that succeeds only when the container can serve requests.",
    bad="containers:\n- name: api\n  image: app:1.0",
    good="containers:\n- name: api\n  readinessProbe:\n    httpGet: {path: /ready, port: 8080}",
    references=(PROBES_DOC, NSA_APPS, "CWE-754"),
))
def missing_readiness_probe(c: Container, ctx: RuleContext) -> Iterator[Hit]:
    if _applies(c) and c.get("readinessProbe") is None:
        yield Hit(f"{where(c)} has no readiness probe", c.path)
