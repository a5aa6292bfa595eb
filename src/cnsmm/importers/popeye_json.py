"""Popeye JSON (``popeye -o json``): sanitizer issues per resource."""

from __future__ import annotations

import re
from typing import IO, Any

from cnsmm.findings import Finding, Location, Severity
from cnsmm.importers._common import At, as_dict, fail, get_dict, get_int, get_list, get_str
from cnsmm.importers._simple import load, report
from cnsmm.importers.interface import ImportedReport
from cnsmm.vocab import ReportKind

FORMAT = "popeye-json"
VERSIONS = "Popeye 0.11 and later (samples follow 0.21)"
_LEVEL = {3: Severity.HIGH, 2: Severity.MEDIUM, 1: Severity.INFO}  # 0 OK, 1 info, 2 warn, 3 error
_CODE = re.compile(r"^\[(POP-\d+)\]\s*")


def sniff(head: bytes) -> bool:
    """Popeye: a top-level ``popeye`` object with ``sections`` (or ``report``)."""
    return b'"popeye"' in head and (b'"sections"' in head or b'"linter"' in head or b'"sanitizer"' in head)


def parse(stream: IO[bytes], *, source: str) -> ImportedReport:
    """Parse a Popeye report: one finding per issue of level warn or error (info too)."""
    doc = as_dict(load(stream, source), source, "the report")
    popeye = get_dict(doc, "popeye", source)
    if not popeye:
        raise fail(source, "missing popeye (popeye -o json writes {\"popeye\": {...}})")
    cluster = get_str(popeye, "context", source) or get_str(popeye, "cluster", source) or "cluster"
    key = "sections" if "sections" in popeye or "sanitizers" not in popeye else "sanitizers"  # before 0.20
    return report(FORMAT, "popeye", None, f"popeye:{cluster}", ReportKind.COMPLIANCE, source,
                  [("section", f"popeye/{key}", get_list(popeye, key, source), _section)])


def _section(raw: Any, at: At) -> list[Finding]:
    s = as_dict(raw, at, "section")
    linter = get_str(s, "linter", at) or get_str(s, "sanitizer", at) or "?"
    gvr = get_str(s, "gvr", at) or linter
    out = []
    for name, issues in get_dict(s, "issues", at).items():
        for i, raw_issue in enumerate(issues if isinstance(issues, list) else [], 1):
            issue = as_dict(raw_issue, At(at, "issue", i, f"issues/{name}"), "issue")
            level = get_int(issue, "level", at) or 0
            if level <= 0:
                continue
            text = get_str(issue, "message", at) or "?"
            m = _CODE.match(text)
            code = m.group(1) if m else f"popeye:{linter}"
            message = text[m.end():] if m else text
            out.append(Finding(
                rule=code, severity=_LEVEL.get(level, Severity.HIGH), tool_severity=str(level), title=message,
                message=f"{gvr} {name}: {message}", location=Location(resource=f"{gvr}/{name}"), tool="popeye",
                category="misconfiguration",
            ))
    return out
