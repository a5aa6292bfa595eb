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


@pytest.mark.corpus
def test_every_corpus_chart_renders_and_its_findings_name_templates() -> None:
    if not CORPUS_HELM.is_dir():
        pytest.skip("../shared/corpus-helm is absent")
    # the charts INDEX.md lists: every Chart.yaml not inside another chart
    charts = [Path(c) for c in chart_roots(str(p.parent) for p in CORPUS_HELM.rglob("Chart.yaml"))]
    assert len(charts) == 20
    result = scan_paths([str(CORPUS_HELM)], _config())
    assert result.errors == []
    # the summary says what was read: no plain manifest file, twenty charts built
    assert (result.files, result.builds) == (0, 20)
    # falco lists three subcharts that the copy lacks; its values disable them, so it renders without them
    falco = CORPUS_HELM / "falcosecurity__charts" / "charts" / "falco"
    assert [w for w in result.warnings if "rendered without subchart(s)" in w] == [
        f"{falco / 'Chart.yaml'}: rendered without subchart(s) falcosidekick, k8s-metacollector, falco-talon: "
        "Chart.yaml lists them but they are not in charts/, and the values disable them (falcosidekick.enabled=false, "
        "collectors.kubernetes.enabled=false, responseActions.enabled=false), so they would render nothing. "
        f"Run `helm dependency build {falco}` to render with them"]
    assert any(f.location.build == f"helm:{falco}" and f.rule == "K8S-001" for f in result.findings)
    rendered = {Path(s["file"]).parent for s in result.skipped if "(rendered and checked)" in s["reason"]}
    assert rendered == set(charts)
    # istio base renders only CRDs, a service account and a webhook: no finding there
    assert {f.location.build for f in result.findings} <= {f"helm:{c}" for c in rendered}
    assert len({f.location.build for f in result.findings}) >= len(rendered) - 1
    for f in result.findings:
        rel = Path(f.location.file or "").relative_to(CORPUS_HELM)
        assert "templates" in rel.parts or "crds" in rel.parts or rel.name == "Chart.yaml", f.location
        assert f.location.line and f.location.line >= 1


def _with_dependencies(root: Path, values: str) -> Path:
    chart = _chart(root)
    (chart / "Chart.yaml").write_text(
        "apiVersion: v2\nname: web\nversion: 0.1.0\ndependencies:\n"
        "  - {name: sidekick, version: 1.x, repository: https://charts.example, condition: sidekick.enabled}\n"
        "  - {name: metrics, version: 2.x, repository: https://charts.example, tags: [monitoring],"
        " condition: 'metrics.mode,metrics.enabled'}\n")
    (chart / "values.yaml").write_text("replicas: 1\nimage: nginx:1.25.3\nsecurityContext: {}\n" + values)
    return chart


def test_missing_subcharts_that_the_values_disable_are_left_out_and_said_so(tmp_path: Path) -> None:
    chart = _with_dependencies(tmp_path, "sidekick: {enabled: false}\ntags: {monitoring: false}\n")
    result = scan_paths([str(tmp_path)], _config())
    assert result.errors == []
    assert any(f.location.file == str(chart / "templates" / "deployment.yaml") for f in result.findings)
    note = next(w for w in result.warnings if "rendered without subchart(s)" in w)
    assert note.startswith(f"{chart / 'Chart.yaml'}: rendered without subchart(s) sidekick, metrics:")
    assert "(sidekick.enabled=false, tags.monitoring)" in note
    assert (chart / "Chart.yaml").read_text().count("name: ") == 3  # the chart itself is not changed


@pytest.mark.parametrize(("values", "named"), [
    ("sidekick: {enabled: true}\ntags: {monitoring: false}\n", "sidekick (sidekick.enabled=true)"),
    # the first condition path holding a boolean decides, and it overrides the tags
    ("sidekick: {enabled: false}\ntags: {monitoring: false}\nmetrics: {mode: 'yes', enabled: true}\n",
     "metrics (metrics.enabled=true)"),
    ("sidekick: {enabled: false}\n", "metrics (no condition switches it off)"),
])
def test_an_enabled_missing_subchart_is_an_input_error_that_says_what_to_do(
        tmp_path: Path, values: str, named: str) -> None:
    chart = _with_dependencies(tmp_path, values)
    other = tmp_path / "plain.yaml"
    other.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: x}]}\n")
    result = scan_paths([str(tmp_path)], _config())
    assert [(e.file, e.kind) for e in result.errors] == [(str(chart / "Chart.yaml"), "render")]
    message = result.errors[0].message
    assert f"subchart(s) {named} enabled but missing from {chart / 'charts'}" in message
    assert f"Run `helm dependency build {chart}`" in message and "the rest of the tree was scanned" in message
    assert {f.location.file for f in result.findings} == {str(other)}  # the rest is still scanned


def test_a_present_subchart_is_not_missing(tmp_path: Path) -> None:
    chart = _with_dependencies(tmp_path, "sidekick: {enabled: true}\ntags: {monitoring: false}\n")
    sub = chart / "charts" / "sidekick-folder"
    (sub / "templates").mkdir(parents=True)
    (sub / "Chart.yaml").write_text("apiVersion: v2\nname: sidekick\nversion: 1.2.0\n")
    result = scan_paths([str(tmp_path)], _config())
    assert result.errors == []
    assert "rendered without subchart(s) metrics:" in " ".join(result.warnings)



def test_objects_in_the_release_namespace_go_where_the_chart_is_installed(tmp_path: Path) -> None:
    chart = _chart(tmp_path)
    # deployment.yaml uses {{ .Release.Namespace }}; the agent pins its own namespace
    (chart / "templates" / "agent.yaml").write_text(
        TEMPLATE.replace("{{ .Release.Namespace }}", "kube-system").replace("-web", "-agent"))
    # no namespace chosen: the release namespace is the installer's; a pinned one stays
    chosen_later = scan_paths([str(tmp_path)], _config())
    assert {f.location.resource for f in chosen_later.findings} == {
        "Deployment/release-web", "Deployment/kube-system/release-agent"}
    assert not any(f.rule == "K8S-098" for f in chosen_later.findings)
    # the namespace given is the one checked, default included
    chosen = scan_paths([str(tmp_path)], _config(helm_namespace="default"))
    assert "Deployment/default/release-web" in {f.location.resource for f in chosen.findings}
    assert [f.location.resource for f in chosen.findings if f.rule == "K8S-098"] == ["Deployment/default/release-web"]
