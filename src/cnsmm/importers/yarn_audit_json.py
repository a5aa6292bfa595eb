"""yarn audit JSON lines (``yarn audit --json``, Yarn 1): ``auditAdvisory`` lines."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

from cnsmm.findings import Finding, Severity
from cnsmm.importers._common import (
    PROJECT,
    At,
    as_dict,
    cwe_ids,
    fail,
    get_dict,
    get_list,
    get_str,
    guarded,
    record,
    req_str,
    severity_from_label,
    str_tuple,
)
from cnsmm.importers._deps import dependency_finding
from cnsmm.importers._jsonio import Doc
from cnsmm.importers._simple import LEVELS
from cnsmm.importers.interface import ImportedReport, ItemErrors

FORMAT = "yarn-audit-json"
VERSIONS = "Yarn 1 `yarn audit --json` (JSON lines of auditAdvisory and auditSummary)"


def sniff(head: bytes) -> bool:
    """yarn audit: JSON lines with ``"type": "auditAdvisory"`` or ``auditSummary``."""
    return head.lstrip().startswith(b"{") and (b'"auditAdvisory"' in head or b'"auditSummary"' in head)


def parse(stream: IO[bytes], *, source: str) -> ImportedReport:
    """Parse yarn audit JSON lines: one finding per advisory and installed version."""
    doc = Doc(stream, source, allow_empty=True)
    errors = ItemErrors()
    return ImportedReport(format=FORMAT, tool="yarn-audit", tool_version=None, scope=f"yarn-audit:{PROJECT}",
                          findings=guarded(source, _lines(doc.rewind(), source, errors)), kind="sca", errors=errors)


def _lines(stream: IO[bytes], source: str, errors: ItemErrors) -> Iterator[Finding]:
    seen: set[tuple[str, str, str]] = set()
    for number, raw in enumerate(iter(lambda: stream.readline(4 * 1024 * 1024 + 1), b""), 1):
        at = At(source, "line", number, mode="line")
        if not raw.strip():
            continue
        try:
            try:
                line = as_dict(json.loads(raw), at, "line")
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise fail(at, f"invalid JSON ({exc})") from exc
            if line.get("type") != "auditAdvisory":
                continue
            found = _advisory(get_dict(get_dict(line, "data", at), "advisory", at), at)
        except Exception as exc:
            record(errors, at, exc)
            continue
        for f in found:  # yarn repeats an advisory once per dependency path
            key = (f.rule, f.component or "", f.installed_version or "")
            if key not in seen:
                seen.add(key)
                yield f


def _advisory(a: dict[str, Any], at: At) -> list[Finding]:
    if not a:
        raise fail(at, "missing data.advisory")
    name = req_str(a, "module_name", at)
    label = get_str(a, "severity", at)
    cves = str_tuple(a, "cves", at)
    url = get_str(a, "url", at)
    vid = (url.rsplit("/", 1)[-1] if url and "GHSA-" in url else None) or (cves[0] if cves else f"npm:{a.get('id')}")
    versions = sorted({get_str(f, "version", at) or "" for f in get_list(a, "findings", at) if isinstance(f, dict)})
    patched = get_str(a, "patched_versions", at)
    return [dependency_finding(
        vid, name, v or None, patched if patched and patched != "<0.0.0" else None,
        severity_from_label(label, LEVELS, Severity.MEDIUM), label, tool="yarn-audit", title=get_str(a, "title", at),
        aliases=cves, cwe=_cwes(a), references=(url,) if url else ())
        for v in (versions or [""])]


def _cwes(a: dict[str, Any]) -> tuple[str, ...]:
    """``cwe`` as one string (older advisories) or an array of them."""
    value = a.get("cwe")
    return cwe_ids([str(c) for c in (value if isinstance(value, list) else [value] if value else [])])
