"""cnsmm's own JSON scan output (``cnsmm scan --format json``, schema ``cnsmm-scan``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from cnsmm.coverage import Coverage
from cnsmm.findings import Finding, Location, Severity
from cnsmm.importers._common import (
    PROJECT,
    At,
    Where,
    as_dict,
    cwe_ids,
    fail,
    get_dict,
    get_int,
    get_str,
    guarded,
    parse_time,
    record,
    req_str,
    str_tuple,
)
from cnsmm.importers._jsonio import Doc, event_kind
from cnsmm.importers.interface import ImportedReport, ItemErrors
from cnsmm.vcs import PathMap, clean_repository
from cnsmm.vocab import ReportKind

FORMAT = "cnsmm-json"

SCHEMA_VERSIONS = (1,)

_HEAD = frozenset({"schema", "schema_version", "tool", "version", "started", "paths", "covered", "checkout"})


VERSIONS = "cnsmm-scan schema_version 1"


def sniff(head: bytes) -> bool:
    """cnsmm scan JSON: ``"tool": "cnsmm"`` (or the ``cnsmm-scan`` schema) with ``findings``."""
    if b'"findings"' not in head or b"cnsmm" not in head:
        return False
    compact = head.replace(b" ", b"")
    return (b'"tool":"cnsmm"' in compact or b'"schema":"cnsmm-scan"' in compact) and b'"findings"' in head


def parse(stream: IO[bytes], *, source: str) -> ImportedReport:
    """Parse a cnsmm scan JSON report; header errors raise here, finding errors while iterating."""
    doc = Doc(stream, source)
    errors = ItemErrors()
    head = doc.head("", _HEAD, frozenset({"findings"}))
    if not head.found:
        raise fail(source, "the file is empty")
    values = head.values
    if head.stopped_at is None:
        raise fail(source, "missing findings (cnsmm scan --format json writes a findings array)")
    if head.stop_event != "start_array":
        raise fail(source, f"findings must be an array (got {event_kind(head.stop_event)})")
    if values.get("tool", "cnsmm") != "cnsmm":
        raise fail(source, f"tool must be 'cnsmm' (got {values.get('tool')!r})")
    schema_version = values.get("schema_version")
    if schema_version is not None and schema_version not in SCHEMA_VERSIONS:
        expected = ", ".join(map(str, SCHEMA_VERSIONS))
        raise fail(source, f"unsupported cnsmm-scan schema_version (got {schema_version!r}, expected {expected})",
                   hint="Import with the cnsmm version that wrote it")
    version = get_str(values, "version", source)
    paths = values.get("paths")
    target = ",".join(p for p in paths if isinstance(p, str)) if isinstance(paths, list) and paths else None
    raw = values.get("checkout")
    checkout: dict[str, Any] = raw if isinstance(raw, dict) else {}

    def text(key: str) -> str | None:
        value = checkout.get(key)
        return value if isinstance(value, str) and value else None

    repository = clean_repository(text("repository"))
    if repository:  # the paths scanned are the coverage; the stream is the repository
        scope = f"cnsmm:{repository}"
    elif text("root") and isinstance(paths, list) and paths:
        portable = PathMap.of(text("root"), cwd=text("cwd"))
        scope = "cnsmm:" + ",".join(portable.portable(p) or p for p in paths if isinstance(p, str))
    else:
        scope = f"cnsmm:{target or PROJECT}"
    return ImportedReport(
        format=FORMAT, tool="cnsmm", tool_version=version, scope=scope,
        findings=guarded(source, _findings(doc, version, errors)), generated_at=parse_time(values.get("started")),
        kind=ReportKind.IAC_SCAN, errors=errors, coverage=Coverage.from_json(values.get("covered")),
        root=text("root"), cwd=text("cwd"), repository=text("repository"), commit=text("commit"),
    )


def _findings(doc: Doc, version: str | None, errors: ItemErrors) -> Iterator[Finding]:
    for i, raw in enumerate(doc.items("findings.item", "finding"), 1):
        where = At(doc.source, "finding", i, "findings")
        try:
            found = _finding(as_dict(raw, where, "finding"), version, where)
        except Exception as exc:
            record(errors, where, exc)
            continue
        yield found


def _finding(f: dict[str, Any], version: str | None, where: Where) -> Finding:
    rule = req_str(f, "rule", where)
    label = req_str(f, "severity", where)
    try:
        severity = Severity.parse(label)
    except ValueError as exc:
        raise fail(where, str(exc)) from None
    loc = get_dict(f, "location", where) or f  # flat fields, or a nested location object
    title = get_str(f, "title", where) or rule
    return Finding(
        rule=rule, severity=severity, tool_severity=label, title=title,
        message=get_str(f, "message", where) or title,
        location=Location(file=get_str(loc, "file", where), line=get_int(loc, "line", where),
                          column=get_int(loc, "column", where), resource=get_str(loc, "resource", where),
                          build=get_str(loc, "build", where), image=get_str(loc, "image", where)),
        tool="cnsmm", tool_version=version, category=get_str(f, "category", where) or "misconfiguration",
        fix=get_str(f, "fix", where), description=get_str(f, "description", where),
        requirements=str_tuple(f, "requirements", where), references=str_tuple(f, "references", where),
        cwe=cwe_ids(list(str_tuple(f, "cwe", where))),
    )
