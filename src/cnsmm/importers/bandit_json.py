"""Bandit JSON (``bandit -r . -f json``)."""

from __future__ import annotations

from typing import IO, Any

from cnsmm.findings import Finding, Location, Severity
from cnsmm.importers._common import (
    PROJECT,
    At,
    as_dict,
    cwe_ids,
    fail,
    get_dict,
    get_int,
    get_list,
    get_str,
    parse_time,
    req_str,
    severity_from_label,
    unique,
)
from cnsmm.importers._simple import LEVELS, load, report
from cnsmm.importers.interface import ImportedReport, ItemError, ItemErrors
from cnsmm.vocab import ReportKind

FORMAT = "bandit-json"
VERSIONS = "Bandit 1.7 and later (issue_cwe since 1.7.1; samples follow 1.7.10)"


def sniff(head: bytes) -> bool:
    """Bandit JSON: ``results`` of ``test_id`` with ``issue_severity``."""
    return (b'"test_id"' in head and b'"issue_severity"' in head) or (
        b'"results"' in head and b'"metrics"' in head and b'"_totals"' in head)


def parse(stream: IO[bytes], *, source: str) -> ImportedReport:
    """Parse a Bandit JSON report."""
    doc = as_dict(load(stream, source), source, "the report")
    if "results" not in doc:
        raise fail(source, "missing results (bandit -f json writes a results array)")
    errors = ItemErrors()
    for i, raw in enumerate(get_list(doc, "errors", source)):
        # A file Bandit could not read or parse was not analysed at all.
        if isinstance(raw, dict):
            errors.append(ItemError(f"/errors/{i}", f"error #{i + 1}",
                                    f"Bandit could not analyse {raw.get('filename') or 'a file'} "
                                    f"({' '.join(str(raw.get('reason') or 'no reason given').split())[:200]})"))
    return report(FORMAT, "bandit", None, f"bandit:{PROJECT}", ReportKind.SAST, source,
                  [("result", "results", get_list(doc, "results", source), _result)], errors=errors,
                  generated_at=parse_time(doc.get("generated_at")))


def _result(raw: Any, at: At) -> Finding:
    r = as_dict(raw, at, "result")
    tid = req_str(r, "test_id", at)
    label = get_str(r, "issue_severity", at)
    cwe = get_dict(r, "issue_cwe", at)
    text = get_str(r, "issue_text", at) or tid
    return Finding(
        rule=tid, severity=severity_from_label(label, LEVELS, Severity.MEDIUM),
        tool_severity=f"{label} (confidence {get_str(r, 'issue_confidence', at) or '?'})",
        title=get_str(r, "test_name", at) or tid, message=text,
        location=Location(file=req_str(r, "filename", at).removeprefix("./"), line=get_int(r, "line_number", at),
                          column=get_int(r, "col_offset", at)),
        tool="bandit", category="sast", cwe=cwe_ids([str(cwe.get("id", ""))]) if cwe else (),
        references=unique([get_str(r, "more_info", at) or ""]),
    )
