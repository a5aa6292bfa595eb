"""GitHub code scanning alerts, as the REST API returns them (``GET /repos/{owner}/{repo}/code-scanning/alerts``,
also the organisation endpoint). Loaded whole.

Only alerts in state ``open`` are problems (``dismissed`` and ``fixed`` give no finding). The
alert's location is its ``most_recent_instance``; the tool that found it (CodeQL, or any SARIF
uploader) is kept on each finding.
"""

from __future__ import annotations

from typing import IO, Any

from cnsmm.findings import Finding, Location, Severity
from cnsmm.importers import _github
from cnsmm.importers._common import (
    At,
    as_dict,
    cwe_ids,
    get_dict,
    get_int,
    get_str,
    req_str,
    severity_from_label,
    slug,
    str_tuple,
    unique,
)
from cnsmm.importers._simple import report
from cnsmm.importers.interface import ImportedReport
from cnsmm.vocab import ReportKind

FORMAT = "github-code-scanning-json"
VERSIONS = ("GitHub REST API 2022-11-28 code scanning alerts (repository and organisation endpoints); "
            "several pages back to back (gh api --paginate) or an array of pages (--slurp)")

SECURITY_SEVERITY = {"critical": Severity.CRITICAL, "high": Severity.HIGH, "medium": Severity.MEDIUM,
                     "low": Severity.LOW}
"""``rule.security_severity_level`` (security queries)."""
RULE_SEVERITY = {"error": Severity.HIGH, "warning": Severity.MEDIUM, "note": Severity.LOW, "none": Severity.INFO}
"""``rule.severity`` (queries without a security severity)."""


def sniff(head: bytes) -> bool:
    """Code scanning alerts: an array of objects with ``most_recent_instance`` and ``rule``."""
    return head.lstrip().startswith(b"[") and b'"most_recent_instance"' in head and b'"rule"' in head


def parse(stream: IO[bytes], *, source: str) -> ImportedReport:
    """Parse code scanning alerts: one finding per open alert."""
    pages = _github.alerts(stream, source, "code scanning alerts")
    return report(FORMAT, "github-code-scanning", None, _github.scope(pages), ReportKind.SAST, source,
                  [("alert", key.rstrip("/"), page, _alert) for key, page in pages])


def _alert(raw: Any, at: At) -> Finding | None:
    a = as_dict(raw, at, "alert")
    if req_str(a, "state", at) != _github.OPEN:
        return None
    rule = get_dict(a, "rule", at)
    rid = get_str(rule, "id", at) or get_str(rule, "name", at)
    if not rid:
        raise ValueError("missing rule.id")
    tool = get_dict(a, "tool", at)
    inst = get_dict(a, "most_recent_instance", at)
    loc = get_dict(inst, "location", at)
    sec = get_str(rule, "security_severity_level", at)
    label = sec or get_str(rule, "severity", at)
    severity = (severity_from_label(sec, SECURITY_SEVERITY, Severity.MEDIUM) if sec
                else severity_from_label(label, RULE_SEVERITY, Severity.MEDIUM))
    tags = str_tuple(rule, "tags", at)
    title = get_str(rule, "description", at) or rid
    text = get_str(get_dict(inst, "message", at), "text", at) or title
    secret = "secret" in " ".join(tags).lower()
    return Finding(
        rule=rid, severity=severity, tool_severity=label, title=title, message=text,
        description=get_str(rule, "full_description", at), fix=get_str(rule, "help", at),
        location=Location(file=get_str(loc, "path", at), line=get_int(loc, "start_line", at),
                          column=get_int(loc, "start_column", at)),
        tool=slug(get_str(tool, "name", at) or "github-code-scanning"), tool_version=get_str(tool, "version", at),
        category="secret" if secret else "sast", cwe=cwe_ids(list(tags)),
        references=unique([get_str(a, "html_url", at) or ""]),
    )
