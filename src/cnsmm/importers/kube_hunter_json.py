"""kube-hunter JSON (``kube-hunter --report json``)."""

from __future__ import annotations

from typing import IO, Any

from cnsmm.findings import Finding, Location, Severity
from cnsmm.importers._common import PROJECT, At, as_dict, fail, get_list, get_str, req_str, severity_from_label
from cnsmm.importers._simple import LEVELS, load, report
from cnsmm.importers.interface import ImportedReport
from cnsmm.vocab import ReportKind

FORMAT = "kube-hunter-json"
VERSIONS = "kube-hunter 0.4 to 0.6 (samples follow 0.6.8)"


def sniff(head: bytes) -> bool:
    """kube-hunter: ``vulnerabilities`` with ``vid``/``hunter``, or ``nodes`` + ``services`` + ``vulnerabilities``."""
    return b'"vulnerabilities"' in head and (b'"hunter"' in head or (b'"nodes"' in head and b'"services"' in head))


def parse(stream: IO[bytes], *, source: str) -> ImportedReport:
    """Parse a kube-hunter report: one finding per vulnerability and location."""
    doc = as_dict(load(stream, source), source, "the report")
    if "vulnerabilities" not in doc:
        raise fail(source, "missing vulnerabilities (kube-hunter --report json lists them)")
    return report(FORMAT, "kube-hunter", None, f"kube-hunter:{PROJECT}", ReportKind.PENTEST, source,
                  [("vulnerability", "vulnerabilities", get_list(doc, "vulnerabilities", source), _vuln)])


def _vuln(raw: Any, at: At) -> Finding:
    v = as_dict(raw, at, "vulnerability")
    vid = get_str(v, "vid", at) or req_str(v, "vulnerability", at)
    title = get_str(v, "vulnerability", at) or vid
    location = get_str(v, "location", at) or "?"
    label = get_str(v, "severity", at)
    return Finding(
        rule=vid, severity=severity_from_label(label, LEVELS, Severity.MEDIUM), tool_severity=label, title=title,
        message=f"{title} at {location} ({get_str(v, 'category', at) or 'uncategorised'})",
        description=get_str(v, "description", at), location=Location(url=location),
        tool="kube-hunter", category="pentest",
        references=tuple(u for u in (get_str(v, "avd_reference", at),) if u),
    )
