"""Prisma Cloud Compute (Twistlock) image scans: ``twistcli images scan --output-file FILE``
(``{"results": [...]}``, one result per image) and the Console API's ``GET /api/v1/images``
(an array of the same image objects, with ``vulnerabilities`` and ``complianceIssues``). Loaded whole.
"""

from __future__ import annotations

import re
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

FORMAT = "twistcli-json"
VERSIONS = ("twistcli 22.x-34.x `images scan --output-file` ({\"results\": [...]}) and the Console "
            "API image list (a JSON array of images)")

SEVERITY = {**LEVELS, "important": Severity.HIGH, "moderate": Severity.MEDIUM}
"""Prisma Cloud also writes ``important`` (Red Hat feeds) and ``moderate``."""

_FIXED_IN = re.compile(r"(?i)^fixed in\s+(.+)$")


def sniff(head: bytes) -> bool:
    """twistcli: images with ``vulnerabilityDistribution`` or ``complianceDistribution`` (or
    ``packageName`` vulnerabilities with ``riskFactors``)."""
    return (b'"vulnerabilityDistribution"' in head or b'"complianceDistribution"' in head
            or (b'"packageName"' in head and b'"riskFactors"' in head))


def parse(stream: IO[bytes], *, source: str) -> ImportedReport:
    """Parse a twistcli report: one finding per vulnerability and per compliance issue of each image."""
    doc = load(stream, source)
    if isinstance(doc, dict):
        if "results" not in doc:
            raise fail(source, "missing results (twistcli images scan --output-file writes {\"results\": [...]})")
        images, key = get_list(doc, "results", source), "results"
    elif isinstance(doc, list):
        images, key = doc, ""
    else:
        raise fail(source, "the report must be a JSON object with results")
    names = unique([n for i in images if isinstance(i, dict) and (n := _image_name(i))])
    repos = {image_repository(n) for n in names}
    scope = f"image:{repos.pop()}" if len(repos) == 1 else PROJECT
    sections = []
    for i, raw in enumerate(images, 1):
        at = At(source, "image", i, key)
        img = as_dict(raw, at, "image")
        name = _image_name(img)
        sections.append(("vulnerability", f"{key}/{i - 1}/vulnerabilities".lstrip("/"),
                         get_list(img, "vulnerabilities", at), lambda r, a, name=name: _vuln(r, a, name)))
        compliances = get_list(img, "compliances", at) or get_list(img, "complianceIssues", at)
        ckey = "compliances" if "compliances" in img else "complianceIssues"
        sections.append(("compliance issue", f"{key}/{i - 1}/{ckey}".lstrip("/"), compliances,
                         lambda r, a, name=name: _compliance(r, a, name)))
    return report(FORMAT, "prisma-cloud", None, scope, ReportKind.IMAGE_SCAN, source, sections)


def _image_name(img: dict[str, Any]) -> str | None:
    """``name`` (twistcli), else ``repoTag`` or the first instance's ``image`` (Console API)."""
    name = img.get("name")
    if isinstance(name, str) and name:
        return name
    tag = img.get("repoTag")
    if isinstance(tag, dict) and isinstance(tag.get("repo"), str) and tag["repo"]:
        registry = tag.get("registry") if isinstance(tag.get("registry"), str) else None
        return from_parts(registry, tag["repo"], tag["tag"] if isinstance(tag.get("tag"), str) else None)
    instances = img.get("instances")
    if isinstance(instances, list) and instances and isinstance(instances[0], dict):
        image = instances[0].get("image")
        return image if isinstance(image, str) and image else None
    return None


def _vuln(raw: Any, at: At, image: str | None) -> Finding:
    v = as_dict(raw, at, "vulnerability")
    vid = get_str(v, "id", at) or get_str(v, "cve", at)
    if not vid:
        raise fail(at, "missing id")
    pkg = req_str(v, "packageName", at)
    label = get_str(v, "severity", at)
    status = get_str(v, "status", at) or ""
    fixed = m.group(1).split(",")[0].strip() if (m := _FIXED_IN.match(status.strip())) else None
    finding = dependency_finding(
        vid, pkg, get_str(v, "packageVersion", at), fixed, severity_from_label(label, SEVERITY, Severity.MEDIUM),
        label, tool="prisma-cloud", description=get_str(v, "description", at),
        references=unique([get_str(v, "link", at) or ""]))
    return replace(finding, location=Location(image=image, file=get_str(v, "packagePath", at)))


def _compliance(raw: Any, at: At, image: str | None) -> Finding:
    c = as_dict(raw, at, "compliance issue")
    cid = get_str(c, "id", at)
    if not cid:
        raise fail(at, "missing id")
    title = get_str(c, "title", at) or cid
    label = get_str(c, "severity", at)
    return Finding(
        rule=f"prisma-compliance-{cid}", severity=severity_from_label(label, SEVERITY, Severity.MEDIUM),
        tool_severity=label, title=title, message=title, description=get_str(c, "description", at),
        location=Location(image=image), tool="prisma-cloud", category="compliance",
    )
