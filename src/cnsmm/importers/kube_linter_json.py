"""kube-linter JSON (``kube-linter lint --format json``)."""

from __future__ import annotations

from typing import IO, Any

from cnsmm.findings import Finding, Location, Severity
from cnsmm.importers._common import PROJECT, At, as_dict, fail, get_dict, get_list, get_str, req_str
from cnsmm.importers._simple import load, report
from cnsmm.importers.interface import ImportedReport
from cnsmm.vocab import ReportKind

FORMAT = "kube-linter-json"
VERSIONS = "kube-linter 0.6 and later (samples follow 0.7)"


def sniff(head: bytes) -> bool:
    """kube-linter JSON: ``Reports`` of ``Diagnostic``/``Check`` with ``K8sObject``, or ``Checks`` + ``Summary``."""
    return (b'"Reports"' in head and b'"Diagnostic"' in head) or (
        b'"Checks"' in head and b'"Summary"' in head and b'"ChecksStatus"' in head)


def parse(stream: IO[bytes], *, source: str) -> ImportedReport:
    """Parse a kube-linter JSON report."""
    doc = as_dict(load(stream, source), source, "the report")
    if "Reports" not in doc:
        raise fail(source, "missing Reports (kube-linter lint --format json writes Reports)")
    checks = {c["name"]: c for c in get_list(doc, "Checks", source)
              if isinstance(c, dict) and isinstance(c.get("name"), str)}

    def build(raw: Any, at: At) -> Finding:
        r = as_dict(raw, at, "report")
        check = req_str(r, "Check", at)
        message = get_str(get_dict(r, "Diagnostic", at), "Message", at) or check
        obj = get_dict(r, "Object", at)
        k8s = get_dict(obj, "K8sObject", at)
        kind = get_str(get_dict(k8s, "GroupVersionKind", at), "Kind", at) or "Object"
        ns, name = get_str(k8s, "Namespace", at), get_str(k8s, "Name", at) or "?"
        info = checks.get(check) or {}
        return Finding(
            rule=check, severity=Severity.MEDIUM, tool_severity=None,
            title=str(info.get("description") or check), message=message, fix=get_str(r, "Remediation", at),
            location=Location(file=get_str(get_dict(obj, "Metadata", at), "FilePath", at),
                              resource=f"{kind}/{ns}/{name}" if ns else f"{kind}/{name}"),
            tool="kube-linter", category="misconfiguration",
            references=(f"https://docs.kubelinter.io/#/generated/checks?id={check}",),
        )

    return report(FORMAT, "kube-linter", None, f"kube-linter:{PROJECT}", ReportKind.IAC_SCAN, source,
                  [("report", "Reports", get_list(doc, "Reports", source), build)])
