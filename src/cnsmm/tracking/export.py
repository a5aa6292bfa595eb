"""Export of findings as CSV (safe to open in a spreadsheet) and JSON."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from typing import IO, Any

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
