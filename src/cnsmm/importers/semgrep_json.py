"""Semgrep JSON (``semgrep --json``)."""

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
    req_str,
    severity_from_label,
    unique,
)
from cnsmm.importers._simple import LEVELS, load, report
from cnsmm.importers.interface import ImportedReport, ItemError, ItemErrors
from cnsmm.vocab import ReportKind

FORMAT = "semgrep-json"
VERSIONS = "Semgrep 1.x JSON (samples follow 1.90); 0.x reports with the same results shape"


def sniff(head: bytes) -> bool:
    """Semgrep JSON: ``results`` of ``check_id`` with ``extra``, or the empty envelope with ``paths``."""
    return (b'"check_id"' in head and b'"extra"' in head) or (
        b'"results"' in head and b'"errors"' in head and b'"paths"' in head and b'"scanned"' in head)


def parse(stream: IO[bytes], *, source: str) -> ImportedReport:
    """Parse a Semgrep JSON report."""
    doc = as_dict(load(stream, source), source, "the report")
    if "results" not in doc:
        raise fail(source, "missing results (semgrep --json writes a results array)")
    return report(FORMAT, "semgrep", get_str(doc, "version", source), f"semgrep:{PROJECT}", ReportKind.SAST,
                  source, [("result", "results", get_list(doc, "results", source), _result)],
                  errors=_run_errors(doc, source))


def _run_errors(doc: dict[str, Any], source: str) -> ItemErrors:
    """Semgrep's own errors of level ``error`` (an invalid rule, a crashed run: exit code 2 or
    7, often with no results at all) mark the import partial, so that the findings of what was
    not scanned are not closed as fixed; ``warn`` entries (a file parsed in part) do not."""
    errors = ItemErrors()
    for i, raw in enumerate(get_list(doc, "errors", source)):
        if not isinstance(raw, dict) or str(raw.get("level", "")).lower() != "error":
            continue
        kind = raw.get("type")
        kind = kind[0] if isinstance(kind, list) and kind else kind
        text = " ".join(str(raw.get("message") or "").split())[:300]
        errors.append(ItemError(f"/errors/{i}", f"error #{i + 1}",
                                f"Semgrep reported an error ({kind or 'error'}: {text or 'no message'}): the scan "
                                "did not run completely"))
    return errors


def _result(raw: Any, at: At) -> Finding | None:
    r = as_dict(raw, at, "result")
    rid = req_str(r, "check_id", at)
    extra = get_dict(r, "extra", at)
    if extra.get("is_ignored") is True:
        return None
    meta = get_dict(extra, "metadata", at)
    label = get_str(extra, "severity", at)
    message = get_str(extra, "message", at) or rid
    cwe = meta.get("cwe")
    refs = meta.get("references")
    start = get_dict(r, "start", at)
    return Finding(
        rule=rid, severity=severity_from_label(label, LEVELS, Severity.MEDIUM), tool_severity=label,
        title=rid.rsplit(".", 1)[-1], message=message,
        location=Location(file=req_str(r, "path", at), line=get_int(start, "line", at),
                          column=get_int(start, "col", at)),
        tool="semgrep", tool_version=None, category="sast",
        cwe=cwe_ids([str(c) for c in (cwe if isinstance(cwe, list) else [cwe] if cwe else [])]),
        references=unique([str(x) for x in (refs if isinstance(refs, list) else [])] + [
            get_str(meta, "source", at) or ""]),
        fix=get_str(extra, "fix", at),
    )
