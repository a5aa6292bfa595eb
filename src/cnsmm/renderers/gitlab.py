"""GitLab reports: the security report of type SAST (``--format gitlab-sast``, shown in the
merge request security widget and the vulnerability report) and the Code Quality report
(``--format gitlab-codequality``, a Code Climate issue list shown in the merge request diff).

The SAST report follows GitLab's security report schema version :data:`SAST_SCHEMA_VERSION`
(``dist/sast-report-format.json`` of gitlab-org/security-products/security-report-schemas).
Both reports identify a finding by the same stable identifier: the line-independent finding
fingerprint (:func:`~cnsmm.renderers.common.stable_ids`), as a UUID in the SAST report.
"""

from __future__ import annotations

import json
import posixpath
from datetime import UTC, datetime
from typing import Any

from cnsmm.findings import Finding, Severity
from cnsmm.renderers.common import as_uuid, stable_ids
from cnsmm.renderers.interface import Renderer, ScanReport

SAST_SCHEMA_VERSION = "15.0.7"
SAST_SCHEMA_URL = (
    "https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/"
    f"v{SAST_SCHEMA_VERSION}/dist/sast-report-format.json"
)
SAST_SEVERITY = {
    Severity.CRITICAL: "Critical",
    Severity.HIGH: "High",
    Severity.MEDIUM: "Medium",
    Severity.LOW: "Low",
    Severity.INFO: "Info",
}
CODE_QUALITY_SEVERITY = {
    Severity.CRITICAL: "blocker",
    Severity.HIGH: "critical",
    Severity.MEDIUM: "major",
    Severity.LOW: "minor",
    Severity.INFO: "info",
}
_TIME = "%Y-%m-%dT%H:%M:%S"
_NAME_MAX = 255
_SOLUTION_MAX = 7000
_DESCRIPTION_MAX = 1_048_576


def report_path(file: str | None) -> str:
    """A finding's file as GitLab shows it: relative to the project, with ``/``."""
    if not file:
        return "-"
    path = posixpath.normpath(file.replace("\\", "/"))
    return path.removeprefix("./")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _identifiers(f: Finding) -> list[dict[str, str]]:
    ids = [{"type": "cnsmm_rule_id", "name": f"cnsmm {f.rule}", "value": f.rule}]
    for cwe in f.cwe:
        number = cwe.upper().removeprefix("CWE-")
        if number.isdigit():
            ids.append({"type": "cwe", "name": f"CWE-{number}", "value": number,
                        "url": f"https://cwe.mitre.org/data/definitions/{number}.html"})
    return ids


def _vulnerability(f: Finding, identifier: str) -> dict[str, Any]:
    location: dict[str, Any] = {"file": report_path(f.location.file)}
    if f.location.line:
        location["start_line"] = f.location.line
        location["end_line"] = f.location.line
    description = f.message + (f"\n\n{f.description}" if f.description else "")
    vuln: dict[str, Any] = {
        "id": as_uuid(identifier),
        "name": _cut(f.title or f.rule, _NAME_MAX),
        "description": _cut(description, _DESCRIPTION_MAX),
        "severity": SAST_SEVERITY[f.severity],
        "identifiers": _identifiers(f),
        "location": location,
    }
    if f.fix:
        vuln["solution"] = _cut(f.fix, _SOLUTION_MAX)
    links = [{"url": r} for r in f.references if r.startswith(("http://", "https://"))]
    if links:
        vuln["links"] = links
    if f.location.resource:
        vuln["details"] = {
            "resource": {"name": "Kubernetes resource", "type": "text", "value": f.location.resource}
        }
    return vuln


class GitlabSastRenderer(Renderer):
    """GitLab security report, SAST type, schema :data:`SAST_SCHEMA_VERSION`."""

    def render(self, report: ScanReport) -> str:
        r = report.result
        tool = {"id": "cnsmm", "name": "cnsmm", "version": report.tool_version, "vendor": {"name": "cnsmm"}}
        scan: dict[str, Any] = {
            "analyzer": tool,
            "scanner": tool,
            "type": "sast",
            "start_time": report.started.astimezone(UTC).strftime(_TIME),
            "end_time": datetime.now(UTC).strftime(_TIME),
            "status": "success",
        }
        messages = [{"level": "warn", "value": f"input not read: {e.display()}"} for e in r.errors]
        if messages:
            scan["messages"] = messages
        doc = {
            "version": SAST_SCHEMA_VERSION,
            "schema": SAST_SCHEMA_URL,
            "scan": scan,
            "vulnerabilities": [_vulnerability(f, i) for f, i in stable_ids(r.findings)],
        }
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


class GitlabCodeQualityRenderer(Renderer):
    """GitLab Code Quality report: a JSON array of Code Climate issues."""

    def render(self, report: ScanReport) -> str:
        issues = []
        for f, identifier in stable_ids(report.result.findings):
            where = f" ({f.location.resource})" if f.location.resource else ""
            issue: dict[str, Any] = {
                "type": "issue",
                "check_name": f.rule,
                "description": f"{f.rule} {f.title}: {f.message}{where}",
                "categories": ["Security"],
                "severity": CODE_QUALITY_SEVERITY[f.severity],
                "fingerprint": identifier,
                "location": {"path": report_path(f.location.file), "lines": {"begin": f.location.line or 1}},
                "engine_name": "cnsmm",
            }
            if f.fix:
                issue["content"] = {"body": f.fix}
            issues.append(issue)
        return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"
