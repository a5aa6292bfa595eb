"""Scan renderers on a realistic result with hostile strings."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema
import pytest
from tests.conftest import SCHEMAS

from cnsmm.config import Config
from cnsmm.renderers import OutputFormat, ScanReport, renderer_for
from cnsmm.renderers.markdown import md_escape
from cnsmm.scan import scan_paths

HOSTILE = """\
apiVersion: v1
kind: Pod
metadata:
  name: "x<script>alert(1)</script>|=cmd|' [a](http://evil) **b**"
  namespace: apps
spec:
  containers:
    - name: "<img src=x onerror=alert(1)>"
      image: nginx:1.25
      securityContext:
        privileged: true
"""


@pytest.fixture
def report(write) -> ScanReport:  # type: ignore[no-untyped-def]
    good = write("ok/pod.yaml", HOSTILE)
    write("ok/broken.yaml", "kind: [\n")
    result = scan_paths([str(good.parent)], Config(only=frozenset({"K8S-001"})))
    assert result.findings and result.errors
    return ScanReport(result, [str(good.parent)], "0.1.0", "high")


def test_every_format_has_a_renderer(report: ScanReport) -> None:
    for fmt in OutputFormat:
        assert renderer_for(fmt).render(report)


def test_json_shape(report: ScanReport) -> None:
    doc = json.loads(renderer_for(OutputFormat.JSON).render(report))
    assert doc["schema"] == "cnsmm-scan" and doc["schema_version"] == 1
    f = doc["findings"][0]
    assert {"rule", "severity", "file", "line", "resource", "message"} <= set(f)
    assert f["resource"].startswith("Pod/apps/x<script>")  # data unchanged in JSON
    assert doc["errors"][0]["file"].endswith("broken.yaml") and doc["complete"] is False


def test_sarif_validates_against_the_official_schema(report: ScanReport) -> None:
    schema_file = SCHEMAS / "sarif-schema-2.1.0.json"
    if not schema_file.exists():
        candidates = list(SCHEMAS.glob("*sarif*.json"))
        if not candidates:
            pytest.skip("SARIF schema not available")
        schema_file = candidates[0]
    schema = json.loads(schema_file.read_text())
    doc = json.loads(renderer_for(OutputFormat.SARIF).render(report))
    jsonschema.validate(doc, schema)
    run = doc["runs"][0]
    assert run["results"][0]["ruleId"] == "K8S-001"
    assert run["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 11
    assert run["tool"]["driver"]["rules"][0]["properties"]["security-severity"] == "9.5"
    assert run["invocations"][0]["executionSuccessful"] is False


def test_sarif_lists_rules_not_evaluated_as_configuration_notifications(write) -> None:  # type: ignore[no-untyped-def]
    pod = write("ok/pod.yaml", HOSTILE)
    result = scan_paths([str(pod.parent)], Config(only=frozenset({"K8S-001", "K8S-077"})))
    doc = json.loads(renderer_for(OutputFormat.SARIF).render(ScanReport(result, [str(pod)], "0.1.0", "high")))
    schema_file = SCHEMAS / "sarif-schema-2.1.0.json"
    if schema_file.exists():
        jsonschema.validate(doc, json.loads(schema_file.read_text()))
    run = doc["runs"][0]
    (note,) = run["invocations"][0]["toolConfigurationNotifications"]
    assert note["descriptor"]["id"] == "K8S-077" and "trusted_registries" in note["message"]["text"]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["K8S-001"]  # K8S-077 did not run


def test_junit_is_well_formed(report: ScanReport) -> None:
    root = ET.fromstring(renderer_for(OutputFormat.JUNIT).render(report))
    assert root.tag == "testsuites"
    assert root.get("failures") == "1" and root.get("errors") == "1"
    case = root.find("./testsuite/testcase[failure]")
    assert case is not None and case.get("line") == "11"


def test_markdown_escapes_injection(report: ScanReport) -> None:
    md = renderer_for(OutputFormat.MARKDOWN).render(report)
    assert "<script>" not in md and "<img" not in md
    assert "[a](http://evil)" not in md
    table_rows = [line for line in md.splitlines() if line.startswith("| critical | K8S")]
    assert len(table_rows) == 1 and table_rows[0].count(" | ") == 4  # the name's pipes are escaped


def test_text_contains_fix_and_summary(report: ScanReport) -> None:
    out = renderer_for(OutputFormat.TEXT).render(report)
    assert "K8S-001" in out and "fix:" in out and "Scan incomplete" in out
    assert "\x1b[" not in out  # no colour codes when not a terminal


def test_sarif_for_absolute_and_relative_paths(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from cnsmm.renderers.sarif import artifact_uri

    assert artifact_uri("k8s/a b.yaml") == {"uri": "k8s/a%20b.yaml", "uriBaseId": "%SRCROOT%"}
    assert artifact_uri("/abs/x.yaml") == {"uri": "file:///abs/x.yaml"}
    assert artifact_uri("<stdin>") == {"uri": "stdin"}


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ('<img src=x onerror="alert(1)">', '&lt;img src=x onerror="alert(1)"&gt;'),
        ("[click](javascript:alert(1))", "\\[click\\](javascript:alert(1))"),
        ("![x](http://tracker.example/p.png)", "\\!\\[x\\](http://tracker.example/p.png)"),
        ("a | b", "a \\| b"),
        ("`code` *em* _em_ ~~del~~ # h", "\\`code\\` \\*em\\* \\_em\\_ \\~\\~del\\~\\~ \\# h"),
        ("- nested", "\\- nested"),
        ("+ nested", "\\+ nested"),
        ("12. ordered", "12\\. ordered"),
        ("3) ordered", "3\\) ordered"),
        ("line one\r\nline two\n\n| x |", "line one line two \\| x \\|"),
        ("Cloud-native (CNMM-TAS) 云原生安全", "Cloud-native (CNMM-TAS) 云原生安全"),
        ("a & b > c", "a &amp; b &gt; c"),
    ],
)
def test_md_escape(text: str, escaped: str) -> None:
    assert md_escape(text) == escaped
