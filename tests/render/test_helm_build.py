"""Helm charts rendered with the real helm: findings name the template file and line; values
files and the chart's own test values; every chart of ../shared/corpus-helm."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import REPO
from tests.render.conftest import need

from cnsmm.config import Config, RenderSettings
from cnsmm.render.helm import chart_roots
from cnsmm.scan import scan_paths
from cnsmm.sources.yamlload import load_yaml

CORPUS_HELM = REPO.parent / "shared" / "corpus-helm"

TEMPLATE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-web
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "web.labels" . | nindent 4 }}
spec:
  replicas: {{ .Values.replicas }}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: "{{ .Values.image }}"
          {{- with .Values.securityContext }}
          securityContext:
            {{- toYaml . | nindent 12 }}
          {{- end }}
"""


@pytest.fixture(autouse=True)
def _helm() -> None:
    need("helm")


def _chart(root: Path) -> Path:
    chart = root / "web"
    (chart / "templates").mkdir(parents=True)
    (chart / "ci").mkdir()
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("replicas: 1\nimage: nginx:1.25.3\nsecurityContext: {}\n")
    (chart / "templates" / "_helpers.tpl").write_text('{{- define "web.labels" -}}\napp: web\n{{- end }}\n')
    (chart / "templates" / "deployment.yaml").write_text(TEMPLATE)
    (chart / "ci" / "privileged-values.yaml").write_text("securityContext: {privileged: true}\n")
    return chart


def _config(**render: object) -> Config:
    return Config(render=RenderSettings(cache_dir="", **render))  # type: ignore[arg-type]


def test_findings_name_the_template_file_and_line(tmp_path: Path) -> None:
    chart = _chart(tmp_path)
    result = scan_paths([str(tmp_path)], _config(helm_release="shop", helm_namespace="prod"))
    assert result.complete and result.objects == 1
    template = str(chart / "templates" / "deployment.yaml")
    lines = TEMPLATE.splitlines()
    assert {f.location.file for f in result.findings} == {template}
    assert {f.location.build for f in result.findings} == {f"helm:{chart}"}
    assert {f.location.resource for f in result.findings} == {"Deployment/prod/shop-web"}
    by_rule = {f.rule: f for f in result.findings}
    # image without digest: the `image:` line of the container; replicas: the `replicas:` line
    assert by_rule["K8S-076"].location.line == lines.index('          image: "{{ .Values.image }}"') + 1
    assert by_rule["K8S-086"].location.line == lines.index("  replicas: {{ .Values.replicas }}") + 1
    # no chart file is checked as a manifest of its own
    assert not any(s["file"].endswith("values.yaml") and "parse" in s["reason"] for s in result.skipped)


def test_values_files_and_the_charts_own_test_values(tmp_path: Path) -> None:
    chart = _chart(tmp_path)
    values = tmp_path / "prod-values.yaml"
    values.write_text("replicas: 3\n")
    result = scan_paths([str(chart)], _config(helm_values=(str(values),), helm_ci_values=True))
    builds = {f.location.build for f in result.findings}
    assert builds == {f"helm:{chart}", f"helm:{chart} (ci/privileged-values.yaml)"}
    # replicas 3 from --helm-values in both; privileged only in the ci variant, at the securityContext line
    assert not any(f.rule == "K8S-086" for f in result.findings)
    privileged = [f for f in result.findings if "privileged" in f.message and "allowPrivilegeEscalation" not in
                  f.message]
    assert privileged and {f.location.build for f in privileged} == {f"helm:{chart} (ci/privileged-values.yaml)"}
    assert {f.location.line for f in privileged} == {TEMPLATE.splitlines().index("          securityContext:") + 1}


def test_a_chart_that_does_not_render_is_an_input_error(tmp_path: Path) -> None:
    chart = _chart(tmp_path)
    (chart / "templates" / "broken.yaml").write_text("{{ fail \"image.repository must be set\" }}\n")
    other = tmp_path / "plain.yaml"
    other.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: x}]}\n")
    result = scan_paths([str(tmp_path)], _config())
    assert [(e.file, e.kind) for e in result.errors] == [(str(chart / "Chart.yaml"), "render")]
    assert "image.repository must be set" in result.errors[0].message
    assert {f.location.file for f in result.findings} == {str(other)}


def _dependencies_present(chart: Path) -> bool:
    docs, _ = load_yaml((chart / "Chart.yaml").read_text())
    deps = docs[0].value.get("dependencies") or []
    return all((chart / "charts" / str(d.get("name"))).is_dir() for d in deps)


@pytest.mark.corpus
def test_every_corpus_chart_renders_and_its_findings_name_templates() -> None:
    if not CORPUS_HELM.is_dir():
        pytest.skip("../shared/corpus-helm is absent")
    # the charts INDEX.md lists: every Chart.yaml not inside another chart
    charts = [Path(c) for c in chart_roots(str(p.parent) for p in CORPUS_HELM.rglob("Chart.yaml"))]
    assert len(charts) == 20
    result = scan_paths([str(CORPUS_HELM)], _config())
    failed = {Path(e.file).parent for e in result.errors}
    # a chart renders unless its declared subcharts are missing from charts/ (helm's own verdict)
    assert failed == {c for c in charts if not _dependencies_present(c)}
    assert all("missing in charts/ directory" in e.message for e in result.errors)
    rendered = {Path(s["file"]).parent for s in result.skipped if "(rendered and checked)" in s["reason"]}
    assert rendered == set(charts) - failed
    # istio base renders only CRDs, a service account and a webhook: no finding there
    assert {f.location.build for f in result.findings} <= {f"helm:{c}" for c in rendered}
    assert len({f.location.build for f in result.findings}) >= len(rendered) - 1
    for f in result.findings:
        rel = Path(f.location.file or "").relative_to(CORPUS_HELM)
        assert "templates" in rel.parts or "crds" in rel.parts or rel.name == "Chart.yaml", f.location
        assert f.location.line and f.location.line >= 1
