"""Export of findings as CSV (safe to open in a spreadsheet) and JSON."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import IO, Any

from cnsmm.tracking.csvcells import csv_line, safe_cell
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
def write_csv(findings: Iterable[FindingView], out: IO[str]) -> int:
    """Write findings as CSV with a header row; return how many were written."""
    out.write(csv_line(CSV_COLUMNS))
    count = 0
    for finding in findings:
        data = finding.as_dict()
        out.write(csv_line(safe_cell(data.get(col)) for col in CSV_COLUMNS))
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


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def printable(value: object) -> str:
    """``value`` as text that is safe to print on a terminal: control characters (escape
    sequences that could move the cursor, retitle the window or hide text, bidirectional
    overrides) are shown as ``\\xNN`` / ``\\uNNNN`` instead of being sent raw."""
    text = str(value)
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                        else f"\\u{ord(m.group()):04x}", text)


def print_table(findings: Iterable[FindingView], out: IO[str], *, width: int | None = None) -> int:
    """Print findings as a table whose cells are never cut: on a terminal long cells wrap in
    its width; into a file or pipe (``width`` None) each finding stays on one line. Returns how many."""
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for name, justify in (("ID", "right"), ("SEVERITY", "left"), ("STATUS", "left"), ("DUE", "left"),
                          ("OWNER", "left"), ("TOOLS", "left"), ("RULE", "left"), ("TITLE", "left"),
                          ("LOCATION", "left")):
        table.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
    count = 0
    for f in findings:
        flags = (" OVERDUE" if f.overdue else "") + (" REGRESSION" if f.regression else "")
        cells = (str(f.id), f.severity, f.status + flags, f.due.isoformat() if f.due else "-", f.owner or "-",
                 ",".join(f.tools), f.rule, f.title, f.location)
        table.add_row(*(Text(printable(c)) for c in cells))
        count += 1
    if count:
        terminal = out.isatty()
        console = Console(file=out, width=width or (None if terminal else 100_000), highlight=False, emoji=False,
                          markup=False, soft_wrap=not terminal)
        console.print(table)
    return count


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
    yield printable(f"#{view.id} [{view.severity}] {view.title}")
    for key in _SHOWN:
        value = data.get(key)
        if value not in (None, "", [], False):
            yield printable(f"  {key}: {', '.join(value) if isinstance(value, list) else value}")
    if view.extra.get("severity_source") == "cnsmm":
        yield "  severity assigned by cnsmm (the tool gives none)"
    for src in view.extra.get("sources") or ():
        where = src.get("repository") or ""
        if where and src.get("commit"):
            where += f"@{src['commit'][:12]}"
        yield printable(f"  source {src['tool']} on {src['scope']!r} ({'reporting' if src['active'] else 'gone'})"
                        + (f", {where}" if where else ""))
    for h in history:
        yield printable(f"  history {h['at']} {h['actor']}: {h['from']} -> {h['to']}" + (
            f" ({h['reason']})" if h["reason"] else ""
        ))
    for c in comments:
        yield printable(f"  comment {c['at']} {c['author']}: {c['text']}")


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
