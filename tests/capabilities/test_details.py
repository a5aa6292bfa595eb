"""What detections say and where they point, on a few representative fixtures."""

from __future__ import annotations

from tests.capabilities.helpers_capabilities import FIXTURES, load_fixture

from cnsmm.capabilities import Detection, detect


def detection(detector: str, fixture: str) -> Detection:
    path = FIXTURES / detector / fixture
    (found,) = [d for d in detect(load_fixture(path)) if d.detector == detector]
    return found


def line_of(detector: str, fixture: str, needle: str) -> int:
    lines = (FIXTURES / detector / fixture).read_text(encoding="utf-8").splitlines()
    return next(i for i, text in enumerate(lines, 1) if needle in text)


def test_cluster_dump_counts_a_workload_once() -> None:
    det = detection("network-policy", "partial-cluster-dump.yaml")
    assert "1 of 1 workload(s)" in det.reason_en
    assert "Deployment/shop/web" in det.reason_en


def test_velero_without_schedule_says_so() -> None:
    det = detection("velero", "partial.yaml")
    assert "no active backup Schedule" in det.reason_en
    assert "定时备份" in det.reason_zh
    assert det.requirements_effective == ()


def test_istio_points_at_the_mtls_mode() -> None:
    det = detection("istio", "partial-permissive.yaml")
    assert "PERMISSIVE" in det.reason_en
    assert det.evidence[0].line == line_of("istio", "partial-permissive.yaml", "mode: PERMISSIVE")
    assert det.evidence[0].resource == "PeerAuthentication/istio-system/default"


def test_kyverno_audit_policies_are_not_enforcement() -> None:
    det = detection("kyverno", "partial-audit.yaml")
    assert "audit" in det.reason_en and "not blocked" in det.reason_en
    details = [e.detail for e in det.evidence]
    assert details == ["ClusterPolicy audit only", "Policy audit only"]


def test_image_evidence_points_at_the_image_line() -> None:
    det = detection("falco", "effective.yaml")
    image = [e for e in det.evidence if "runs" in e.detail]
    assert image and image[0].line == line_of("falco", "effective.yaml", "image: docker.io/falcosecurity")
    config = [e for e in det.evidence if "falco.yaml" in e.detail]
    assert config and config[0].line == line_of("falco", "effective.yaml", "falco.yaml: |")


def test_alertmanager_reads_base64_secret_configuration() -> None:
    det = detection("alertmanager", "partial-no-receivers.yaml")
    assert "no receiver sends notifications" in det.reason_en


def test_pdb_names_the_uncovered_workloads() -> None:
    det = detection("pod-disruption-budget", "partial.yaml")
    assert "Deployment/frontend (3 replica(s), no PDB)" in det.reason_en
    assert "Deployment/redis-master (1 replica(s), no PDB)" in det.reason_en
