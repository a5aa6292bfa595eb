"""Components installed through Argo CD, Flux and helmfile count as deployed components."""

from __future__ import annotations

from pathlib import Path

from cnsmm.scan import scan_paths

ARGO_FALCO = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: runtime-security, namespace: argocd}
spec:
  project: platform
  destination: {server: https://kubernetes.default.svc, namespace: falco}
  source:
    repoURL: https://falcosecurity.github.io/charts
    chart: falco
    targetRevision: 4.8.1
    helm:
      valuesObject:
        driver: {kind: modern_ebpf}
"""

FLUX_TRIVY = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: scanner, namespace: trivy-system}
spec:
  interval: 1h
  chart:
    spec:
      chart: trivy-operator
      sourceRef: {kind: HelmRepository, name: aqua}
  values:
    operator: {scanJobsConcurrentLimit: 3}
"""

HELMFILE = """\
repositories:
  - name: falcosecurity
    url: https://falcosecurity.github.io/charts
releases:
  - name: falco
    namespace: falco
    chart: falcosecurity/falco
    version: 4.8.1
    values:
      - controller: {kind: deployment}
"""


def _detections(tmp_path: Path, files: dict[str, str]) -> dict[str, object]:
    for name, text in files.items():
        path = tmp_path / "repo" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    result = scan_paths([str(tmp_path / "repo")])
    return {d.detector: d for d in result.capabilities}


def test_argo_cd_application_installs_falco(tmp_path: Path) -> None:
    found = _detections(tmp_path, {"apps/falco.yaml": ARGO_FALCO})
    falco = found["falco"]
    assert falco.status == "effective"  # type: ignore[attr-defined]
    assert "PLT.RUN.L3.1" in falco.requirements_effective  # type: ignore[attr-defined]
    assert any("Argo CD Application" in e.detail for e in falco.evidence)  # type: ignore[attr-defined]


def test_flux_helm_release_installs_trivy_operator(tmp_path: Path) -> None:
    found = _detections(tmp_path, {"clusters/prod/trivy.yaml": FLUX_TRIVY})
    assert "trivy-operator" in found
    assert any("Flux HelmRelease" in e.detail for e in found["trivy-operator"].evidence)  # type: ignore[attr-defined]


def test_helmfile_release_counts_and_its_values_are_read(tmp_path: Path) -> None:
    found = _detections(tmp_path, {"helmfile.yaml": HELMFILE})
    falco = found["falco"]
    # the values switch the chart to a Deployment: it does not watch every node
    assert falco.status == "partial"  # type: ignore[attr-defined]
    assert any("helmfile release falco" in e.detail for e in falco.evidence)  # type: ignore[attr-defined]
    default = _detections(tmp_path / "b", {"helmfile.yaml": HELMFILE.replace("      - controller: {kind: deployment}\n", "")})
    assert default["falco"].status == "effective"  # type: ignore[attr-defined]


def test_unrelated_applications_install_nothing(tmp_path: Path) -> None:
    app = ARGO_FALCO.replace("chart: falco", "chart: guestbook").replace("runtime-security", "guestbook")
    assert "falco" not in _detections(tmp_path, {"apps/guestbook.yaml": app})
