"""Shared pieces of the formats whose reports are loaded whole (small JSON documents)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from cnsmm.findings import Finding, Severity
from cnsmm.importers._common import At, each, fail, guarded
from cnsmm.importers._jsonio import SMALL_LIMIT, load_small, loads
from cnsmm.importers.interface import ImportedReport, ItemErrors
from cnsmm.vocab import ReportKind

LEVELS = {
    "critical": Severity.CRITICAL, "blocker": Severity.CRITICAL, "danger": Severity.HIGH, "error": Severity.HIGH,
    "high": Severity.HIGH, "major": Severity.MEDIUM, "moderate": Severity.MEDIUM, "medium": Severity.MEDIUM,
    "warning": Severity.MEDIUM, "warn": Severity.MEDIUM, "low": Severity.LOW, "minor": Severity.LOW,
    "note": Severity.LOW, "style": Severity.INFO, "info": Severity.INFO, "informational": Severity.INFO,
    "negligible": Severity.INFO, "unknown": Severity.INFO, "none": Severity.INFO, "trivial": Severity.INFO,
}
"""Severity words the tools use, lower case."""

Build = Callable[[Any, At], Finding | Iterable[Finding] | None]


def load(stream: IO[bytes], source: str) -> Any:
    """The whole JSON document (at most 256 MiB)."""
    return load_small(stream, source)


def report(fmt: str, tool: str, version: str | None, scope: str, kind: ReportKind, source: str,
           sections: Iterable[tuple[str, str | None, Iterable[Any], Build]], errors: ItemErrors | None = None,
           **extra: Any) -> ImportedReport:
    """An :class:`ImportedReport` whose findings are ``build(item, at)`` over each section's
    items (label, JSON key of the array, items, build); bad items go to ``errors``."""
    errors = errors if errors is not None else ItemErrors()
    parts = list(sections)

    def findings() -> Iterator[Finding]:
        for label, key, items, build in parts:
            yield from each(errors, source, label, key, items, build)

    assert errors is not None

    return ImportedReport(format=fmt, tool=tool, tool_version=version, scope=scope,
                          findings=guarded(source, findings()), kind=kind, errors=errors, **extra)


def load_pages(stream: IO[bytes], source: str) -> list[Any]:
    """Every JSON value of a file that holds one or several back to back (``gh api --paginate``
    writes one array or object per page without joining them), at most 256 MiB in all."""
    data = stream.read(SMALL_LIMIT + 1)
    if len(data) > SMALL_LIMIT:
        raise fail(source, f"report larger than {SMALL_LIMIT // (1024 * 1024)} MiB, the limit for this format",
                   hint="Split the report and import the parts")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [loads(data, source)]  # names the bad byte
    decoder = json.JSONDecoder()
    pages: list[Any] = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            break
        try:
            value, i = decoder.raw_decode(text, i)
        except (json.JSONDecodeError, RecursionError):
            if not pages:
                return [loads(data, source)]  # the usual located syntax error
            line = text.count("\n", 0, i) + 1
            raise fail(f"{source}:{line}", f"invalid JSON in page {len(pages) + 1}") from None
        pages.append(value)
    if not pages:
        raise fail(source, "the file is empty")
    return pages
