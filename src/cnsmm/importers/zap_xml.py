"""OWASP ZAP traditional XML reports (``-x report.xml``), read with defusedxml."""

from __future__ import annotations

from typing import IO, Any
from xml.etree.ElementTree import Element

from cnsmm.importers import _zap
from cnsmm.importers._common import fail, guarded
from cnsmm.importers._xml import child, children, load_xml, local, text
from cnsmm.importers.interface import ImportedReport, ItemErrors
from cnsmm.vocab import ReportKind

FORMAT = "zap-xml"

_ALERT_FIELDS = ("pluginid", "alertRef", "alert", "name", "riskcode", "confidence", "riskdesc", "desc",
                 "solution", "otherinfo", "reference", "cweid", "wascid", "sourceid")
_INSTANCE_FIELDS = ("uri", "method", "param", "attack", "evidence", "otherinfo")


VERSIONS = "ZAP 2.10 and later (traditional XML report); alerts with one uri per alert from before 2.10"


def sniff(head: bytes) -> bool:
    """ZAP XML: an ``OWASPZAPReport`` root element."""
    return b"<OWASPZAPReport" in head


def parse(stream: IO[bytes], *, source: str) -> ImportedReport:
    """Parse a ZAP traditional XML report (whole document; errors raise here)."""
    root = load_xml(stream, source)
    if local(root.tag) != "OWASPZAPReport":
        raise fail(source, f"root element must be <OWASPZAPReport> (got <{local(root.tag)}>)")
    sites = [_site(s) for s in children(root, "site")]
    version = root.get("version") or None
    first = sites[0]["@name"] if sites else "no-site"
    errors = ItemErrors()
    return ImportedReport(
        format=FORMAT, tool="zap", tool_version=version, scope=f"site:{first}",
        findings=guarded(source, _zap.findings(sites, source, version, errors, mode="xml")), kind=ReportKind.DAST,
        errors=errors,
    )


def _site(el: Element) -> dict[str, Any]:
    alerts = []
    for item in children(child(el, "alerts"), "alertitem"):
        alert: dict[str, Any] = {f: text(item, f) for f in (*_ALERT_FIELDS, "uri", "method", "param")}
        alert["instances"] = [{f: text(inst, f) for f in _INSTANCE_FIELDS}
                              for inst in children(child(item, "instances"), "instance")]
        alerts.append(alert)
    return {"@name": el.get("name") or el.get("host") or "?", "@host": el.get("host"), "alerts": alerts}
