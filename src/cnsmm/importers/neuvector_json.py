"""NeuVector scan reports: the standalone scanner's ``scan_result.json`` and the REST API's
image and workload scans (``GET /v1/scan/registry/{name}/image/{id}``, ``/v1/scan/workload/{id}``),
all ``{"report": {...}}``. Loaded whole.

Vulnerabilities become findings; CIS Docker benchmark ``checks`` with level ``WARN`` become
compliance findings (PASS, INFO and NOTE do not).
"""

from __future__ import annotations

from dataclasses import replace
from typing import IO, Any

from cnsmm.findings import Finding, Location, Severity
from cnsmm.imageref import from_parts
from cnsmm.importers._common import (
    PROJECT,
    At,
    as_dict,
    fail,
    get_list,
    get_str,
    image_repository,
    req_str,
    severity_from_label,
    unique,
)
from cnsmm.importers._deps import dependency_finding
from cnsmm.importers._simple import LEVELS, load, report
from cnsmm.importers.interface import ImportedReport
from cnsmm.vocab import ReportKind

FORMAT = "neuvector-json"
VERSIONS = "NeuVector 5.x scanner and REST API scan reports ({\"report\": {...}}); the 4.x layout without checks"


def sniff(head: bytes) -> bool:
    """NeuVector: a ``report`` with ``cvedb_version`` (or ``base_os``) and ``vulnerabilities``."""
    return b'"report"' in head and b'"vulnerabilities"' in head and (
        b'"cvedb_version"' in head or b'"cvedb_create_time"' in head or b'"base_os"' in head)


def parse(stream: IO[bytes], *, source: str) -> ImportedReport:
    """Parse a NeuVector scan report: one finding per vulnerability and per failed benchmark check."""
    doc = as_dict(load(stream, source), source, "the report")
    failed = doc.get("error_message")
    if isinstance(failed, str) and failed.strip():  # the scanner writes why a scan failed, with no report
        raise fail(source, f"the NeuVector scan failed ({failed.strip()[:300]})",
                   hint="Fix the cause (image name, registry access) and scan again")
    if "report" not in doc:
        raise fail(source, "missing report (NeuVector scan results are {\"report\": {...}})")
    rep = as_dict(doc["report"], f"{source}: report", "report")
    repo = get_str(rep, "repository", source)
    name = from_parts(get_str(rep, "registry", source), repo) if repo else None
    image = from_parts(None, name, get_str(rep, "tag", source)) if name else None
    version = get_str(rep, "cvedb_version", source)
    return report(FORMAT, "neuvector", version, f"image:{image_repository(name)}" if name else PROJECT,
                  ReportKind.IMAGE_SCAN, source, [
                      ("vulnerability", "report/vulnerabilities", get_list(rep, "vulnerabilities", source),
                       lambda r, at: _vuln(r, at, image, version)),
                      ("check", "report/checks", get_list(rep, "checks", source), lambda r, at: _check(r, at, image)),
                  ])


def _vuln(raw: Any, at: At, image: str | None, version: str | None) -> Finding:
    v = as_dict(raw, at, "vulnerability")
    vid = req_str(v, "name", at)
    pkg = req_str(v, "package_name", at)
    label = get_str(v, "severity", at)
    finding = dependency_finding(
        vid, pkg, get_str(v, "package_version", at), get_str(v, "fixed_version", at),
        severity_from_label(label, LEVELS, Severity.MEDIUM), label, tool="neuvector", tool_version=version,
        description=get_str(v, "description", at), references=unique([get_str(v, "link", at) or ""]),
        file=get_str(v, "file_name", at))
    return replace(finding, location=Location(file=finding.location.file, image=image))


def _check(raw: Any, at: At, image: str | None) -> Finding | None:
    c = as_dict(raw, at, "check")
    level = req_str(c, "level", at)
    if level.upper() not in ("WARN", "FAIL", "HIGH"):
        return None
    number = req_str(c, "test_number", at)
    catalog = get_str(c, "catalog", at) or "docker"
    title = get_str(c, "description", at) or number
    return Finding(
        rule=f"CIS-{catalog}-{number}", severity=Severity.MEDIUM if c.get("scored") else Severity.LOW,
        tool_severity=level, title=title, message=f"CIS {catalog} benchmark {number} warns: {title}",
        fix=get_str(c, "remediation", at), location=Location(image=image), tool="neuvector", category="compliance",
    )
