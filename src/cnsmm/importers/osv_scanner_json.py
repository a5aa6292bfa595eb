"""OSV-Scanner JSON (``osv-scanner --format json``)."""

from __future__ import annotations

from typing import IO, Any

from cnsmm.findings import Finding, Severity
from cnsmm.importers._common import (
    PROJECT,
    At,
    as_dict,
    fail,
    get_dict,
    get_list,
    get_str,
    req_str,
    severity_from_score,
    str_tuple,
)
from cnsmm.importers._deps import dependency_finding
from cnsmm.importers._simple import LEVELS, load, report
from cnsmm.importers.interface import ImportedReport
from cnsmm.vocab import ReportKind

FORMAT = "osv-scanner-json"
VERSIONS = ("OSV-Scanner 1.x and 2.x JSON (samples follow 1.9); the early releases that wrote "
            "packageSource instead of source")


def sniff(head: bytes) -> bool:
    """OSV-Scanner: ``results`` with ``source`` (``packageSource`` in the early releases) and
    ``packages``, or with ``experimental_config`` (no results)."""
    return b'"results"' in head and ((b'"packages"' in head and (b'"source"' in head or b'"packageSource"' in head))
                                     or b'"experimental_config"' in head)


def parse(stream: IO[bytes], *, source: str) -> ImportedReport:
    """Parse an OSV-Scanner report: one finding per vulnerability group of each package."""
    doc = as_dict(load(stream, source), source, "the report")
    if "results" not in doc:
        raise fail(source, "missing results (osv-scanner --format json writes results)")
    sections = []
    for i, raw in enumerate(get_list(doc, "results", source), 1):
        rat = At(source, "result", i, "results")
        r = as_dict(raw, rat, "result")
        # "packageSource" in the early releases, "source" since
        path = get_str(get_dict(r, "source", rat) or get_dict(r, "packageSource", rat), "path", rat)
        sections.append(("package", f"results/{i - 1}/packages", get_list(r, "packages", rat),
                         lambda p, at, path=path: _package(p, at, path)))
    return report(FORMAT, "osv-scanner", None, f"osv-scanner:{PROJECT}", ReportKind.SCA, source, sections)


def _package(raw: Any, at: At, path: str | None) -> list[Finding]:
    p = as_dict(raw, at, "package")
    pkg = get_dict(p, "package", at) or get_dict(p, "Package", at)  # "Package" in the first releases
    name = req_str(pkg, "name", at)
    version = get_str(pkg, "version", at)
    vulns = {v.get("id"): v for v in get_list(p, "vulnerabilities", at) if isinstance(v, dict)}
    groups = get_list(p, "groups", at) or [{"ids": [vid]} for vid in vulns]
    out = []
    for i, raw_g in enumerate(groups, 1):
        g = as_dict(raw_g, At(at, "group", i, "groups"), "group")
        ids = str_tuple(g, "ids", at)
        if not ids:
            continue
        primary = next((x for x in ids if x.startswith("CVE-")), ids[0])
        v = next((vulns[x] for x in ids if x in vulns), {})
        score = str(g.get("max_severity") or "")
        label: str | None
        try:
            severity, label = severity_from_score(float(score)), score
        except ValueError:
            label = get_str(get_dict(v, "database_specific", at), "severity", at)
            severity = LEVELS.get((label or "").lower(), Severity.MEDIUM)
        aliases = tuple(dict.fromkeys([*ids, *str_tuple(v, "aliases", at)]))
        out.append(dependency_finding(
            primary, name, version, None, severity, label, tool="osv-scanner", aliases=aliases,
            title=get_str(v, "summary", at), description=get_str(v, "details", at), file=path,
            references=(f"https://osv.dev/vulnerability/{ids[0]}",)))
    return out
