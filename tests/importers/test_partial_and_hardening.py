"""Partial imports, older layouts, detection past the first 64 KiB, and hostile shapes
(deep nesting, forced formats, non-SARIF SARIF)."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from cnsmm.errors import ReportParseError
from cnsmm.importers import open_report
from cnsmm.importers._jsonio import MAX_DEPTH

from .conftest import SAMPLES, Loaded, by_rule


def _deep(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


# The streamed formats, each with one field nested 20,000 deep where an item belongs.
DEEP = {
    "trivy-json": lambda d: '{"SchemaVersion":2,"ArtifactName":"x","ArtifactType":"filesystem","Results":[{"Target":"t",'
                            '"Vulnerabilities":[' + _deep(d) + "]}]}",
    "grype-json": lambda d: '{"matches":[{"vulnerability":' + _deep(d) + '}],"descriptor":{"name":"grype"}}',
    "cnsmm-json": lambda d: '{"schema":"cnsmm-scan","schema_version":1,"tool":"cnsmm","findings":[' + _deep(d) + "]}",
    "cyclonedx-json": lambda d: '{"bomFormat":"CycloneDX","specVersion":"1.5","vulnerabilities":[' + _deep(d) + "]}",
    "sarif": lambda d: '{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[' + _deep(d) + "]}]}",
}


@pytest.mark.parametrize("fmt", sorted(DEEP))
def test_deep_nesting_is_refused_in_bounded_memory(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / "deep.json"
    path.write_text(DEEP[fmt](20_000))
    tracemalloc.start()
    try:
        with pytest.raises(ReportParseError) as info:
            report = open_report(path, format=fmt)
            list(report.findings)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert f"nested deeper than {MAX_DEPTH} levels" in info.value.message
    assert info.value.message.startswith(str(path))
    assert peak < 32 * 1024 * 1024, peak  # was about 1 GB for this 40 KB shape


@pytest.mark.parametrize("fmt", sorted(DEEP))
def test_nesting_up_to_the_limit_is_read(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / "ok.json"
    path.write_text(DEEP[fmt](MAX_DEPTH - 8))
    report = open_report(path, format=fmt)
    findings = list(report.findings)  # the document is read; the odd item is a finding or an item error
    assert len(findings) + len(report.errors) == 1


def test_trivy_report_forced_as_grype_is_refused() -> None:
    with pytest.raises(ReportParseError, match="not a Grype report"):
        open_report(SAMPLES / "trivy-json" / "image.json", format="grype-json")


def test_sarif_without_version_is_refused(tmp_path: Path) -> None:
    log = json.loads((SAMPLES / "sarif" / "semgrep.sarif").read_text())
    del log["version"]
    path = tmp_path / "no-version.sarif"
    path.write_text(json.dumps(log))
    with pytest.raises(ReportParseError, match="missing version"):
        open_report(path)


def test_secret_scanner_sarif_with_non_array_locations_is_one_item_error(tmp_path: Path) -> None:
    log = json.loads((SAMPLES / "sarif" / "gitleaks.sarif").read_text())
    results = log["runs"][0]["results"]
    results.append(json.loads(json.dumps(results[0])))
    results[0]["locations"] = {"physicalLocation": {"artifactLocation": {"uri": "a.env"}}}
    path = tmp_path / "gitleaks.sarif"
    path.write_text(json.dumps(log))
    report = open_report(path)
    findings = list(report.findings)
    assert len(findings) == len(results) - 1
    [error] = list(report.errors)
    assert error.pointer == "/runs/0/results/0"
    assert error.reason == "locations must be an array (got object)"


def test_json_null_says_what_it_is(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text("null\n")
    with pytest.raises(ReportParseError, match="only JSON null"):
        open_report(path)


def test_late_identifying_keys_are_found_past_the_head(tmp_path: Path, load: Callable[..., Loaded]) -> None:
    doc = json.loads((SAMPLES / "kubescape-json" / "cluster.json").read_text())
    # Move the identifying keys after a long resources array (200 KB).
    filler = [{"resourceID": f"/v1/ns/ConfigMap/cm-{i}", "object": {"kind": "ConfigMap", "metadata": {
        "name": f"cm-{i}", "namespace": "ns"}}} for i in range(2000)]
    reordered = {"resources": filler + doc.get("resources", []),
                 **{k: v for k, v in doc.items() if k != "resources"}}
    path = tmp_path / "kubescape.json"
    path.write_text(json.dumps(reordered))
    assert path.stat().st_size > 64 * 1024
    report = open_report(path)
    assert report.format == "kubescape-json"
    assert len(list(report.findings)) == len(list(open_report(SAMPLES / "kubescape-json" / "cluster.json").findings))


def test_sarif_result_without_any_rule_is_kept(load: Callable[..., Loaded]) -> None:
    report, findings = load("sarif/result-without-rule.sarif")
    assert not report.errors
    assert "no-rule-id" in {f.rule for f in findings}


def test_trivy_k8s_older_layout(load: Callable[..., Loaded]) -> None:
    report, findings = load("trivy-json/k8s-legacy.json")
    assert (report.format, report.scope) == ("trivy-json", "k8s:kind-dev")
    rules = by_rule(findings)
    assert set(rules) == {"CVE-2023-4911", "KSV001"}
    assert rules["CVE-2023-4911"].location.resource == "Deployment/shop/web"
    assert rules["CVE-2023-4911"].location.image == "registry.example.com/shop/web:1.8.2"


def test_trivy_before_0_20_bare_array(load: Callable[..., Loaded]) -> None:
    report, findings = load("trivy-json/legacy-array.json")
    assert (report.format, report.scope, report.kind) == ("trivy-json", "image:alpine", "image-scan")
    assert [f.rule for f in findings] == ["CVE-2021-36159", "CVE-2021-3711"]


def test_trivy_empty_artifact_name_scope_is_the_project(load: Callable[..., Loaded]) -> None:
    report, findings = load("trivy-json/sbom-no-artifact-name.json")
    assert report.scope == "cyclonedx:project"  # never the file name
    assert [f.rule for f in findings] == ["CVE-2021-44228"]


def test_trivy_package_licenses_have_no_file_path(load: Callable[..., Loaded]) -> None:
    _, findings = load("trivy-json/licenses.json")
    files = {f.rule: f.location.file for f in findings}
    assert files == {"license:GPL-3.0-only": None, "license:AGPL-3.0": "usr/share/doc/tool/COPYING"}


def test_cyclonedx_1_2_vulnerability_extension(load: Callable[..., Loaded]) -> None:
    report, findings = load("cyclonedx-xml/grype-1.2-vuln-ext.xml")
    assert not report.errors
    assert (report.tool, report.tool_version) == ("grype", "0.32.0")
    rules = by_rule(findings)
    assert set(rules) == {"CVE-2021-3711", "CVE-2022-0778", "CVE-2018-25032"}
    ssl = rules["CVE-2021-3711"]
    assert (ssl.component, ssl.installed_version, ssl.severity.value) == ("libssl1.1", "1.1.1d-0+deb10u3", "critical")
    assert ssl.cwe == ("CWE-120",)
    assert rules["CVE-2018-25032"].component == "zlib1g"
    assert rules["CVE-2018-25032"].severity.value == "high"  # from the CVSS base score 7.5


def test_sarif_every_location_and_cwe_sources(load: Callable[..., Loaded]) -> None:
    _, findings = load("sarif/multi-location-cwe.sarif")
    xss = [f for f in findings if f.rule == "EX-XSS"]
    assert sorted(f.location.file or "" for f in xss) == ["src/views/a.py", "src/views/b.py"]
    assert all(f.cwe == ("CWE-79",) for f in xss)
    assert len({f.tool_fingerprint for f in xss}) == 2
    sqli = [f for f in findings if f.rule == "EX-SQLI"]
    assert set(sqli[0].cwe) == {"CWE-89", "CWE-564"}
    # numeric fingerprint keys are kept: two results on one file stay two findings
    assert {f.tool_fingerprint for f in sqli} == {"0=77aa01", "0=77aa02"}


def test_grype_sarif_is_a_dependency_scan(load: Callable[..., Loaded]) -> None:
    report, [finding] = load("sarif/grype.sarif")
    assert report.kind == "sca"
    assert (finding.rule, finding.category) == ("CVE-2023-5363", "vulnerability")
    assert (finding.component, finding.installed_version) == ("libssl3", "3.0.11-1~deb12u1")
