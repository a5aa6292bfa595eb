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

import ijson  # type: ignore[import-untyped]

from cnsmm.findings import Finding
from cnsmm.importers import cyclonedx_json
from cnsmm.importers._jsonio import DepthError, DepthGuard
from cnsmm.importers.interface import ImportedReport
from cnsmm.vocab import ReportKind

FORMAT = "cyclonedx-vex-json"
VERSIONS = "CycloneDX 1.4, 1.5, 1.6 JSON with vulnerabilities[].analysis and no components"


def sniff(head: bytes) -> bool:
    """CycloneDX VEX: a CycloneDX JSON BOM with ``vulnerabilities[].analysis`` and no top-level
    ``components`` (a document larger than the first 64 KiB is read through, streamed, until a
    component shows it is a BOM)."""
    if not (cyclonedx_json.sniff(head) and b'"analysis"' in head):
        return False
    try:
        doc = json.loads(head.decode("utf-8-sig"))
    except (ValueError, RecursionError):
        return False
    return (isinstance(doc, dict) and not doc.get("components") and isinstance(doc.get("vulnerabilities"), list)
            and any(isinstance(v, dict) and v.get("analysis") for v in doc["vulnerabilities"]))


def sniff_stream(stream: IO[bytes]) -> bool:
    """Whether a CycloneDX JSON document too large for :func:`sniff` is a VEX document: read
    as far as needed, one parse event at a time (memory bounded by nesting, not size), until
    a top-level component shows it is a BOM or the end shows none and some
    ``vulnerabilities[].analysis`` has content. The stream is left where it was."""
    start = stream.tell()
    if stream.read(3) != b"\xef\xbb\xbf":
        stream.seek(start)
    depth = 0
    key = None  # the current top-level key
    expect = 0  # after vulnerabilities[].analysis: 1 wants its object, 2 wants a first key in it
    analysis = False
    try:
        for event, value in ijson.basic_parse(DepthGuard(stream), use_float=True):
            if expect:
                analysis = analysis or (expect == 2 and event == "map_key")
                expect = 2 if expect == 1 and event == "start_map" else 0
            if event == "map_key":
                if depth == 1:
                    key = value
                elif depth == 3 and key == "vulnerabilities" and value == "analysis":
                    expect = 1
            elif event in ("start_map", "start_array"):
                depth += 1
                if depth == 3 and key == "components":
                    return False  # a component of its own: a BOM
            elif event in ("end_map", "end_array"):
                depth -= 1
    except (ijson.JSONError, DepthError, UnicodeDecodeError):
        pass  # the parser names the error; decide on what was read
    finally:
        stream.seek(start)
    return analysis


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
