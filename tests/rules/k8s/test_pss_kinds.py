"""The Pod Security rules on every pod-bearing kind, and a hardened pod that passes them all."""

from __future__ import annotations

from pathlib import Path

import pytest

from cnsmm.config import Config
from cnsmm.rules import all_rules
from cnsmm.rules.base import Scope
from cnsmm.scan import scan_paths

PSS_IDS = frozenset(
    r.id for r in all_rules() if "K8S-001" <= r.id <= "K8S-049" and r.meta.scope in (Scope.POD, Scope.CONTAINER)
)

# A pod spec that breaks every Pod Security rule once, indented for a pod spec at column 0.
# Each offending line ends with the ids expected there (checked after re-indentation).
BAD_POD_SPEC = """\
hostNetwork: true  # K8S-003
hostPID: true  # K8S-004, K8S-016
hostIPC: true  # K8S-005
shareProcessNamespace: true  # K8S-033
securityContext:  # K8S-022
  runAsUser: 0  # K8S-023
  fsGroup: 0  # K8S-031
  seccompProfile:
    type: Unconfined  # K8S-014
  seLinuxOptions:
    type: spc_t  # K8S-012
  appArmorProfile:
    type: Unconfined  # K8S-011
  windowsOptions:
    hostProcess: true  # K8S-002
    runAsUserName: ContainerAdministrator  # K8S-034
  sysctls:
    - name: kernel.msgmax  # K8S-015
      value: "65536"
containers:
  - name: app
    image: registry.example.com/app:1.0.0
    ports:
      - containerPort: 8080
        hostPort: 8080  # K8S-010
    securityContext:  # K8S-021, K8S-030
      privileged: true  # K8S-001
      procMount: Unmasked  # K8S-013
      capabilities:  # K8S-025
        add:
          - NET_RAW  # K8S-006
          - SYS_ADMIN  # K8S-007
          - CHOWN  # K8S-026
      runAsGroup: 1000
  - name: sidecar
    image: registry.example.com/sidecar:1.0.0
    securityContext:  # K8S-021, K8S-025, K8S-030
      runAsUser: 1000  # K8S-032
      seccompProfile:
        type: Default  # K8S-024
volumes:
  - name: host
    hostPath:
      path: /  # K8S-009
  - name: logs
    hostPath:  # K8S-008
      path: /var/log
  - name: shared
    nfs:  # K8S-020
      server: nfs.example.com
      path: /exports
"""

WRAPPERS: dict[str, tuple[str, int]] = {
    "Pod": ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n", 2),
    "Deployment": ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\nspec:\n  template:\n    spec:\n", 6),
    "StatefulSet": ("apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: x\nspec:\n  template:\n    spec:\n", 6),
    "DaemonSet": ("apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: x\nspec:\n  template:\n    spec:\n", 6),
    "ReplicaSet": ("apiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: x\nspec:\n  template:\n    spec:\n", 6),
    "ReplicationController": (
        "apiVersion: v1\nkind: ReplicationController\nmetadata:\n  name: x\nspec:\n  template:\n    spec:\n", 6,
    ),
    "Job": ("apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: x\nspec:\n  template:\n    spec:\n", 6),
    "CronJob": (
        "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: x\nspec:\n  schedule: '@daily'\n"
        "  jobTemplate:\n    spec:\n      template:\n        spec:\n",
        10,
    ),
    "PodTemplate": ("apiVersion: v1\nkind: PodTemplate\nmetadata:\n  name: x\ntemplate:\n  spec:\n", 4),
    "Rollout": (
        "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata:\n  name: x\nspec:\n  template:\n    spec:\n", 6,
    ),
    "CloneSet": (
        "apiVersion: apps.kruise.io/v1alpha1\nkind: CloneSet\nmetadata:\n  name: x\nspec:\n  template:\n"
        "    spec:\n",
        6,
    ),
}


def _write(tmp_path: Path, kind: str, spec: str) -> tuple[Path, set[tuple[str, int]]]:
    head, indent = WRAPPERS[kind]
    lines = head.splitlines() + [" " * indent + line if line else line for line in spec.splitlines()]
    expected: set[tuple[str, int]] = set()
    for number, line in enumerate(lines, start=1):
        if "  # K8S-" in line:
            for rid in line.split("  # ", 1)[1].split(","):
                expected.add((rid.strip(), number))
    path = tmp_path / f"{kind.lower()}.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, expected


@pytest.mark.parametrize("kind", sorted(WRAPPERS))
def test_every_rule_fires_on_every_pod_bearing_kind(tmp_path: Path, kind: str) -> None:
    path, expected = _write(tmp_path, kind, BAD_POD_SPEC)
    result = scan_paths([str(path)], Config(only=PSS_IDS))
    assert not result.errors
    got = {(f.rule, f.location.line or 0) for f in result.findings}
    assert got == expected
    assert {rid for rid, _ in expected} == set(PSS_IDS), "the bad pod spec must exercise every rule"


HARDENED = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
      annotations:
        container.apparmor.security.beta.kubernetes.io/web: runtime/default
    spec:
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        runAsGroup: 10001
        fsGroup: 10001
        seccompProfile: {type: RuntimeDefault}
        sysctls:
          - {name: net.ipv4.ip_unprivileged_port_start, value: "0"}
      initContainers:
        - name: migrate
          image: registry.example.com/migrate:1.2.0
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: {drop: [ALL]}
      containers:
        - name: web
          image: registry.example.com/web:1.2.0
          ports: [{containerPort: 8080}]
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: [ALL]
              add: [NET_BIND_SERVICE]
          volumeMounts:
            - {name: tmp, mountPath: /tmp}
      volumes:
        - name: tmp
          emptyDir: {}
        - name: conf
          configMap: {name: web}
"""


def test_a_hardened_workload_passes_every_pod_security_rule(tmp_path: Path) -> None:
    path = tmp_path / "hardened.yaml"
    path.write_text(HARDENED, encoding="utf-8")
    result = scan_paths([str(path)], Config(only=PSS_IDS))
    assert not result.errors
    assert [(f.rule, f.location.line, f.message) for f in result.findings] == []
    evaluated = {rid for rid, cov in result.coverage.items() if cov.evaluated}
    assert evaluated == set(PSS_IDS)
