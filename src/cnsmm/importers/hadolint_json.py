"""hadolint JSON (``hadolint -f json Dockerfile``): an array of rule violations."""

from __future__ import annotations

from typing import IO, Any

from cnsmm.findings import Finding, Location, Severity
from cnsmm.importers._common import (
    PROJECT,
    At,
    as_dict,
    fail,
    get_int,
    get_str,
    req_str,
    severity_from_label,
    type_name,
)
from cnsmm.importers._simple import LEVELS, load, report
from cnsmm.importers.interface import ImportedReport
from cnsmm.vocab import ReportKind

FORMAT = "hadolint-json"
VERSIONS = "hadolint 2.x (samples follow 2.12)"


def sniff(head: bytes) -> bool:
    """hadolint JSON: an array of objects with ``code`` (DL/SC rules), ``level`` and ``line``."""
    return head.lstrip().startswith(b"[") and b'"code"' in head and b'"level"' in head and (
        b'"DL' in head or b'"SC' in head)


def parse(stream: IO[bytes], *, source: str) -> ImportedReport:
    """Parse a hadolint JSON report."""
    doc = load(stream, source)
    if not isinstance(doc, list):
        raise fail(source, f"the report must be a JSON array of violations (got {type_name(doc)})")
    return report(FORMAT, "hadolint", None, f"hadolint:{PROJECT}", ReportKind.IAC_SCAN, source,
                  [("violation", "", doc, _violation)])

_LEVELS = {**LEVELS, "info": Severity.LOW, "style": Severity.INFO}
"""hadolint's four levels: error, warning, info (a real but small problem) and style."""


def _violation(raw: Any, at: At) -> Finding:
    v = as_dict(raw, at, "violation")
    code = req_str(v, "code", at)
    level = get_str(v, "level", at)
    message = get_str(v, "message", at) or code
    return Finding(
        rule=code, severity=severity_from_label(level, _LEVELS, Severity.MEDIUM), tool_severity=level,
        title=message, message=message,
        location=Location(file=get_str(v, "file", at), line=get_int(v, "line", at), column=get_int(v, "column", at)),
        tool="hadolint", category="misconfiguration",
        references=(f"https://github.com/hadolint/hadolint/wiki/{code}",) if code.startswith("DL") else (
            f"https://www.shellcheck.net/wiki/{code}",),
    )
