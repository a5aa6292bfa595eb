"""Replica counting (autoscalers, options) for the availability rules."""

from __future__ import annotations

from pathlib import Path

from cnsmm.config import Config
from cnsmm.scan import scan_paths

APP = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "registry.example.com/web:1.0"}]
"""
KEDA = """\
---
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: web, namespace: shop}
spec:
  scaleTargetRef: {name: web}
  minReplicaCount: 1
"""


def _messages(tmp_path: Path, text: str, rule: str, **options: object) -> list[str]:
    (tmp_path / "app.yaml").write_text(text, encoding="utf-8")
    result = scan_paths([str(tmp_path)], Config(only=frozenset({rule}), options=dict(options)))
    return [f.message for f in result.findings]


def test_min_replicas_option(tmp_path: Path) -> None:
    assert _messages(tmp_path, APP, "K8S-086") == []
    assert _messages(tmp_path, APP, "K8S-086", min_replicas=3) == [
        'Deployment "web" runs 2 replica(s); at least 3 are needed'
    ]


def test_keda_minimum_counts_and_is_reported_on_the_scaler(tmp_path: Path) -> None:
    assert _messages(tmp_path, APP + KEDA, "K8S-086") == [
        'ScaledObject "web" lets Deployment "web" scale down to 1 replica(s)'
    ]
    # one replica at the low point: no budget needed
    assert _messages(tmp_path, APP + KEDA, "K8S-087") == []
    assert _messages(tmp_path, APP, "K8S-087") == [
        'Deployment "web" runs 2 replicas but no PodDisruptionBudget selects its pods'
    ]


def test_templated_replicas_are_not_guessed(tmp_path: Path) -> None:
    text = APP.replace("replicas: 2", 'replicas: "${REPLICAS}"')
    assert _messages(tmp_path, text, "K8S-086") == []
    assert _messages(tmp_path, text, "K8S-087") == []
