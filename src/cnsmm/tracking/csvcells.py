"""CSV cells and records that spreadsheets read as data, never as formulas or extra rows."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """A CSV cell that spreadsheets will not run as a formula (OWASP CSV injection).

    Text starting with ``=``, ``+``, ``-``, ``@``, TAB or CR gets a leading single quote.
    Write the cells with :func:`csv_line`, which also quotes a cell holding a carriage return.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        value = " ".join(str(v) for v in value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_line(cells: Iterable[str]) -> str:
    """One CSV record ending in a line feed. A cell holding a comma, a double quote, a line
    feed or a carriage return is quoted: Python's CSV writer with a ``\\n`` line terminator
    leaves a lone carriage return bare, and a spreadsheet then starts a new row there whose
    first cell may run as a formula (``x\\r=cmd|...``)."""
    out = []
    for cell in cells:
        quoted = any(c in cell for c in ',"\r\n')
        out.append('"' + cell.replace('"', '""') + '"' if quoted else cell)
    return ",".join(out) + "\n"
