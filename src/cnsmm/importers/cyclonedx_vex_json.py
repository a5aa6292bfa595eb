"""CycloneDX VEX documents: a CycloneDX JSON BOM whose ``vulnerabilities`` carry an ``analysis``
and that lists no components of its own (it refers to another BOM's components by BOM-Link or
purl). Read like any CycloneDX JSON BOM; its analyses become VEX statements that change the
status of matching findings in the project, and its vulnerabilities still under analysis
(``exploitable``, ``in_triage``) are not findings of their own: the scans' findings are.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO

from cnsmm.findings import Finding
from cnsmm.importers import cyclonedx_json
from cnsmm.importers.interface import ImportedReport
from cnsmm.vocab import ReportKind

FORMAT = "cyclonedx-vex-json"
VERSIONS = "CycloneDX 1.4, 1.5, 1.6 JSON with vulnerabilities[].analysis and no components"


def sniff(head: bytes) -> bool:
    """CycloneDX VEX: a CycloneDX JSON BOM with ``vulnerabilities[].analysis`` and no top-level
    ``components`` (the whole document must fit in the first 64 KiB; a bigger one is a BOM)."""
    if not (cyclonedx_json.sniff(head) and b'"analysis"' in head):
        return False
    try:
        doc = json.loads(head.decode("utf-8-sig"))
    except (ValueError, RecursionError):
        return False
    return (isinstance(doc, dict) and not doc.get("components") and isinstance(doc.get("vulnerabilities"), list)
            and any(isinstance(v, dict) and v.get("analysis") for v in doc["vulnerabilities"]))


def parse(stream: IO[bytes], *, source: str) -> ImportedReport:
    """Parse a CycloneDX VEX document (statements in ``ImportedReport.vex``, filled while iterating)."""
    report = cyclonedx_json.parse(stream, source=source)
    report.format = FORMAT
    report.kind = ReportKind.VEX
    report.scope = "vex:" + report.scope.removeprefix("sbom:")
    report.findings = _statements_only(report.findings)
    return report


def _statements_only(findings: Iterator[Finding]) -> Iterator[Finding]:
    """Read every vulnerability (filling the statements and errors) and yield none: the
    findings are the scans' ones; a VEX document only says what their status is."""
    for _ in findings:
        pass
    yield from ()
