"""OWASP ZAP traditional JSON reports (``-J report.json``, "Traditional JSON Report").

Loaded whole (limit: 256 MiB): ZAP reports hold alerts grouped by site, not millions of rows.
"""

from __future__ import annotations

from typing import IO

from cnsmm.importers import _zap
from cnsmm.importers._common import as_dict, fail, get_list, get_str, guarded, parse_time
from cnsmm.importers._jsonio import load_small
from cnsmm.importers.interface import ImportedReport, ItemErrors
from cnsmm.vocab import ReportKind

FORMAT = "zap-json"


VERSIONS = ("ZAP 2.10 and later (traditional JSON report); alerts with one uri per alert from before 2.10; "
            "2.7 and before, which wrote a lone site as an object")


def sniff(head: bytes) -> bool:
    """ZAP JSON: ``@programName``/``@version`` with ``site`` (an array; one object before ZAP 2.8)."""
    return b'"site"' in head and (b'"@programName"' in head or (b'"@version"' in head and b'"@generated"' in head))


def parse(stream: IO[bytes], *, source: str) -> ImportedReport:
    """Parse a ZAP traditional JSON report (whole document; structure errors raise here)."""
    doc = as_dict(load_small(stream, source), source, "the report")
    if "site" not in doc:
        raise fail(source, "missing site (a ZAP traditional report lists alerts per site)")
    single = isinstance(doc["site"], dict)  # ZAP 2.7 and before, when the report has one site
    sites = [doc["site"]] if single else get_list(doc, "site", source)
    version = get_str(doc, "@version", source)
    first = _zap.site_name(sites[0], source) if sites and isinstance(sites[0], dict) else "no-site"
    errors = ItemErrors()
    return ImportedReport(
        format=FORMAT, tool="zap", tool_version=version, scope=f"site:{first}",
        findings=guarded(source, _zap.findings(sites, source, version, errors, single=single)),
        generated_at=parse_time(doc.get("created")), kind=ReportKind.DAST, errors=errors,
    )
