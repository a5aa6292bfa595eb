"""Field and severity mapping of the platform formats: GitHub alerts, SonarQube, Harbor,
NeuVector, Prisma Cloud, Prowler, SPDX and VEX documents."""

from __future__ import annotations

from pathlib import Path

import pytest

from cnsmm.errors import ReportParseError
from cnsmm.findings import Finding
from cnsmm.importers import open_report

from .conftest import SAMPLES


def _by_rule(sample: str) -> dict[str, Finding]:
    return {f.rule: f for f in open_report(SAMPLES / sample).findings}


def test_dependabot_open_alerts_map_like_dependency_scanners() -> None:
    found = _by_rule("github-dependabot-json/alerts.json")
    lodash = found["CVE-2021-23337"]
    assert (lodash.severity.value, lodash.component, lodash.installed_version, lodash.fixed_version,
            lodash.location.file, lodash.aliases, lodash.cwe) == (
        "high", "lodash", None, "4.17.21", "web/package-lock.json", ("GHSA-35jh-r3h4-6jhm",), ("CWE-77",))
    assert "GHSA-h75v-3vvj-5mfj" in found  # no CVE id: the GHSA id is the rule
    assert "CVE-2021-44906" not in found and "CVE-2024-35195" not in found  # dismissed, fixed


def test_code_scanning_severity_and_tool() -> None:
    found = _by_rule("github-code-scanning-json/alerts-paginated.json")
    sql, ckv = found["py/sql-injection"], found["CKV_K8S_20"]
    assert (sql.severity.value, sql.tool, sql.cwe, sql.location.line) == ("high", "codeql", ("CWE-89",), 88)
    assert (ckv.severity.value, ckv.tool) == ("medium", "checkov")  # warning, no security severity


def test_sonarqube_security_impact_and_legacy_severity() -> None:
    found = _by_rule("sonarqube-json/issues-10.json")
    assert found["pythonsecurity:S3649"].severity.value == "high"  # impact HIGH, not BLOCKER
    assert found["python:S4507"].severity.value == "low"  # a code smell with a security impact
    old = open_report(SAMPLES / "sonarqube-json/issues-8.9-page1-of-2.json")
    rules = {f.rule: f for f in old.findings}
    assert rules["java:S2076"].severity.value == "high"  # legacy CRITICAL
    assert rules["java:S4790"].location.file == "src/main/java/org/example/Hash.java"  # project key with a colon
    assert [e.pointer for e in old.errors] == ["/paging/total"]  # one page of two: partial


def test_image_scanners_name_the_image_and_fixes() -> None:
    harbor = _by_rule("harbor-json/additions-vulnerabilities.json")
    assert harbor["CVE-2011-3374"].severity.value == "info"  # Negligible
    nv = _by_rule("neuvector-json/scan_result.json")
    assert nv["CVE-2024-6119"].location.image == "registry.example.com/shop/api:2.4.0"
    assert nv["CIS-docker-4.1"].category == "compliance"
    prisma = _by_rule("twistcli-json/twistcli-images-scan.json")
    assert prisma["CVE-2023-0286"].fixed_version == "1:1.1.1k-9.el8_7"  # first of "fixed in A, B"
    assert prisma["CVE-2023-0286"].severity.value == "high"  # important
    assert prisma["CVE-2021-3997"].fixed_version is None  # will not fix


def test_prowler_resources_and_scope() -> None:
    report = open_report(SAMPLES / "prowler-ocsf-json/prowler-output-v5.ocsf.json")
    found = {f.rule: f for f in report.findings}
    assert report.scope == "aws:123456789012"
    assert found["s3_bucket_level_public_access_block"].location.resource == "arn:aws:s3:::example-shop-logs"
    assert found["core_minimize_privileged_containers"].location.resource == "Pod/shop/web-7d9f8c6b5-x2x4q"
    assert "accessanalyzer_enabled" not in found  # muted


def test_spdx_inventory_and_subject() -> None:
    report = open_report(SAMPLES / "spdx-json/github-dependency-graph-2.3.json")
    assert list(report.findings) == []
    assert [(c.name, c.version, c.type) for c in report.components] == [
        ("lodash", "4.17.20", "npm"), ("jinja2", "3.1.3", "pypi")]
    assert report.scope == "sbom:component:com.github.example-org/shop"
    image = open_report(SAMPLES / "spdx-json/syft-image-2.3.spdx.json")
    assert (image.scope, image.tool, image.tool_version) == ("sbom:image:registry.example.com/shop/web", "syft", "1.18.1")


def test_vex_documents_yield_statements_not_findings() -> None:
    report = open_report(SAMPLES / "openvex-json/shop-web.openvex.json")
    assert list(report.findings) == [] and report.kind == "vex"
    assert [(s.vulnerability, s.status) for s in report.vex] == [
        ("CVE-2023-5363", "not_affected"), ("CVE-2024-45490", "fixed"), ("CVE-2011-3374", "under_investigation"),
        ("CVE-2021-23337", "affected")]
    cdx = open_report(SAMPLES / "cyclonedx-vex-json/shop-web.vex.cdx.json")
    assert list(cdx.findings) == []
    assert [(s.vulnerability, s.status, s.original) for s in cdx.vex] == [
        ("CVE-2023-5363", "not_affected", "false_positive"), ("CVE-2024-45490", "fixed", "resolved"),
        ("CVE-2024-6119", "affected", "exploitable")]
    assert cdx.vex[0].products == ("pkg:deb/debian/libssl3@3.0.11-1~deb12u1?arch=amd64&distro=debian-12",)


def test_neuvector_failed_scan_is_refused_with_its_message(tmp_path: Path) -> None:
    # The standalone scanner writes error_message and an empty report when a scan fails:
    # importing it as "no vulnerabilities" would close every open finding of the image.
    path = tmp_path / "scan_result.json"
    path.write_text('{"error_message": "Failed to get image: registry.example.com/shop/web:9.9: not found", '
                    '"report": {"registry": "https://registry.example.com/", "repository": "shop/web", "tag": "9.9", '
                    '"cvedb_version": "3.911", "vulnerabilities": []}}')
    with pytest.raises(ReportParseError, match=r"NeuVector scan failed \(Failed to get image: .*not found\)"):
        open_report(path)


def test_harbor_reports_of_several_mime_types_are_all_read(tmp_path: Path) -> None:
    import json

    source = SAMPLES / "harbor-json/additions-vulnerabilities.json"
    doc = json.loads(source.read_text())
    (key,) = doc
    native = doc[key]
    other = {"generated_at": native["generated_at"], "scanner": native["scanner"], "severity": "High",
             "vulnerabilities": [native["vulnerabilities"][0],  # named by both: one finding
                                 {"id": "CVE-2024-45491", "package": "libexpat1", "version": "2.5.0-1",
                                  "fix_version": "2.5.0-1+deb12u1", "severity": "Critical"}]}
    doc["application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0"] = other
    path = tmp_path / "harbor.json"
    path.write_text(json.dumps(doc))
    single = [f.rule for f in open_report(source).findings]
    both = [f.rule for f in open_report(path).findings]
    assert both == [*single, "CVE-2024-45491"]
