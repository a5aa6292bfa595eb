"""Options of the Pod Security rules, and malformed pod specs that must not crash them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cnsmm.config import Config
from cnsmm.rules import all_rules
from cnsmm.scan import scan_paths

PSS_IDS = frozenset(r.id for r in all_rules() if "K8S-001" <= r.id <= "K8S-049")

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: probe
spec:
  securityContext:
    runAsUser: 5000
    sysctls:
      - name: net.core.somaxconn
        value: "1024"
      - name: kernel.msgmax
        value: "65536"
  containers:
    - name: probe
      image: prom/blackbox-exporter:v0.25.0
      ports:
        - containerPort: 9115
          hostPort: 9115
        - containerPort: 9116
          hostPort: 9116
      securityContext:
        capabilities:
          drop: [ALL]
          add: [NET_RAW, IPC_LOCK]
"""


def _scan(tmp_path: Path, rule_id: str, options: dict[str, Any], text: str = POD) -> list[tuple[int, str]]:
    path = tmp_path / "pod.yaml"
    path.write_text(text, encoding="utf-8")
    result = scan_paths([str(path)], Config(only=frozenset({rule_id}), options=options))
    assert not result.errors
    return sorted((f.location.line or 0, f.message) for f in result.findings)


def test_allowed_capabilities_are_accepted_by_baseline_but_not_by_restricted(tmp_path: Path) -> None:
    assert [line for line, _ in _scan(tmp_path, "K8S-006", {})] == [24, 24]
    only_ipc = _scan(tmp_path, "K8S-006", {"allowed_capabilities": ["cap_net_raw"]})
    assert [m for _, m in only_ipc] == ['container "probe" adds capability IPC_LOCK, outside the baseline set']
    restricted = _scan(tmp_path, "K8S-026", {"allowed_capabilities": ["NET_RAW"]})
    assert [m for _, m in restricted] == [
        'container "probe" adds capability NET_RAW; the restricted profile allows only NET_BIND_SERVICE'
    ]


def test_allowed_host_ports(tmp_path: Path) -> None:
    assert [line for line, _ in _scan(tmp_path, "K8S-010", {})] == [18, 20]
    assert [line for line, _ in _scan(tmp_path, "K8S-010", {"allowed_host_ports": [9115]})] == [20]


def test_allowed_sysctls(tmp_path: Path) -> None:
    assert [line for line, _ in _scan(tmp_path, "K8S-015", {})] == [9, 11]
    assert [line for line, _ in _scan(tmp_path, "K8S-015", {"allowed_sysctls": "net.core.somaxconn"})] == [11]


def test_min_run_as_user(tmp_path: Path) -> None:
    assert [line for line, _ in _scan(tmp_path, "K8S-032", {})] == [7]
    assert _scan(tmp_path, "K8S-032", {"min_run_as_user": 1000}) == []
    assert [line for line, _ in _scan(tmp_path, "K8S-032", {"min_run_as_user": 6000})] == [7]


@pytest.mark.parametrize(
    ("rule_id", "options"),
    [
        ("K8S-006", {"allowed_capabilities": 42}),
        ("K8S-010", {"allowed_host_ports": {"a": 1}}),
        ("K8S-015", {"allowed_sysctls": None}),
        ("K8S-032", {"min_run_as_user": "lots"}),
        ("K8S-032", {"min_run_as_user": True}),
    ],
)
def test_options_of_the_wrong_type_fall_back_to_defaults(
    tmp_path: Path, rule_id: str, options: dict[str, Any]
) -> None:
    assert _scan(tmp_path, rule_id, options) == _scan(tmp_path, rule_id, {})


MALFORMED = """\
apiVersion: v1
kind: Pod
metadata:
  name: strings-everywhere
  annotations: "not a map"
spec:
  hostPID: "true"
  securityContext: [runAsUser, 0]
  volumes: {name: x}
  containers: "app"
---
apiVersion: v1
kind: Pod
metadata:
  name: wrong-types
  annotations:
    ? [a, b]
    : c
    container.apparmor.security.beta.kubernetes.io/app: {nested: map}
    seccomp.security.alpha.kubernetes.io/pod: 17
spec:
  os: windows
  securityContext:
    runAsUser: true
    runAsNonRoot: "yes"
    supplementalGroups: "0"
    sysctls: [kernel.msgmax, {name: 7}, {value: "1"}, null]
    seccompProfile: Unconfined
    appArmorProfile: [Unconfined]
    seLinuxOptions: {type: [spc_t], user: null, role: 0}
    windowsOptions: true
  volumes:
    - just-a-name
    - {name: v, hostPath: /}
    - {name: w, hostPath: {path: 7}}
    - null
  initContainers: {name: not-a-list}
  containers:
    - plain-string
    - null
    - name: 12
      image: [x]
      ports: {containerPort: 80}
      securityContext:
        privileged: "true"
        capabilities: {add: SYS_ADMIN, drop: ALL}
        procMount: null
        allowPrivilegeEscalation: "false"
    - name: caps
      ports: [7, null, {hostPort: "80"}, {hostPort: true}]
      securityContext:
        capabilities: {add: [null, 7, true, "", {x: y}], drop: [null, 1]}
        seccompProfile: {type: null}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: no-template
spec:
  template: "oops"
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: empty
spec:
  jobTemplate:
    spec:
      template:
        spec: {}
"""


def test_malformed_pod_specs_never_crash_any_rule(tmp_path: Path) -> None:
    path = tmp_path / "weird.yaml"
    path.write_text(MALFORMED, encoding="utf-8")
    result = scan_paths([str(path)], Config(only=PSS_IDS))
    assert not result.errors
    by_rule = {f.rule for f in result.findings}
    # Values of the wrong type are not taken for the dangerous setting they spell.
    assert not by_rule & {"K8S-001", "K8S-004", "K8S-007", "K8S-009", "K8S-014"}
    # Settings that are simply absent are still reported on the well-formed parts.
    assert {"K8S-022", "K8S-024"} <= by_rule
