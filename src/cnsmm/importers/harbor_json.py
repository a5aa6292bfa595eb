"""Harbor vulnerability reports: the body of ``GET /api/v2.0/projects/{project}/repositories/{repository}/
artifacts/{reference}/additions/vulnerabilities`` (one report per MIME type), or a bare report as a
pluggable scanner adapter returns it (Trivy, Clair, ...). Loaded whole.
"""

from __future__ import annotations

from dataclasses import replace
from typing import IO, Any

from cnsmm.findings import Finding, Location, Severity
from cnsmm.importers._common import (
    PROJECT,
    At,
    as_dict,
    cwe_ids,
    fail,
    get_dict,
    get_list,
    get_str,
    image_repository,
    parse_time,
    req_str,
    severity_from_label,
    str_tuple,
)
from cnsmm.importers._deps import dependency_finding
from cnsmm.importers._simple import LEVELS, load, report
from cnsmm.importers.interface import ImportedReport
from cnsmm.vocab import ReportKind

FORMAT = "harbor-json"
VERSIONS = ("Harbor 2.x vulnerability additions (report MIME types vnd.security.vulnerability.report 1.1 and "
            "vnd.scanner.adapter.vuln.report.harbor+json 1.0), and bare scanner-adapter reports")

_MIME = ("application/vnd.security.vulnerability.report; version=1.1",
         "application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0")


def sniff(head: bytes) -> bool:
    """Harbor: a report MIME type as key, or a scanner-adapter report (``scanner`` and ``vulnerabilities``
    with ``package``/``fix_version``)."""
    if b'"application/vnd.security.vulnerability.report' in head or b'"application/vnd.scanner.adapter.vuln' in head:
        return True
    return (b'"scanner"' in head and b'"vulnerabilities"' in head and b'"fix_version"' in head
            and b'"generated_at"' in head)


def parse(stream: IO[bytes], *, source: str) -> ImportedReport:
    """Parse a Harbor report: one finding per vulnerability (the first report when several MIME types are given)."""
    doc = as_dict(load(stream, source), source, "the report")
    key = next((k for k in doc if isinstance(k, str) and k.startswith("application/vnd.")), None)
    if key is not None:
        rep = as_dict(doc[key], f"{source}: {key}", "report")
        prefix = key.replace("~", "~0").replace("/", "~1") + "/"
    else:
        rep, prefix = doc, ""
    if "vulnerabilities" not in rep:
        raise fail(source, "missing vulnerabilities (the report of a scanned artifact has them, maybe empty)")
    artifact = get_dict(rep, "artifact", source)
    repo = get_str(artifact, "repository", source)
    tag = get_str(artifact, "tag", source)
    digest = get_str(artifact, "digest", source)
    image = (f"{repo}@{digest}" if digest else f"{repo}:{tag}" if tag else repo) if repo else None
    scanner = get_dict(rep, "scanner", source)
    version = get_str(scanner, "version", source)
    vulns = get_list(rep, "vulnerabilities", source)
    return report(FORMAT, "harbor", version, f"image:{image_repository(repo)}" if repo else PROJECT,
                  ReportKind.IMAGE_SCAN, source, [("vulnerability", f"{prefix}vulnerabilities", vulns,
                            lambda r, at: _vuln(r, at, image, version))],
                  generated_at=parse_time(rep.get("generated_at")))


def _vuln(raw: Any, at: At, image: str | None, version: str | None) -> Finding:
    v = as_dict(raw, at, "vulnerability")
    vid = req_str(v, "id", at)
    pkg = req_str(v, "package", at)
    installed = get_str(v, "version", at)
    fixed = get_str(v, "fix_version", at)
    label = get_str(v, "severity", at)
    finding = dependency_finding(
        vid, pkg, installed, fixed, severity_from_label(label, LEVELS, Severity.MEDIUM), label, tool="harbor",
        tool_version=version, description=get_str(v, "description", at), references=str_tuple(v, "links", at),
        cwe=cwe_ids(list(str_tuple(v, "cwe_ids", at))))
    layer = get_dict(v, "layer", at)
    return replace(finding, location=Location(
        image=image, layer=get_str(layer, "diff_id", at) or get_str(layer, "digest", at)))
