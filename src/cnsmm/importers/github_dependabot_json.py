"""GitHub Dependabot alerts, as the REST API returns them (``GET /repos/{owner}/{repo}/dependabot/alerts``,
also the organisation and enterprise endpoints). Loaded whole.

Only alerts in state ``open`` are problems; ``fixed``, ``dismissed`` and ``auto_dismissed``
alerts are read (they name the repository) but give no finding.
"""

from __future__ import annotations

from dataclasses import replace
from typing import IO, Any

from cnsmm.findings import Finding, Severity
from cnsmm.importers import _github
from cnsmm.importers._common import (
    At,
    as_dict,
    cwe_ids,
    get_dict,
    get_list,
    get_str,
    req_str,
    severity_from_label,
    unique,
)
from cnsmm.importers._deps import dependency_finding
from cnsmm.importers._simple import LEVELS, report
from cnsmm.importers.interface import ImportedReport
from cnsmm.vocab import ReportKind

FORMAT = "github-dependabot-json"
VERSIONS = ("GitHub REST API 2022-11-28 Dependabot alerts (repository, organisation and enterprise "
            "endpoints); several pages back to back (gh api --paginate) or an array of pages (--slurp)")


def sniff(head: bytes) -> bool:
    """Dependabot alerts: an array of objects with ``security_advisory`` and ``security_vulnerability``."""
    return head.lstrip().startswith(b"[") and b'"security_advisory"' in head and (
        b'"security_vulnerability"' in head or b'"dependency"' in head)


def parse(stream: IO[bytes], *, source: str) -> ImportedReport:
    """Parse Dependabot alerts: one finding per open alert."""
    pages = _github.alerts(stream, source, "Dependabot alerts")
    return report(FORMAT, "github-dependabot", None, _github.scope(pages), ReportKind.SCA, source,
                  [("alert", key.rstrip("/"), page, _alert) for key, page in pages])


def _alert(raw: Any, at: At) -> Finding | None:
    a = as_dict(raw, at, "alert")
    state = req_str(a, "state", at)
    if state != _github.OPEN:
        return None
    adv = get_dict(a, "security_advisory", at)
    vuln = get_dict(a, "security_vulnerability", at)
    dep = get_dict(a, "dependency", at)
    pkg = get_dict(vuln, "package", at) or get_dict(dep, "package", at)
    name = req_str(pkg, "name", at)
    ghsa = get_str(adv, "ghsa_id", at)
    cve = get_str(adv, "cve_id", at)
    ids = [get_str(as_dict(i, at, "identifier"), "value", at) or "" for i in get_list(adv, "identifiers", at)]
    primary = cve or ghsa or next((i for i in ids if i), None)
    if not primary:
        raise ValueError("missing security_advisory.ghsa_id and cve_id")
    label = get_str(vuln, "severity", at) or get_str(adv, "severity", at)
    fixed = get_str(get_dict(vuln, "first_patched_version", at), "identifier", at)
    refs = [get_str(as_dict(r, at, "reference"), "url", at) or "" for r in get_list(adv, "references", at)]
    cwes = [get_str(as_dict(c, at, "cwe"), "cwe_id", at) or "" for c in get_list(adv, "cwes", at)]
    ecosystem = get_str(pkg, "ecosystem", at)
    finding = dependency_finding(
        primary, name, None, fixed, severity_from_label(label, LEVELS, Severity.MEDIUM), label,
        tool="github-dependabot", title=get_str(adv, "summary", at), aliases=unique([ghsa or "", cve or "", *ids]),
        description=get_str(adv, "description", at), file=get_str(dep, "manifest_path", at),
        references=unique([get_str(a, "html_url", at) or "", *refs]), cwe=cwe_ids(cwes),
    )
    vrange = get_str(vuln, "vulnerable_version_range", at)
    if vrange:
        where = f" ({ecosystem})" if ecosystem else ""
        finding = replace(finding, message=f"{name}{where} {vrange} is affected by {primary}"
                          + (f"; fixed in {fixed}" if fixed else ""))
    return finding
