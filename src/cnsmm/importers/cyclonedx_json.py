"""CycloneDX JSON BOMs (spec 1.4 to 1.6; 1.2 and 1.3 read as inventory only).

``components`` (nested ones flattened) become ``ImportedReport.components``;
``vulnerabilities`` become findings, one per affected component. Components are held in
memory (they are the inventory); vulnerabilities stream.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from cnsmm.findings import Finding
from cnsmm.importers import _cyclonedx
from cnsmm.importers._common import PROJECT, At, as_dict, fail, guarded, parse_time
from cnsmm.importers._cyclonedx import VulnMapper, check_spec, components, image_of, scope_of, tool_of
from cnsmm.importers._jsonio import Doc, event_kind
from cnsmm.importers.interface import ImportedReport, ItemErrors, VexStatement
from cnsmm.vocab import ReportKind

FORMAT = "cyclonedx-json"

_HEAD = frozenset({"bomFormat", "specVersion", "metadata"})


VERSIONS = _cyclonedx.VERSIONS


def sniff(head: bytes) -> bool:
    """CycloneDX JSON: ``"bomFormat": "CycloneDX"``."""
    return b'"bomFormat"' in head and b'"CycloneDX"' in head


def parse(stream: IO[bytes], *, source: str) -> ImportedReport:
    """Parse a CycloneDX JSON BOM; header and component errors raise here."""
    doc = Doc(stream, source)
    errors = ItemErrors()
    head = doc.head("", _HEAD, frozenset({"components", "vulnerabilities", "dependencies", "services"}))
    if not head.found:
        raise fail(source, "the file is empty")
    values = head.values
    if head.stopped_at in ("components", "vulnerabilities") and head.stop_event not in ("start_array", "null"):
        raise fail(source, f"{head.stopped_at} must be an array (got {event_kind(head.stop_event)})")
    if head.stopped_at is not None and not values.keys() >= _HEAD:
        for key in _HEAD - values.keys():
            values[key] = doc.first(key)
    if values.get("bomFormat") != "CycloneDX":
        raise fail(source, f"bomFormat must be 'CycloneDX' (got {values.get('bomFormat')!r})")
    check_spec(values.get("specVersion"), source)
    metadata = as_dict(values.get("metadata") or {}, source, "metadata")
    items = list(doc.items("components.item", "component"))
    comps, refs = components(items, source, errors)
    tool, version = tool_of(metadata, source)
    scope = scope_of(metadata, PROJECT, source)
    vex: list[VexStatement] = []
    mapper = VulnMapper(tool, version, refs, image_of(metadata), vex)
    return ImportedReport(
        format=FORMAT, tool=tool, tool_version=version, scope=scope,
        findings=guarded(source, _vulns(doc, mapper, errors)), generated_at=parse_time(metadata.get("timestamp")),
        components=comps, kind=ReportKind.SBOM, errors=errors, vex=vex,
    )


def _vulns(doc: Doc, mapper: VulnMapper, errors: ItemErrors) -> Iterator[Finding]:
    for i, raw in enumerate(doc.items("vulnerabilities.item", "vulnerability"), 1):
        yield from mapper.findings(raw, At(doc.source, "vulnerability", i, "vulnerabilities"), errors)
