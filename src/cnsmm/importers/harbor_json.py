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
    """Parse a Harbor report: one finding per vulnerability. When the body holds the reports of
    several MIME types (one per scanner or report version), every one is read and a
    vulnerability that two of them name for the same package version is one finding."""
    doc = as_dict(load(stream, source), source, "the report")
    keys = [k for k in doc if isinstance(k, str) and k.startswith("application/vnd.")]
    reports = [(as_dict(doc[k], f"{source}: {k}", "report"), k.replace("~", "~0").replace("/", "~1") + "/")
               for k in keys] or [(doc, "")]
    for rep, _ in reports:
        if "vulnerabilities" not in rep:
            raise fail(source, "missing vulnerabilities (the report of a scanned artifact has them, maybe empty)")
    first = reports[0][0]
    artifact = get_dict(first, "artifact", source)
    repo = get_str(artifact, "repository", source)
    tag = get_str(artifact, "tag", source)
    digest = get_str(artifact, "digest", source)
    image = (f"{repo}@{digest}" if digest else f"{repo}:{tag}" if tag else repo) if repo else None
    version = get_str(get_dict(first, "scanner", source), "version", source)
    first_seen: dict[tuple[str, str | None, str | None], int] = {}

    def reader(n: int) -> Any:
        def once(raw: Any, at: At) -> Finding | None:
            found = _vuln(raw, at, image, version)
            key = (found.rule, found.component, found.installed_version)
            if first_seen.setdefault(key, n) != n:
                return None  # an earlier MIME type's report named it already
            return found
        return once

    return report(FORMAT, "harbor", version, f"image:{image_repository(repo)}" if repo else PROJECT,
                  ReportKind.IMAGE_SCAN, source,
                  [("vulnerability", f"{prefix}vulnerabilities", get_list(rep, "vulnerabilities", source), reader(n))
                   for n, (rep, prefix) in enumerate(reports)],
                  generated_at=parse_time(first.get("generated_at")))


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
