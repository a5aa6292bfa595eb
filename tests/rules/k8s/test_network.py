"""Label selector semantics and NetworkPolicy defaulting used by the network and PDB rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from cnsmm.config import Config
from cnsmm.rules.k8s._selectors import map_selector_matches, selector_matches
from cnsmm.rules.k8s.network import policy_types
from cnsmm.scan import scan_paths
from cnsmm.sources.k8s import objects_from_documents
from cnsmm.sources.yamlload import load_yaml

LABELS = {"app": "api", "tier": "backend", "canary": True}


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ({}, True),
        ({"matchLabels": {}}, True),
        (None, False),
        ("app=api", False),
        ({"matchLabels": {"app": "api"}}, True),
        ({"matchLabels": {"app": "web"}}, False),
        ({"matchLabels": {"canary": "true"}}, True),
        ({"matchLabels": {"canary": True}}, True),
        ({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["backend", "data"]}]}, True),
        ({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["front"]}]}, False),
        ({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["front"]}]}, True),
        ({"matchExpressions": [{"key": "zone", "operator": "NotIn", "values": ["a"]}]}, True),
        ({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["backend"]}]}, False),
        ({"matchExpressions": [{"key": "app", "operator": "Exists"}]}, True),
        ({"matchExpressions": [{"key": "zone", "operator": "Exists"}]}, False),
        ({"matchExpressions": [{"key": "zone", "operator": "DoesNotExist"}]}, True),
        ({"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]}, False),
        ({"matchExpressions": [{"key": "app", "operator": "Matches", "values": ["api"]}]}, False),
        # matchLabels AND matchExpressions
        ({"matchLabels": {"app": "api"}, "matchExpressions": [{"key": "tier", "operator": "In", "values": ["x"]}]},
         False),
        # labels added by controllers at run time do not decide
        ({"matchLabels": {"app": "api", "pod-template-hash": "5d8f7c"}}, True),
        ({"matchLabels": "broken"}, False),
        ({"matchExpressions": ["broken"]}, False),
    ],
)
def test_label_selector(selector: object, expected: bool) -> None:
    assert selector_matches(selector, LABELS) is expected


def test_service_selector_is_a_plain_map() -> None:
    assert map_selector_matches({"app": "api"}, LABELS)
    assert map_selector_matches({"app": "api", "canary": "true"}, LABELS)
    assert not map_selector_matches({"app": "api", "zone": "a"}, LABELS)
    assert map_selector_matches({"app": "api", "statefulset.kubernetes.io/pod-name": "api-0"}, LABELS)


def _policy(text: str) -> object:
    docs, _ = load_yaml(text)
    objects, _ = objects_from_documents(docs, "p.yaml")
    return objects[0]


@pytest.mark.parametrize(
    ("spec", "types"),
    [
        ("podSelector: {}", {"Ingress"}),
        ("podSelector: {}\n  egress: []", {"Ingress", "Egress"}),
        ("podSelector: {}\n  policyTypes: [Egress]", {"Egress"}),
        ("podSelector: {}\n  policyTypes: []\n  egress: [{}]", {"Ingress", "Egress"}),
    ],
)
def test_policy_types_default(spec: str, types: set[str]) -> None:
    obj = _policy(f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p}}\nspec:\n  {spec}\n")
    assert policy_types(obj) == types  # type: ignore[arg-type]


DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: registry.example.com/web:1.0
"""


def _scan(tmp_path: Path, text: str, rule: str, **options: object) -> list[str]:
    (tmp_path / "m.yaml").write_text(text, encoding="utf-8")
    result = scan_paths([str(tmp_path)], Config(only=frozenset({rule}), options=dict(options)))
    assert not result.errors
    return [f.message for f in result.findings]


def test_calico_global_policy_stops_judging_the_set(tmp_path: Path) -> None:
    calico = "---\napiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: deny}\nspec: {}\n"
    assert _scan(tmp_path, DEPLOYMENT, "K8S-065")
    assert _scan(tmp_path, DEPLOYMENT + calico, "K8S-065") == []
    assert _scan(tmp_path, DEPLOYMENT + calico, "K8S-066") == []


def test_system_namespaces_option(tmp_path: Path) -> None:
    text = DEPLOYMENT.replace("namespace: shop", "namespace: kube-system")
    assert _scan(tmp_path, text, "K8S-066") == []
    messages = _scan(tmp_path, text, "K8S-066", system_namespaces=[])
    assert messages and messages[0].startswith('Namespace "kube-system" runs workloads')


def test_unset_namespace_is_named_in_the_message(tmp_path: Path) -> None:
    messages = _scan(tmp_path, DEPLOYMENT.replace("  namespace: shop\n", ""), "K8S-065")
    assert messages == [
        'Deployment "web" in the namespace the manifests are applied to (no metadata.namespace is set) is '
        "selected by no NetworkPolicy: its pods accept and open any connection"
    ]


def test_cluster_dump_reports_the_controller_not_its_pods(tmp_path: Path) -> None:
    pod = """\
---
apiVersion: v1
kind: Pod
metadata:
  name: web-5d8f7c-abcde
  namespace: shop
  labels: {app: web, pod-template-hash: 5d8f7c}
  ownerReferences:
    - {apiVersion: apps/v1, kind: Deployment, name: web, controller: true}
spec:
  containers:
    - name: web
      image: registry.example.com/web:1.0
"""
    messages = _scan(tmp_path, DEPLOYMENT + pod, "K8S-065")
    assert len(messages) == 1 and messages[0].startswith('Deployment "web"')
