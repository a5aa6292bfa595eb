"""GitLab security report JSON (``gl-sast-report.json``, ``gl-dependency-scanning-report.json``,
``gl-container-scanning-report.json``, ``gl-secret-detection-report.json``, ``gl-dast-report.json``).

All five share the schema's ``vulnerabilities`` and ``scan``; they differ in ``scan.type`` and
in the shape of ``location``.
"""

from __future__ import annotations

from typing import IO, Any

from cnsmm.findings import Finding, Location, Severity
from cnsmm.importers._common import (
    PROJECT,
    At,
    as_dict,
    cwe_ids,
    fail,
    get_dict,
    get_int,
    get_list,
    get_str,
    parse_time,
    req_str,
    severity_from_label,
    slug,
    unique,
)
from cnsmm.importers._simple import LEVELS, load, report
from cnsmm.importers.interface import ImportedReport, ItemError, ItemErrors
from cnsmm.vocab import ReportKind

VERSIONS = "GitLab security report schemas 14.x and 15.x (samples follow 15.0.7)"
KINDS: dict[str, tuple[ReportKind, str]] = {
    "sast": (ReportKind.SAST, "sast"),
    "dependency_scanning": (ReportKind.SCA, "vulnerability"),
    "container_scanning": (ReportKind.IMAGE_SCAN, "vulnerability"),
    "secret_detection": (ReportKind.SECRET_SCAN, "secret"),
    "dast": (ReportKind.DAST, "dast"),
}
"""GitLab ``scan.type`` -> (report kind, category of its findings)."""


def sniffer(scan_type: str) -> Any:
    """A ``sniff`` for the reports of one ``scan.type``."""
    marker = f'"type":"{scan_type}"'.encode()
    value = f'"{scan_type}"'.encode()

    def sniff(head: bytes) -> bool:
        if not (b'"vulnerabilities"' in head and b'"scan"' in head and b'"scanner"' in head and value in head):
            return False
        return marker in head.replace(b" ", b"").replace(b"\n", b"")

    sniff.__doc__ = f"GitLab security report: ``vulnerabilities`` and a ``scan`` of type ``{scan_type}``."
    return sniff


def parse(stream: IO[bytes], source: str, fmt: str, scan_type: str) -> ImportedReport:
    """Parse a GitLab security report of ``scan_type``."""
    doc = as_dict(load(stream, source), source, "the report")
    scan = get_dict(doc, "scan", source)
    got = get_str(scan, "type", source)
    if got != scan_type:
        raise fail(source, f"scan.type is {got!r}, expected {scan_type!r}",
                   hint=f"Import it as gitlab-{(got or '?').replace('_', '-')}-json, or let cnsmm detect the format")
    if "vulnerabilities" not in doc:
        raise fail(source, "missing vulnerabilities (every GitLab security report has that array)")
    scanner = get_dict(scan, "scanner", source)
    tool = slug(get_str(scanner, "id", source) or get_str(scanner, "name", source) or "gitlab")
    kind, category = KINDS[scan_type]

    def build(raw: Any, at: At) -> Finding:
        return _vulnerability(as_dict(raw, at, "vulnerability"), at, tool, get_str(scanner, "version", at), category)

    errors = ItemErrors()
    if str(scan.get("status", "")).lower() == "failure":  # the analyzer ran into an error: what it found is partial
        notes = [m for m in get_list(scan, "messages", source) if isinstance(m, dict)]
        fatal = next((m for m in notes if m.get("level") == "fatal"), notes[0] if notes else {})
        why = " ".join(str(fatal.get("value") or "").split())[:300]
        errors.append(ItemError("/scan/status", "scan", "the analyzer reports the scan failed" + (
            f" ({why})" if why else "")))
    return report(fmt, tool, get_str(scanner, "version", source), f"gitlab-{scan_type}:{PROJECT}", kind,
                  source, [("vulnerability", "vulnerabilities", get_list(doc, "vulnerabilities", source), build)],
                  errors=errors, generated_at=parse_time(scan.get("end_time")))


def _vulnerability(v: dict[str, Any], at: At, tool: str, version: str | None, category: str) -> Finding:
    ids = [as_dict(i, At(at, "identifier", n, "identifiers"), "identifier")
           for n, i in enumerate(get_list(v, "identifiers", at), 1)]
    values = [get_str(i, "value", at) or get_str(i, "name", at) or "" for i in ids]
    cve = next((x for x in values if x.upper().startswith("CVE-")), None)
    rid = cve or (values[0] if values and values[0] else None) or req_str(v, "id", at)
    name = get_str(v, "name", at) or get_str(v, "message", at) or rid
    label = get_str(v, "severity", at)
    loc = get_dict(v, "location", at)
    dep = get_dict(loc, "dependency", at)
    pkg = get_str(get_dict(dep, "package", at), "name", at)
    installed = get_str(dep, "version", at)
    image = get_str(loc, "image", at)
    url = None
    if category == "dast":
        host = get_str(loc, "hostname", at) or ""
        url = host + (get_str(loc, "path", at) or "")
    message = get_str(v, "message", at) or name
    if pkg:
        message = f"{pkg} {installed or ''} is affected by {rid}".replace("  ", " ")
    if category == "secret":
        message = f"{name} in {get_str(loc, 'file', at)}; value redacted"
    return Finding(
        rule=rid, severity=severity_from_label(label, LEVELS, Severity.MEDIUM), tool_severity=label, title=name,
        message=message, description=None if category == "secret" else get_str(v, "description", at),
        fix=get_str(v, "solution", at),
        location=Location(file=get_str(loc, "file", at), line=get_int(loc, "start_line", at), image=image, url=url,
                          parameter=get_str(loc, "param", at)),
        tool=tool, tool_version=version, category=category,
        aliases=tuple(x for x in unique(values) if x != rid), component=pkg, installed_version=installed,
        cwe=cwe_ids([x for x, i in zip(values, ids, strict=True) if str(i.get("type", "")).lower() == "cwe"]),
        references=unique([get_str(r, "url", at) or "" for r in get_list(v, "links", at) if isinstance(r, dict)]),
    )
