"""Export of findings as CSV (safe to open in a spreadsheet) and JSON."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from typing import IO, Any

from cnsmm.tracking.metrics import Metrics
from cnsmm.tracking.queries import FindingView

CSV_COLUMNS = (
    "id",
    "fingerprint",
    "status",
    "severity",
    "tools",
    "title",
    "owner",
    "due",
    "overdue",
    "rule",
    "category",
    "component",
    "installed_version",
    "fixed_version",
    "location",
    "first_seen",
    "last_seen",
    "regression",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """A CSV cell that spreadsheets will not run as a formula (OWASP CSV injection).

    Text starting with ``=``, ``+``, ``-``, ``@``, TAB or CR gets a leading single quote.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        value = " ".join(str(v) for v in value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_csv(findings: Iterable[FindingView], out: IO[str]) -> int:
    """Write findings as CSV with a header row; return how many were written."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    count = 0
    for finding in findings:
        data = finding.as_dict()
        writer.writerow([safe_cell(data.get(col)) for col in CSV_COLUMNS])
        count += 1
    return count


def iter_json(findings: Iterable[FindingView]) -> Iterator[str]:
    """A JSON array of findings, produced piece by piece (constant memory)."""
    yield "["
    first = True
    for finding in findings:
        yield ("\n  " if first else ",\n  ") + json.dumps(finding.as_dict(), ensure_ascii=False, sort_keys=True)
        first = False
    yield "\n]\n" if not first else "]\n"


def table_lines(findings: Iterable[FindingView]) -> Iterator[str]:
    """A header, then one line per finding (text output of ``findings list``)."""
    first = True
    for f in findings:
        if first:
            yield f"{'ID':>6}  {'SEVERITY':8}  {'STATUS':14}  {'DUE':10}  {'OWNER':16}  {'TOOLS':14}  TITLE"
            first = False
        due = f.due.isoformat() if f.due else "-"
        flags = (" OVERDUE" if f.overdue else "") + (" REGRESSION" if f.regression else "")
        yield (
            f"{f.id:>6}  {f.severity:8}  {f.status:14}  {due:10}  {(f.owner or '-')[:16]:16}  "
            f"{','.join(f.tools)[:14]:14}  {f.title[:80]}  [{f.location}]{flags}"
        )


_SHOWN = [
    "status",
    "owner",
    "due",
    "tools",
    "rule",
    "aliases",
    "component",
    "installed_version",
    "fixed_version",
    "location",
    "first_seen",
    "last_seen",
    "regression",
    "fingerprint",
    "message",
    "fix",
    "risk_approver",
    "risk_reason",
    "risk_expires",
    "duplicate_of",
]


def finding_lines(view: FindingView, history: list[dict[str, Any]], comments: list[dict[str, Any]]) -> Iterator[str]:
    """Text output of ``findings show``."""
    data = view.as_dict()
    yield f"#{view.id} [{view.severity}] {view.title}"
    for key in _SHOWN:
        value = data.get(key)
        if value not in (None, "", [], False):
            yield f"  {key}: {', '.join(value) if isinstance(value, list) else value}"
    for h in history:
        yield f"  history {h['at']} {h['actor']}: {h['from']} -> {h['to']}" + (
            f" ({h['reason']})" if h["reason"] else ""
        )
    for c in comments:
        yield f"  comment {c['at']} {c['author']}: {c['text']}"


def metrics_lines(m: Metrics) -> Iterator[str]:
    """Text output of ``metrics``."""
    yield f"project {m.project}: {m.total_open} open, {m.fixed} fixed"
    yield "open by severity: " + ", ".join(f"{k} {v}" for k, v in m.open_by_severity.items())
    mttf = f"{m.mean_days_to_fix} days" if m.mean_days_to_fix is not None else "n/a (nothing fixed yet)"
    yield f"mean time to fix: {mttf}"
    detail = ", ".join(f"{k} {v}" for k, v in m.breaches_by_severity.items())
    yield f"SLA breaches: {m.sla_breaches}" + (f" ({detail})" if detail else "")
    yield "week        new  fixed"
    for t in m.trend:
        yield f"{t.week.isoformat()}  {t.new:>5}  {t.fixed:>5}"
