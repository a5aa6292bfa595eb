"""RBAC grant semantics, aggregation, and the service account rule options."""

from __future__ import annotations

from pathlib import Path

from cnsmm.config import Config
from cnsmm.rules.k8s._rbac import PolicyRule, effective_rules, powers
from cnsmm.scan import scan_paths
from cnsmm.sources.k8s import ObjectSet, objects_from_documents
from cnsmm.sources.yamlload import load_yaml


def _rule(groups: list[str], resources: list[str], verbs: list[str], names: tuple[str, ...] = ()) -> PolicyRule:
    return PolicyRule(0, tuple(groups), tuple(resources), tuple(verbs), (), names)


def test_allows_reads_wildcards_and_subresources() -> None:
    assert _rule([""], ["secrets"], ["get"]).allows("get", "", "secrets", explicit=True)
    assert not _rule(["apps"], ["secrets"], ["get"]).allows("get", "", "secrets")
    assert _rule(["*"], ["secrets"], ["*"]).allows("list", "", "secrets", explicit=True)
    assert _rule([""], ["*"], ["get"]).allows("get", "", "secrets")
    assert not _rule([""], ["*"], ["get"]).allows("get", "", "secrets", explicit=True)
    # the API server matches "*", the exact resource and "*/<subresource>"; "pods/*" is literal
    assert not _rule([""], ["pods/*"], ["create"]).allows("create", "", "pods/exec")
    assert _rule([""], ["*/exec"], ["create"]).allows("create", "", "pods/exec", explicit=True)
    assert not _rule([""], ["*/exec"], ["create"]).allows("create", "", "pods")
    assert not _rule([""], ["*/exec"], ["create"]).allows("create", "", "pods/attach")
    assert not _rule([""], ["pods"], ["create"]).allows("create", "", "pods/exec")


def test_powers() -> None:
    assert powers([_rule(["*"], ["*"], ["*"])])[0] == "every verb on every resource"
    assert powers([_rule([""], ["secrets"], ["get"], ("one",))]) == []
    assert powers([_rule([""], ["pods/exec"], ["get"])]) == ["exec into pods"]
    assert powers([_rule(["rbac.authorization.k8s.io"], ["clusterroles"], ["bind", "escalate"])]) == [
        "escalate", "bind",
    ]
    assert powers([_rule([""], ["configmaps"], ["get", "list"])]) == []


def test_aggregated_role_takes_rules_of_matching_roles() -> None:
    text = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: agg}
aggregationRule:
  clusterRoleSelectors: [{matchLabels: {agg: "yes"}}]
rules: []
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: part, labels: {agg: "yes"}}
rules: [{apiGroups: [""], resources: [secrets], verbs: [list]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: other, labels: {agg: "no"}}
rules: [{apiGroups: [""], resources: [nodes/proxy], verbs: [get]}]
"""
    docs, _ = load_yaml(text)
    objects, _ = objects_from_documents(docs, "r.yaml")
    rules = effective_rules(objects[0], ObjectSet("s", objects))
    assert powers(rules) == ["read secrets"]


SA_APP = """\
apiVersion: v1
kind: ServiceAccount
metadata: {name: web, namespace: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: web
      containers: [{name: web, image: "registry.example.com/web:1.0"}]
"""


def test_automount_allowed_option(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(SA_APP, encoding="utf-8")
    only = frozenset({"K8S-063"})
    assert len(scan_paths([str(tmp_path)], Config(only=only)).findings) == 1
    for allowed in (["web"], ["shop/web"]):
        config = Config(only=only, options={"automount_allowed_service_accounts": allowed})
        assert scan_paths([str(tmp_path)], config).findings == []


def test_wildcard_resources_names_secrets_only_where_the_rule_reaches_the_core_group(tmp_path: Path) -> None:
    # prometheus-adapter's role: every resource of metrics.k8s.io, which holds no secret
    (tmp_path / "roles.yaml").write_text(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: metrics}\n"
        "rules:\n- apiGroups: [metrics.k8s.io]\n  resources: ['*']\n  verbs: ['*']\n"
        "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: core}\n"
        "rules:\n- apiGroups: ['']\n  resources: ['*']\n  verbs: [get]\n")
    found = {f.location.resource: f.message
             for f in scan_paths([str(tmp_path)], Config(only=frozenset({"K8S-051"}))).findings}
    assert found["ClusterRole/metrics"].endswith('in API groups ["metrics.k8s.io"], subresources included')
    assert found["ClusterRole/core"].endswith('in API groups [""], secrets and subresources included')
