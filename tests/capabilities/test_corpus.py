"""Detection over real-world manifests, one set per folder (skipped when ../shared/corpus is absent)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
from tests.conftest import CORPUS

from cnsmm.capabilities import Detection, detect
from cnsmm.sources.k8s import K8sObject, objects_from_documents
from cnsmm.sources.yamlload import load_yaml

pytestmark = pytest.mark.corpus


@pytest.fixture(scope="module")
def by_folder() -> dict[Path, list[Detection]]:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is absent")
    sets: dict[Path, list[K8sObject]] = defaultdict(list)
    for path in sorted(CORPUS.rglob("*")):
        if path.suffix not in (".yaml", ".yml", ".json") or not path.is_file():
            continue
        docs, _ = load_yaml(path.read_text(encoding="utf-8", errors="replace"))
        objects, _ = objects_from_documents(docs, str(path))
        sets[path.parent].extend(objects)
    return {folder: detect(objects) for folder, objects in sets.items()}


def found_in(by_folder: dict[Path, list[Detection]], repo: str) -> dict[str, set[str]]:
    """Detector id -> statuses seen in the folders of one corpus repository."""
    out: dict[str, set[str]] = defaultdict(set)
    for folder, detections in by_folder.items():
        if folder.relative_to(CORPUS).parts[0] == repo:
            for d in detections:
                out[d.detector].add(d.status)
    return out


def test_known_components_are_recognised(by_folder: dict[Path, list[Detection]]) -> None:
    prom = found_in(by_folder, "prometheus-operator__kube-prometheus")
    assert "effective" in prom["prometheus"]
    assert "alertmanager" in prom and "grafana" in prom and "network-policy" in prom
    assert "cert-manager" in found_in(by_folder, "cert-manager__cert-manager")
    assert "istio" in found_in(by_folder, "istio__istio")
    assert "argo-cd" in found_in(by_folder, "argoproj__argo-cd")
    assert "dex" in found_in(by_folder, "argoproj__argo-cd")
    assert "sysdig-agent" in found_in(by_folder, "kubernetes__examples")


def test_configuration_decides_the_status(by_folder: dict[Path, list[Detection]]) -> None:
    manifests = {d.detector: d for d in by_folder[CORPUS / "prometheus-operator__kube-prometheus" / "manifests"]}
    # kube-prometheus ships receivers with no notification integration
    assert manifests["alertmanager"].status == "partial"
    assert "*_configs" in manifests["alertmanager"].reason_en
    # nobody in the corpus sets mesh-wide STRICT mTLS
    assert {d.status for ds in by_folder.values() for d in ds if d.detector == "istio"} == {"partial"}
    # ingress-nginx's OPA example exempts a namespace named "privileged": not a privilege policy
    gk = [d for ds in by_folder.values() for d in ds if d.detector == "gatekeeper"]
    assert gk and all("PLT.RUN.L2.1" not in d.requirements_effective for d in gk)


def test_no_unrelated_application_is_taken_for_a_security_tool(by_folder: dict[Path, list[Detection]]) -> None:
    demo = found_in(by_folder, "GoogleCloudPlatform__microservices-demo")
    assert set(demo) <= {"istio", "network-policy", "opentelemetry-collector", "pod-disruption-budget",
                         "horizontal-pod-autoscaler"}
    assert not found_in(by_folder, "docker-library__python")
