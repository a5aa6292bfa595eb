"""Polaris audit JSON (``polaris audit --format json``): checks per workload, pod and container."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from cnsmm.findings import Finding, Location, Severity
from cnsmm.importers._common import At, as_dict, fail, get_dict, get_list, get_str, parse_time
from cnsmm.importers._simple import load, report
from cnsmm.importers.interface import ImportedReport
from cnsmm.vocab import ReportKind

FORMAT = "polaris-json"
VERSIONS = "Polaris 4 and later (PolarisOutputVersion 1.0; samples follow 9.x)"
_SEVERITY = {"danger": Severity.HIGH, "warning": Severity.MEDIUM, "ignore": Severity.INFO}


def sniff(head: bytes) -> bool:
    """Polaris: ``PolarisOutputVersion`` (or ``AuditTime`` with ``Results``)."""
    return b'"PolarisOutputVersion"' in head or (b'"AuditTime"' in head and b'"Results"' in head)


def parse(stream: IO[bytes], *, source: str) -> ImportedReport:
    """Parse a Polaris audit: one finding per failed check per object (pod and container checks included)."""
    doc = as_dict(load(stream, source), source, "the report")
    if "Results" not in doc:
        raise fail(source, "missing Results (polaris audit --format json writes Results)")
    target = get_str(doc, "SourceName", source) or get_str(doc, "DisplayName", source) or "cluster"
    kind = ReportKind.COMPLIANCE if get_str(doc, "SourceType", source) == "Cluster" else ReportKind.IAC_SCAN
    return report(FORMAT, "polaris", None, f"polaris:{target}", kind, source,
                  [("result", "Results", get_list(doc, "Results", source), _result)],
                  generated_at=parse_time(doc.get("AuditTime")))


def _result(raw: Any, at: At) -> list[Finding]:
    r = as_dict(raw, at, "result")
    kind = get_str(r, "Kind", at) or "Object"
    ns, name = get_str(r, "Namespace", at), get_str(r, "Name", at) or "?"
    resource = f"{kind}/{ns}/{name}" if ns else f"{kind}/{name}"
    out = list(_checks(get_dict(r, "Results", at), resource, None, at))
    pod = get_dict(r, "PodResult", at)
    out += _checks(get_dict(pod, "Results", at), resource, None, at)
    for i, raw_c in enumerate(get_list(pod, "ContainerResults", at), 1):
        c = as_dict(raw_c, At(at, "container", i, "PodResult/ContainerResults"), "container result")
        out += _checks(get_dict(c, "Results", at), resource, get_str(c, "Name", at), at)
    return out


def _checks(results: dict[str, Any], resource: str, container: str | None, at: At) -> Iterator[Finding]:
    for cid, raw in results.items():
        if not isinstance(raw, dict) or raw.get("Success") is not False:
            continue
        label = get_str(raw, "Severity", at)
        message = get_str(raw, "Message", at) or cid
        where = f"{resource} container {container}" if container else resource
        yield Finding(
            rule=get_str(raw, "ID", at) or cid, severity=_SEVERITY.get(label or "", Severity.MEDIUM),
            tool_severity=label, title=message, message=f"{where}: {message}",
            location=Location(resource=resource), tool="polaris", category="misconfiguration",
            references=(f"https://polaris.docs.fairwinds.com/checks/{(get_str(raw, 'Category', at) or '').lower()}/",),
        )
