"""pip-audit JSON (``pip-audit -f json``)."""

from __future__ import annotations

from typing import IO, Any

from cnsmm.findings import Finding, Severity
from cnsmm.importers._common import PROJECT, At, as_dict, fail, get_list, get_str, req_str, str_tuple
from cnsmm.importers._deps import dependency_finding
from cnsmm.importers._simple import load, report
from cnsmm.importers.interface import ImportedReport
from cnsmm.vocab import ReportKind

FORMAT = "pip-audit-json"
VERSIONS = "pip-audit 2.x ({\"dependencies\": [...], \"fixes\": [...]}); the bare dependency array of 1.x"


def sniff(head: bytes) -> bool:
    """pip-audit: ``dependencies`` of ``name``/``version``/``vulns``."""
    return b'"vulns"' in head and (b'"dependencies"' in head or head.lstrip().startswith(b"["))


def parse(stream: IO[bytes], *, source: str) -> ImportedReport:
    """Parse a pip-audit report: one finding per vulnerability of each dependency (pip-audit gives no severity)."""
    doc = load(stream, source)
    if isinstance(doc, dict):
        if "dependencies" not in doc:
            raise fail(source, "missing dependencies (pip-audit -f json writes a dependencies array)")
        deps, key = get_list(doc, "dependencies", source), "dependencies"
    elif isinstance(doc, list):
        deps, key = doc, ""
    else:
        raise fail(source, "the report must be a JSON object with dependencies")
    return report(FORMAT, "pip-audit", None, f"pip-audit:{PROJECT}", ReportKind.SCA, source,
                  [("dependency", key, deps, _dependency)])


def _dependency(raw: Any, at: At) -> list[Finding]:
    d = as_dict(raw, at, "dependency")
    if "skip_reason" in d:
        return []  # not audited (not on PyPI); pip-audit says why in its own output
    name = req_str(d, "name", at)
    version = get_str(d, "version", at)
    out = []
    for i, raw_v in enumerate(get_list(d, "vulns", at), 1):
        vat = At(at, "vulnerability", i, "vulns")
        v = as_dict(raw_v, vat, "vulnerability")
        vid = req_str(v, "id", vat)
        fixes = str_tuple(v, "fix_versions", vat)
        out.append(dependency_finding(
            vid, name, version, fixes[0] if fixes else None, Severity.MEDIUM, None, tool="pip-audit",
            aliases=str_tuple(v, "aliases", vat), description=get_str(v, "description", vat),
            references=(f"https://osv.dev/vulnerability/{vid}",)))
    return out
