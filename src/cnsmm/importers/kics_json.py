"""KICS JSON (``kics scan -o DIR --report-formats json``): queries with their files."""

from __future__ import annotations

from typing import IO, Any

from cnsmm.findings import Finding, Location, Severity
from cnsmm.importers._common import (
    PROJECT,
    At,
    as_dict,
    cwe_ids,
    fail,
    get_int,
    get_list,
    get_str,
    req_str,
    severity_from_label,
    unique,
)
from cnsmm.importers._simple import LEVELS, load, report
from cnsmm.importers.interface import ImportedReport
from cnsmm.vocab import ReportKind

FORMAT = "kics-json"
VERSIONS = "KICS 1.x (samples follow 1.7); 2.x with the same queries/files shape"


def sniff(head: bytes) -> bool:
    """KICS JSON: ``kics_version`` or ``queries`` with ``query_id`` and ``files``."""
    return b'"kics_version"' in head or (b'"queries"' in head and b'"query_id"' in head)


def parse(stream: IO[bytes], *, source: str) -> ImportedReport:
    """Parse a KICS JSON report: one finding per query per file location."""
    doc = as_dict(load(stream, source), source, "the report")
    if "queries" not in doc:
        raise fail(source, "missing queries (KICS JSON lists the failed queries)")
    return report(FORMAT, "kics", get_str(doc, "kics_version", source), f"kics:{PROJECT}", ReportKind.IAC_SCAN,
                  source, [("query", "queries", get_list(doc, "queries", source), _query)])


def _query(raw: Any, at: At) -> list[Finding]:
    q = as_dict(raw, at, "query")
    qid = req_str(q, "query_id", at)
    files = get_list(q, "files", at)
    # A bad file entry fails its query; the error names the file entry's own position.
    return [_file(f, At(at, "file", i, "files"), q=q, qid=qid) for i, f in enumerate(files, 1)]


def _file(raw: Any, at: At, *, q: dict[str, Any], qid: str) -> Finding:
    f = as_dict(raw, at, "file")
    name = get_str(q, "query_name", at) or qid
    label = get_str(q, "severity", at)
    expected, actual = get_str(f, "expected_value", at), get_str(f, "actual_value", at)
    message = f"{name}: {actual}" + (f" (expected: {expected})" if expected else "") if actual else name
    return Finding(
        rule=qid, severity=severity_from_label(label, LEVELS, Severity.MEDIUM), tool_severity=label, title=name,
        message=message, description=get_str(q, "description", at),
        location=Location(file=req_str(f, "file_name", at).removeprefix("../").removeprefix("./"),
                          line=get_int(f, "line", at),
                          resource=get_str(f, "resource_name", at) and f"{get_str(f, 'resource_type', at)}/"
                          f"{get_str(f, 'resource_name', at)}"),
        tool="kics", category="misconfiguration", cwe=cwe_ids([get_str(q, "cwe", at) or ""]),
        references=unique([get_str(q, "query_url", at) or ""]),
    )
