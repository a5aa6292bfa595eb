"""npm audit JSON (``npm audit --json``): npm 7+ (auditReportVersion 2) and npm 6 (advisories)."""

from __future__ import annotations

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
    req_str,
    severity_from_label,
    str_tuple,
)
from cnsmm.importers._deps import dependency_finding
from cnsmm.importers._simple import LEVELS, load, report
from cnsmm.importers.interface import ImportedReport
from cnsmm.vocab import ReportKind

FORMAT = "npm-audit-json"
VERSIONS = ("npm 7 and later (auditReportVersion 2, vulnerabilities per package); npm 6 (advisories), "
            "also written by Yarn 2/3 `yarn npm audit --json`; npm's error object is refused with its message")


def sniff(head: bytes) -> bool:
    """npm audit: ``auditReportVersion`` (npm 7+), ``advisories`` with ``muted``/``actions``/``module_name``
    (npm 6, Yarn 2/3), or npm's ``{"error": {"code", "summary"}}`` when the audit could not run."""
    if b'"auditReportVersion"' in head or (b'"advisories"' in head and (
            b'"muted"' in head or b'"actions"' in head or b'"module_name"' in head)):
        return True
    compact = head.lstrip()[:4096].replace(b" ", b"").replace(b"\n", b"").replace(b"\r", b"")
    return compact.startswith(b'{"error":{"code":"E') and b'"summary"' in compact


def parse(stream: IO[bytes], *, source: str) -> ImportedReport:
    """Parse npm audit JSON of either generation."""
    doc = as_dict(load(stream, source), source, "the report")
    error = doc.get("error")
    if isinstance(error, dict) and "vulnerabilities" not in doc and "advisories" not in doc:
        raise fail(source, f"npm audit did not run ({error.get('code')}: {error.get('summary')})",
                   hint=str(error.get("detail") or "Fix the error and run `npm audit --json` again").splitlines()[0])
    if "auditReportVersion" in doc or "vulnerabilities" in doc:
        if doc.get("auditReportVersion", 2) != 2:
            raise fail(source, f"unsupported auditReportVersion (got {doc.get('auditReportVersion')!r}, expected 2)")
        vulns = get_dict(doc, "vulnerabilities", source)
        sections = [("package", f"vulnerabilities/{name}", [entry], _v7) for name, entry in vulns.items()]
    elif "advisories" in doc:
        advisories = get_dict(doc, "advisories", source)
        sections = [("advisory", f"advisories/{key}", [entry], _v6) for key, entry in advisories.items()]
    else:
        raise fail(source, "neither vulnerabilities (npm 7+) nor advisories (npm 6)",
                   hint="Run `npm audit --json` and import its output")
    return report(FORMAT, "npm-audit", None, f"npm-audit:{PROJECT}", ReportKind.SCA, source, sections)


def _v7(raw: Any, at: At) -> list[Finding]:
    v = as_dict(raw, at, "package")
    name = req_str(v, "name", at)
    fix = v.get("fixAvailable")
    fixed = get_str(fix, "version", at) if isinstance(fix, dict) and fix.get("name") == name else None
    out = []
    for i, via in enumerate(get_list(v, "via", at), 1):
        if not isinstance(via, dict):
            continue  # a package name: the problem is in that dependency, reported under its own name
        vat = At(at, "via", i, "via")
        url = get_str(via, "url", vat) or ""
        # npm 7.0-7.x linked npmjs.com advisories by number (with "id", "vulnerable_versions"); later
        # releases link GitHub advisories (with "source", "range").
        vid = url.rsplit("/", 1)[-1] if "/advisories/" in url else str(
            via.get("source") or via.get("id") or req_str(via, "title", vat))
        vid = f"npm:{vid}" if vid.isdigit() else vid
        label = get_str(via, "severity", vat)
        out.append(dependency_finding(
            vid, name, get_str(via, "range", vat) or get_str(via, "vulnerable_versions", vat), fixed,
            severity_from_label(label, LEVELS, Severity.MEDIUM), label,
            tool="npm-audit", title=get_str(via, "title", vat), cwe=_cwes(via),
            references=(url,) if url else ()))
    return out


def _v6(raw: Any, at: At) -> list[Finding]:
    a = as_dict(raw, at, "advisory")
    name = req_str(a, "module_name", at)
    label = get_str(a, "severity", at)
    cves = str_tuple(a, "cves", at)
    url = get_str(a, "url", at)
    vid = (url.rsplit("/", 1)[-1] if url and "GHSA-" in url else None) or (cves[0] if cves else f"npm:{a.get('id')}")
    versions = sorted({get_str(f, "version", at) or "" for f in get_list(a, "findings", at) if isinstance(f, dict)})
    patched = get_str(a, "patched_versions", at)
    return [dependency_finding(
        vid, name, version or None, patched if patched and patched != "<0.0.0" else None,
        severity_from_label(label, LEVELS, Severity.MEDIUM), label, tool="npm-audit", title=get_str(a, "title", at),
        aliases=cves, description=get_str(a, "overview", at), cwe=_cwes(a),
        references=(url,) if url else ()) for version in (versions or [""])]


def _cwes(a: dict[str, Any]) -> tuple[str, ...]:
    """``cwe`` as one string (older advisories) or an array of them."""
    value = a.get("cwe")
    return cwe_ids([str(c) for c in (value if isinstance(value, list) else [value] if value else [])])
