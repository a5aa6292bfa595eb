"""GitLab SAST security report and Code Quality report: every required field, stable ids."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import jsonschema
import pytest

from cnsmm.config import Config
from cnsmm.findings import Finding, Location, Severity
from cnsmm.renderers import OutputFormat, ScanReport, renderer_for
from cnsmm.renderers.gitlab import SAST_SCHEMA_URL, SAST_SCHEMA_VERSION
from cnsmm.scan import ScanResult, scan_paths

TIME = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$"
_NAMED = {"type": "object", "required": ["id", "name", "version", "vendor"],
          "properties": {"id": {"type": "string", "minLength": 1}, "name": {"type": "string", "minLength": 1},
                         "version": {"type": "string", "minLength": 1},
                         "vendor": {"type": "object", "required": ["name"],
                                    "properties": {"name": {"type": "string", "minLength": 1}}}}}
SAST_REQUIRED = {
    # The required fields, enums, patterns and limits of GitLab's sast-report-format.json 15.0.7.
    "type": "object",
    "required": ["scan", "version", "vulnerabilities"],
    "properties": {
        "version": {"type": "string", "pattern": r"^[0-9]+\.[0-9]+\.[0-9]+$"},
        "schema": {"type": "string", "pattern": "^https?://.+"},
        "scan": {
            "type": "object",
            "required": ["analyzer", "end_time", "scanner", "start_time", "status", "type"],
            "properties": {
                "analyzer": _NAMED, "scanner": _NAMED,
                "start_time": {"type": "string", "pattern": TIME}, "end_time": {"type": "string", "pattern": TIME},
                "status": {"enum": ["success", "failure"]}, "type": {"enum": ["sast"]},
                "messages": {"type": "array", "items": {
                    "type": "object", "required": ["level", "value"],
                    "properties": {"level": {"enum": ["info", "warn", "fatal"]},
                                   "value": {"type": "string", "minLength": 1}}}},
            },
        },
        "vulnerabilities": {"type": "array", "items": {
            "type": "object",
            "required": ["id", "identifiers", "location"],
            "properties": {
                "id": {"type": "string", "minLength": 1},
                "name": {"type": "string", "maxLength": 255},
                "description": {"type": "string", "maxLength": 1048576},
                "severity": {"enum": ["Info", "Unknown", "Low", "Medium", "High", "Critical"]},
                "solution": {"type": "string", "maxLength": 7000},
                "identifiers": {"type": "array", "minItems": 1, "items": {
                    "type": "object", "required": ["type", "name", "value"],
                    "properties": {"type": {"type": "string", "minLength": 1},
                                   "name": {"type": "string", "minLength": 1},
                                   "value": {"type": "string", "minLength": 1},
                                   "url": {"type": "string", "pattern": "^(https?|ftp)://.+"}}}},
                "links": {"type": "array", "items": {"type": "object", "required": ["url"],
                                                      "properties": {"url": {"type": "string",
                                                                             "pattern": "^(https?|ftp)://.+"}}}},
                "location": {"type": "object", "properties": {
                    "file": {"type": "string"}, "start_line": {"type": "number"}, "end_line": {"type": "number"}}},
                "details": {"type": "object", "patternProperties": {"^.*$": {
                    "type": "object", "required": ["name", "type", "value"]}}},
            },
        }},
    },
}
CODE_QUALITY_REQUIRED = {
    # What GitLab reads from a Code Quality report (a subset of the Code Climate issue spec).
    "type": "array",
    "items": {
        "type": "object",
        "required": ["description", "check_name", "fingerprint", "severity", "location"],
        "properties": {
            "type": {"const": "issue"},
            "description": {"type": "string", "minLength": 1},
            "check_name": {"type": "string", "minLength": 1},
            "fingerprint": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
            "severity": {"enum": ["info", "minor", "major", "critical", "blocker"]},
            "categories": {"type": "array", "items": {"type": "string"}, "minItems": 1},
            "location": {"type": "object", "required": ["path", "lines"], "properties": {
                "path": {"type": "string", "minLength": 1},
                "lines": {"type": "object", "required": ["begin"],
                          "properties": {"begin": {"type": "integer", "minimum": 1}}}}},
        },
    },
}


def _sast(report: ScanReport) -> dict:  # type: ignore[type-arg]
    return json.loads(renderer_for(OutputFormat.GITLAB_SAST).render(report))


def _cq(report: ScanReport) -> list:  # type: ignore[type-arg]
    return json.loads(renderer_for(OutputFormat.GITLAB_CODEQUALITY).render(report))


def test_sast_report_has_every_required_field(sample_report: ScanReport) -> None:
    doc = _sast(sample_report)
    jsonschema.validate(doc, SAST_REQUIRED)
    assert doc["version"] == SAST_SCHEMA_VERSION == "15.0.7"
    assert doc["schema"] == SAST_SCHEMA_URL and f"v{SAST_SCHEMA_VERSION}/" in SAST_SCHEMA_URL
    scan = doc["scan"]
    assert scan["type"] == "sast" and scan["status"] == "success"
    assert scan["analyzer"]["id"] == scan["scanner"]["id"] == "cnsmm" and scan["scanner"]["version"] == "0.1.0"
    assert scan["start_time"] <= scan["end_time"]
    # the unreadable file is reported to the pipeline as a warning, not dropped
    assert [m["level"] for m in scan["messages"]] == ["warn"] and "k8s/broken.yaml" in scan["messages"][0]["value"]
    vulns = doc["vulnerabilities"]
    assert len(vulns) == len(sample_report.result.findings)
    assert len({v["id"] for v in vulns}) == len(vulns)
    assert all(uuid.UUID(v["id"]).version == 5 for v in vulns)
    priv = [v for v in vulns if v["identifiers"][0]["value"] == "K8S-001"]
    assert {(v["location"]["file"], v["location"]["start_line"]) for v in priv} == {
        ("k8s/web.yaml", 15), ("k8s/web.yaml", 18), ("k8s/hostile.yaml", 10)}
    assert all(v["severity"] == "Critical" and v["solution"] and v["name"] == "Container runs privileged"
               for v in priv)
    assert {v["identifiers"][0]["type"] for v in vulns} == {"cnsmm_rule_id"}
    resources = {v["details"]["resource"]["value"] for v in priv}
    assert "Deployment/shop/web" in resources
    dockerfile = [v for v in vulns if v["location"]["file"] == "Dockerfile"]
    assert dockerfile and all("details" not in v for v in dockerfile)


def test_code_quality_report_has_every_required_field(sample_report: ScanReport) -> None:
    issues = _cq(sample_report)
    jsonschema.validate(issues, CODE_QUALITY_REQUIRED)
    assert len(issues) == len(sample_report.result.findings)
    assert len({i["fingerprint"] for i in issues}) == len(issues)  # GitLab keeps one issue per fingerprint
    sev = {(i["check_name"], i["severity"]) for i in issues}
    assert ("K8S-001", "blocker") in sev
    assert {i["location"]["path"] for i in issues} == {"k8s/web.yaml", "k8s/hostile.yaml", "Dockerfile",
                                                       ".gitlab-ci.yml"}


def test_ids_survive_line_shifts_and_match_between_the_reports(sample_dir: Path, sample_report: ScanReport,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    before_sast, before_cq = _sast(sample_report), _cq(sample_report)
    web = sample_dir / "k8s" / "web.yaml"
    web.write_text("# moved down by a comment\n\n" + web.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.chdir(sample_dir)
    after = ScanReport(scan_paths(["."], Config()), ["."], "0.1.0", "high")
    after_sast, after_cq = _sast(after), _cq(after)
    lines = {v["id"]: v["location"].get("start_line") for v in after_sast["vulnerabilities"]}
    assert {v["id"] for v in before_sast["vulnerabilities"]} == set(lines)
    moved = [v for v in before_sast["vulnerabilities"] if v["location"]["file"] == "k8s/web.yaml"]
    assert moved and all(lines[v["id"]] == v["location"]["start_line"] + 2 for v in moved)
    assert {i["fingerprint"] for i in before_cq} == {i["fingerprint"] for i in after_cq}
    from cnsmm.renderers.common import as_uuid

    assert {as_uuid(i["fingerprint"]) for i in after_cq} == set(lines)


def test_identical_findings_get_distinct_stable_ids() -> None:
    def finding(line: int) -> Finding:
        return Finding("K8S-001", Severity.HIGH, "Container runs privileged", 'container "a" runs privileged',
                       Location("a.yaml", line, resource="Pod/ns/p"), cwe=("CWE-250",),
                       references=("https://kubernetes.io/docs/concepts/security/pod-security-standards/",))

    report = ScanReport(ScanResult(findings=[finding(9), finding(4)]), ["a.yaml"], "0.1.0")
    first, second = _sast(report), _cq(report)
    assert len({v["id"] for v in first["vulnerabilities"]}) == 2
    assert len({i["fingerprint"] for i in second}) == 2
    assert _sast(report)["vulnerabilities"] == first["vulnerabilities"]
    vuln = first["vulnerabilities"][0]
    jsonschema.validate(first, SAST_REQUIRED)
    assert vuln["identifiers"][1] == {"type": "cwe", "name": "CWE-250", "value": "250",
                                      "url": "https://cwe.mitre.org/data/definitions/250.html"}
    assert vuln["links"][0]["url"].startswith("https://kubernetes.io/")
    assert re.fullmatch(r"[0-9a-f]{32}", second[1]["fingerprint"])
