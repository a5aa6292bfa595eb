"""yarn audit JSON lines: ``auditAdvisory`` lines of Yarn 1 ``yarn audit --json``, and the
``{"value": package, "children": advisory}`` lines of Yarn 4 ``yarn npm audit --json``."""

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
from cnsmm.vocab import ReportKind

FORMAT = "yarn-audit-json"
VERSIONS = ("Yarn 1 `yarn audit --json` (JSON lines of auditAdvisory and auditSummary); Yarn 4 "
            "`yarn npm audit --json` (JSON lines of value/children)")


def sniff(head: bytes) -> bool:
    """yarn audit: JSON lines with ``"type": "auditAdvisory"`` or ``auditSummary`` (Yarn 1), or
    ``value`` and ``children`` with ``Vulnerable Versions`` (Yarn 4)."""
    if not head.lstrip().startswith(b"{"):
        return False
    if b'"auditAdvisory"' in head or b'"auditSummary"' in head:
        return True
    first = head.lstrip().split(b"\n", 1)[0]
    return b'"value"' in first and b'"children"' in first and (b'"Vulnerable Versions"' in first
                                                               or b'"Tree Versions"' in first)


def parse(stream: IO[bytes], *, source: str) -> ImportedReport:
    """Parse yarn audit JSON lines: one finding per advisory and installed version."""
    doc = Doc(stream, source, allow_empty=True)
    errors = ItemErrors()
    return ImportedReport(format=FORMAT, tool="yarn-audit", tool_version=None, scope=f"yarn-audit:{PROJECT}",
                          findings=guarded(source, _lines(doc.rewind(), source, errors)), kind=ReportKind.SCA,
                          errors=errors)


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
            if "children" in line and "value" in line:
                found = _berry(line, at)
            elif line.get("type") != "auditAdvisory":
                continue
            else:
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


def _berry(line: dict[str, Any], at: At) -> list[Finding]:
    """A Yarn 4 line: the package in ``value``, the advisory in ``children`` (``ID``, ``Issue``,
    ``URL``, ``Severity``, ``Vulnerable Versions``, ``Tree Versions``, ``Dependents``)."""
    name = req_str(line, "value", at)
    c = get_dict(line, "children", at)
    label = get_str(c, "Severity", at)
    url = get_str(c, "URL", at)
    issue = get_str(c, "Issue", at)
    if not url and issue and "deprecat" in issue.lower():
        return []  # Yarn lists deprecated packages beside the advisories: not a vulnerability
    ident = get_str(c, "ID", at)
    vid = (url.rsplit("/", 1)[-1] if url and "GHSA-" in url else None) or (
        ident if ident and not ident.isdigit() else f"npm:{ident}" if ident else None)
    if not vid:
        raise fail(at, "missing children.ID and URL")
    versions = str_tuple(c, "Tree Versions", at)
    return [dependency_finding(
        vid, name, v or None, None, severity_from_label(label, LEVELS, Severity.MEDIUM), label, tool="yarn-audit",
        title=issue, references=(url,) if url else ())
        for v in (versions or ("",))]
