"""Hygiene rules, and every K8S-050..K8S-099 rule against malformed and real-world manifests."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from cnsmm.config import Config
from cnsmm.rules import all_rules
from cnsmm.scan import scan_paths

IDS = frozenset(r.id for r in all_rules() if "K8S-050" <= r.id <= "K8S-099")
CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus"

# Objects of the right kinds with fields of the wrong shapes: the rules must skip them quietly.
MALFORMED = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: broken}
rules: "everything"
aggregationRule: [1, 2]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: broken, namespace: shop}
rules: [null, 7, {verbs: "*", resources: 3, apiGroups: {a: b}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: broken}
roleRef: cluster-admin
subjects: [null, "x", {kind: 5, name: [1]}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: broken, namespace: shop, ownerReferences: "x", labels: [1]}
spec:
  replicas: many
  template:
    metadata: {labels: "app=web"}
    spec:
      serviceAccountName: [1]
      automountServiceAccountToken: "no"
      volumes: [null, {hostPath: "/"}, {hostPath: {path: 5}}, {hostPath: {path: ""}}]
      containers:
        - name: web
          image: [1, 2]
          env: {DB_PASSWORD: hunter22}
          envFrom: "secrets"
          resources: "lots"
        - "not a container"
        - name: other
          env: [null, {name: X, value: null}, {name: Y, valueFrom: "z"}, {valueFrom: {secretKeyRef: 1}}]
          resources: {limits: [1], requests: {cpu: null}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: broken, namespace: shop}
spec: {podSelector: "all", policyTypes: "Ingress", ingress: {from: 1}}
---
apiVersion: v1
kind: Service
metadata: {name: broken, namespace: shop, annotations: "x"}
spec: {type: LoadBalancer, selector: [1], externalIPs: "1.2.3.4", loadBalancerSourceRanges: {a: 1}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: broken}
spec: {tls: [null, {hosts: "a"}], rules: [null, {host: 5}]}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: broken, namespace: shop}
spec: {maxUnavailable: true, minAvailable: [1], selector: "app=web"}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: broken, namespace: shop}
spec: {scaleTargetRef: "web", minReplicas: "two"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: broken}
data: [1, 2]
---
apiVersion: v1
kind: Secret
metadata: {name: broken}
stringData: "password=x"
data: {a: 1, b: null}
---
apiVersion: v1
kind: ServiceAccount
metadata: "broken"
"""


def test_malformed_objects_do_not_crash_any_rule(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text(MALFORMED, encoding="utf-8")
    result = scan_paths([str(tmp_path)], Config(only=IDS))
    assert not result.errors
    assert result.objects == 12
    # the few shapes that are still readable are judged
    rules = {f.rule for f in result.findings}
    assert "K8S-094" not in rules  # hostPath "/" as a string is not a hostPath volume
    assert {"K8S-069", "K8S-079"} <= rules


def test_duplicate_key_message(tmp_path: Path) -> None:
    (tmp_path / "d.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  a: '1'\n  a: '2'\n", encoding="utf-8"
    )
    result = scan_paths([str(tmp_path)], Config(only=frozenset({"K8S-097"})))
    assert [(f.location.line, f.message) for f in result.findings] == [
        (6, 'key "a" is given again (first on line 5); this last value wins here, and kubectl\'s strict '
            "decoding rejects the file"),
    ]


@pytest.mark.corpus
def test_real_manifests_have_no_known_false_positives() -> None:
    folders = [
        CORPUS / "argoproj__argo-cd" / "manifests" / "base",
        CORPUS / "argoproj__argo-cd" / "manifests" / "ha" / "base" / "redis-ha",
        CORPUS / "prometheus-operator__kube-prometheus" / "manifests",
    ]
    if not all(f.is_dir() for f in folders):
        pytest.skip("../shared/corpus is not available")
    result = scan_paths([str(f) for f in folders], Config(only=IDS))
    counts = Counter(f.rule for f in result.findings)
    assert counts["K8S-065"] > 0 and counts["K8S-054"] > 0  # the rules do run on these manifests
    for f in result.findings:
        # Services selecting the per-pod label the StatefulSet controller adds (redis-ha announce)
        assert not (f.rule == "K8S-074" and "statefulset.kubernetes.io/pod-name" in f.message), f.message
        # operator-created pods (Prometheus, Alertmanager custom resources) are not "nothing"
        assert not (f.rule in ("K8S-073", "K8S-074", "K8S-088") and "monitoring" in (f.location.resource or ""))
        # a role limited with resourceNames does not make its service account powerful
        assert not (f.rule == "K8S-096" and "argocd-redis\"" in f.message and "read secrets" in f.message)


def test_missing_limitrange_fails_only_workloads_without_their_own_requests_and_limits(tmp_path: Path) -> None:
    """A LimitRange's defaults serve containers that set nothing: a workload that sets CPU and memory
    requests and limits itself is not exposed by its absence (the finding stays, once); a missing
    quota still fails every workload."""
    sized = ("      containers:\n        - name: c\n          image: registry.example.com/a:1.0\n"
             "          resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {cpu: 500m, memory: 128Mi}}\n")
    bare = "      containers:\n        - name: c\n          image: registry.example.com/b:1.0\n"
    head = ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {n}, namespace: shop}}\nspec:\n"
            "  selector: {{matchLabels: {{app: {n}}}}}\n  template:\n    metadata: {{labels: {{app: {n}}}}}\n"
            "    spec:\n")
    (tmp_path / "shop.yaml").write_text(head.format(n="sized") + sized + "---\n" + head.format(n="bare") + bare)
    result = scan_paths([str(tmp_path)], Config(only=frozenset({"K8S-082", "K8S-083"})))
    assert [s.split("::")[1] for s in result.coverage["K8S-082"].failed] == ["Deployment/shop/bare"]
    [limits] = [f for f in result.findings if f.rule == "K8S-082"]
    assert limits.location.resource == "Deployment/shop/bare" and "1 of them set their own" in limits.message
    assert len(result.coverage["K8S-083"].failed) == 2
