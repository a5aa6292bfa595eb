"""Rules count only for the requirements whose text they evidence.

Regressions found grading public repositories (an online shop, a monitoring stack and a GitOps
controller): image tag hygiene was credited to "images managed centrally", and RBAC roles
were pooled with the workloads of "microservice high availability".
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from cnsmm.assess import AssessOptions, Target, assess
from cnsmm.assess.gather import gather
from cnsmm.assess.paths import default_paths
from cnsmm.assess.result import RequirementResult
from cnsmm.config import Config
from cnsmm.model import load_model

MODEL = load_model()
PATHS = default_paths(MODEL)
NOW = datetime(2026, 12, 1, tzinfo=UTC)

SHOP = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: cart, namespace: shop}
spec:
  replicas: 3
  selector: {matchLabels: {app: cart}}
  template:
    metadata: {labels: {app: cart}}
    spec:
      containers:
        - name: server
          image: ghcr.io/acme/cart
          readinessProbe: {grpc: {port: 7070}}
          livenessProbe: {grpc: {port: 7070}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: namespace-janitor}
rules:
  - apiGroups: [""]
    resources: [namespaces]
    verbs: [list, delete]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader}
rules:
  - apiGroups: [""]
    resources: [pods]
    verbs: [get, list]
"""


def _requirements(tmp_path: Path, config: Config | None = None) -> dict[str, RequirementResult]:
    (tmp_path / "k8s").mkdir(exist_ok=True)
    (tmp_path / "k8s" / "shop.yaml").write_text(SHOP)
    bundle = gather(MODEL, [str(tmp_path / "k8s")], now=NOW, scan_config=config)
    result = assess(bundle, MODEL, AssessOptions(target=Target(3)), PATHS)
    return result.requirements


def test_an_untagged_image_is_traceability_evidence_not_registry_management(tmp_path: Path) -> None:
    reqs = _requirements(tmp_path)
    central = reqs["PLT.IMG.L1.1"]
    assert central.status == "unknown"
    settle = [s.en for s in central.settle]
    assert settle[0] == "set the option `trusted_registries` in cnsmm.yaml: the rules DKR-053, K8S-077 are not " \
                        "evaluated without it"
    assert not [e for e in central.evidence if e.ref == "K8S-075"]
    traced = reqs["DEV.DEV.L3.1"]
    assert any(e.ref == "K8S-075" and e.verdict == "not-met" for e in traced.evidence)


def test_the_registry_allow_list_is_what_shows_central_image_management(tmp_path: Path) -> None:
    config = Config(options={"trusted_registries": ["registry.example.com"]})
    central = _requirements(tmp_path, config)["PLT.IMG.L1.1"]
    assert central.status == "not-met"
    assert [e.ref for e in central.evidence if e.verdict == "not-met"] == ["K8S-077"]
    config = Config(options={"trusted_registries": ["ghcr.io/acme"]})
    assert _requirements(tmp_path, config)["PLT.IMG.L1.1"].status == "met"


def test_roles_are_not_counted_as_evidence_of_service_availability(tmp_path: Path) -> None:
    reqs = _requirements(tmp_path)
    ha = reqs["APP.MSV.L1.1"]
    assert not [e for e in ha.evidence if e.ref == "K8S-150"]
    assert ha.coverage is not None and ha.coverage[1] == 1
    orchestration = reqs["PLT.ORC.L1.1"]
    assert any(e.ref == "K8S-150" and e.verdict == "not-met" for e in orchestration.evidence)


OWN_ACCOUNT = """\
apiVersion: v1
kind: ServiceAccount
metadata: {name: cart, namespace: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: cart, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: cart}}
  template:
    metadata: {labels: {app: cart}}
    spec:
      serviceAccountName: cart
      containers:
        - {name: server, image: ghcr.io/acme/cart:1.4.0}
"""


def test_an_own_account_without_permissions_is_service_access_control(tmp_path: Path) -> None:
    """A service with its own account and no API permissions passes basic service access control;
    its mounted token is a hardening finding (K8S-063) for role-based access control at L2."""
    (tmp_path / "k8s").mkdir()
    (tmp_path / "k8s" / "cart.yaml").write_text(OWN_ACCOUNT)
    bundle = gather(MODEL, [str(tmp_path / "k8s")], now=NOW)
    reqs = assess(bundle, MODEL, AssessOptions(target=Target(3)), PATHS).requirements
    assert reqs["APP.GEN.L1.1"].status == "met"
    assert any(e.ref == "K8S-063" and e.verdict == "not-met" for e in reqs["INF.CMP.L2.2"].evidence)


def test_an_image_scan_shows_open_source_component_scanning_in_part() -> None:
    """An image scan finds the vulnerable open-source packages that reached the image: it shows
    automated scanning of open-source components in part (SCA of the dependencies shows it all)."""
    from cnsmm.assess import EvidenceBundle, ReportEvidence

    image = ReportEvidence("trivy.json", "trivy-json", "trivy", "image-scan", generated_at=NOW)
    sca = ReportEvidence("grype.json", "grype", "grype", "sca", generated_at=NOW)
    for report, status in ((image, "partial"), (sca, "met")):
        result = assess(EvidenceBundle(reports=(report,), now=NOW), MODEL, AssessOptions(), PATHS)
        assert result.requirements["DEV.DEV.L2.2"].status == status
