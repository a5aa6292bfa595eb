"""The lookups detectors share: image names, ConfigMap/Secret values (selectors: tests/kube)."""

from __future__ import annotations

import pytest
from tests.capabilities.helpers_capabilities import load_objects

from cnsmm.capabilities.index import Index
from cnsmm.capabilities.values import (
    chart_name,
    data_value,
    repo_matches,
)


@pytest.mark.parametrize(
    ("repo", "patterns", "expected"),
    [
        ("falcosecurity/falco", ("falcosecurity/falco",), True),
        ("mirror/falcosecurity/falco", ("falcosecurity/falco",), True),
        ("myorg/falcon-api", ("falcosecurity/falco",), False),
        ("falcosecurity/falcoctl", ("falcosecurity/falco",), False),
        ("vault", ("vault",), True),
        ("myorg/vault", ("vault",), False),
        ("kubescape/kubevuln", ("kubescape/*",), True),
        ("mirror/kubescape/operator", ("kubescape/*",), True),
        ("kubescapes/operator", ("kubescape/*",), False),
    ],
)
def test_repo_matches(repo: str, patterns: tuple[str, ...], expected: bool) -> None:
    assert repo_matches(repo, patterns) is expected


def test_chart_name() -> None:
    assert chart_name("falco-4.2.0") == "falco"
    assert chart_name("kube-prometheus-stack-58.1.3") == "kube-prometheus-stack"
    assert chart_name("cert-manager") == "cert-manager"


def test_data_value_decodes_secret_data_and_rejects_garbage() -> None:
    objs = load_objects("""
apiVersion: v1
kind: Secret
metadata: {name: s}
data:
  good: aGVsbG8=
  bad: "%%%not base64"
  binary: //79/A==
stringData:
  plain: hi
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c}
data:
  good: aGVsbG8=
""")
    secret, config = objs
    assert data_value(secret, "good") == "hello"
    assert data_value(secret, "plain") == "hi"
    assert data_value(secret, "bad") == ""
    assert data_value(secret, "binary") == ""
    assert data_value(secret, "missing") == ""
    assert data_value(config, "good") == "aGVsbG8="


def test_index_labels_templates_and_kustomization_namespace() -> None:
    ix = Index(load_objects("""
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: monitoring
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: grafana
  labels: {helm.sh/chart: grafana-7.3.9}
spec:
  template:
    metadata:
      labels: {app.kubernetes.io/name: Grafana-Dashboards}
    spec:
      containers: [{name: g, image: grafana/grafana:10}]
---
apiVersion: v1
kind: Namespace
metadata: {name: other}
"""))
    dep = ix.kind("Deployment", "apps")[0]
    assert ix.labelled(["grafana"]) == [dep]
    assert ix.labelled(["grafana-dashboards"]) == [dep]
    assert ix.namespace(dep) == "monitoring"
    assert ix.namespace(ix.kind("Namespace")[0]) is None
    assert [u.repo for u in ix.images] == ["grafana/grafana"]
