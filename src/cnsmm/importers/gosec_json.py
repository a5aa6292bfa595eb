"""gosec JSON (``gosec -fmt=json ./...``)."""

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
)
from cnsmm.importers._simple import LEVELS, load, report
from cnsmm.importers.interface import ImportedReport
from cnsmm.vocab import ReportKind

FORMAT = "gosec-json"
VERSIONS = "gosec 2.x (samples follow 2.21)"


def sniff(head: bytes) -> bool:
    """gosec JSON: ``Issues`` with ``rule_id`` or the ``Golang errors``/``Stats`` envelope."""
    return b'"Issues"' in head and (b'"rule_id"' in head or b'"Golang errors"' in head or b'"GosecVersion"' in head)


def parse(stream: IO[bytes], *, source: str) -> ImportedReport:
    """Parse a gosec JSON report."""
    doc = as_dict(load(stream, source), source, "the report")
    if "Issues" not in doc:
        raise fail(source, "missing Issues (gosec -fmt=json writes an Issues array)")
    return report(FORMAT, "gosec", get_str(doc, "GosecVersion", source), f"gosec:{PROJECT}", ReportKind.SAST,
                  source, [("issue", "Issues", get_list(doc, "Issues", source), _issue)])


def _issue(raw: Any, at: At) -> Finding | None:
    i = as_dict(raw, at, "issue")
    if i.get("nosec") is True or i.get("suppressions"):
        return None  # #nosec, or suppressed in the source or the configuration (-track-suppressions)
    rid = req_str(i, "rule_id", at)
    label = get_str(i, "severity", at)
    details = get_str(i, "details", at) or rid
    cwe = {k.lower(): v for k, v in get_dict(i, "cwe", at).items()}  # "ID"/"URL" before gosec 2.5
    return Finding(
        rule=rid, severity=severity_from_label(label, LEVELS, Severity.MEDIUM),
        tool_severity=f"{label} (confidence {get_str(i, 'confidence', at) or '?'})", title=details, message=details,
        location=Location(file=req_str(i, "file", at), line=_first_line(i.get("line")),
                          column=get_int(i, "column", at)),
        tool="gosec", category="sast", cwe=cwe_ids([str(cwe.get("id", ""))]) if cwe else (),
        references=tuple(u for u in (get_str(cwe, "url", at),) if u),
    )


def _first_line(value: object) -> int | None:
    """The line of an issue: ``"41"``, or the first of a range (``"41-44"``, issues spanning lines)."""
    text = str(value or "").strip()
    head = text.split("-", 1)[0].strip()
    return int(head) if head.isdigit() else None
