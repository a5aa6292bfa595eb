"""tfsec JSON (``tfsec --format json``)."""

from __future__ import annotations

from typing import IO, Any

from cnsmm.findings import Finding, Location, Severity
from cnsmm.importers._common import (
    PROJECT,
    At,
    as_dict,
    fail,
    get_dict,
    get_int,
    get_list,
    get_str,
    req_str,
    severity_from_label,
    str_tuple,
)
from cnsmm.importers._simple import LEVELS, load, report
from cnsmm.importers.interface import ImportedReport
from cnsmm.vocab import ReportKind

FORMAT = "tfsec-json"
VERSIONS = "tfsec 1.x (samples follow 1.28); results with status 1 (passed) or 2 (ignored) are not findings"


def sniff(head: bytes) -> bool:
    """tfsec JSON: ``results`` with ``rule_id``/``long_id`` and ``rule_provider``."""
    return b'"results"' in head and b'"long_id"' in head and b'"rule_provider"' in head


def parse(stream: IO[bytes], *, source: str) -> ImportedReport:
    """Parse a tfsec JSON report."""
    doc = as_dict(load(stream, source), source, "the report")
    if "results" not in doc:
        raise fail(source, "missing results (tfsec --format json writes a results array)")
    return report(FORMAT, "tfsec", None, f"tfsec:{PROJECT}", ReportKind.IAC_SCAN, source,
                  [("result", "results", get_list(doc, "results", source), _result)])


def _result(raw: Any, at: At) -> Finding | None:
    r = as_dict(raw, at, "result")
    if r.get("status") in (1, 2) or (r.get("warning") is True and r.get("status") == 1):
        return None  # passed or ignored
    rid = req_str(r, "rule_id", at)
    label = get_str(r, "severity", at)
    loc = get_dict(r, "location", at)
    desc = get_str(r, "description", at) or get_str(r, "rule_description", at) or rid
    resource = get_str(r, "resource", at)
    return Finding(
        rule=rid, severity=severity_from_label(label, LEVELS, Severity.MEDIUM), tool_severity=label,
        title=get_str(r, "rule_description", at) or rid, message=f"{resource}: {desc}" if resource else desc,
        description=get_str(r, "impact", at), fix=get_str(r, "resolution", at),
        location=Location(file=get_str(loc, "filename", at), line=get_int(loc, "start_line", at)),
        tool="tfsec", category="misconfiguration",
        aliases=tuple(a for a in (get_str(r, "long_id", at),) if a and a != rid), references=str_tuple(r, "links", at),
    )
