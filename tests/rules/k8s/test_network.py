"""The network rules on whole sets (selector semantics are tested once, in tests/kube)."""

from __future__ import annotations

from pathlib import Path

from cnsmm.config import Config
from cnsmm.scan import scan_paths

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


MONITORING = (Path(__file__).resolve().parents[2] / "fixtures" / "rules" / "K8S-066" / "fail"
              / "own-policies.yaml").read_text(encoding="utf-8")


def test_missing_default_deny_fails_only_the_workloads_it_leaves_open(tmp_path: Path) -> None:
    """A workload its own policy restricts is not exposed by the namespace's missing default deny:
    it is not counted as failing (the finding stays, once)."""
    (tmp_path / "m.yaml").write_text(MONITORING, encoding="utf-8")
    result = scan_paths([str(tmp_path)], Config(only=frozenset({"K8S-066", "K8S-067"})))
    ingress_cov = result.coverage["K8S-066"]
    assert len(ingress_cov.evaluated) == 2 and [s.split("::")[1] for s in ingress_cov.failed] == [
        "Deployment/monitoring/exporter"]
    [ingress] = [f for f in result.findings if f.rule == "K8S-066"]
    assert ingress.location.resource == "Deployment/monitoring/exporter"
    assert "1 of its 2 workload(s) are restricted by their own policies" in ingress.message
    # no policy restricts egress: both workloads are open
    assert len(result.coverage["K8S-067"].failed) == 2
