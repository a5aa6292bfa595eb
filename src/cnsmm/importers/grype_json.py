"""Grype JSON reports (``grype IMAGE|dir:PATH|sbom:FILE -o json``).

Grype writes ``matches`` first and ``source`` / ``descriptor`` after them; those are read
from the end of the file (or, failing that, by a full pass) before the matches stream.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from cnsmm.findings import Finding, Location, Severity
from cnsmm.importers._common import (
    At,
    Where,
    as_dict,
    fail,
    get_dict,
    get_list,
    get_str,
    guarded,
    image_repository,
    parse_time,
    record,
    req_str,
    severity_from_label,
    str_tuple,
    unique,
)
from cnsmm.importers._jsonio import Doc, event_kind
from cnsmm.importers.interface import ImportedReport, ItemErrors
from cnsmm.vocab import ReportKind

FORMAT = "grype-json"

SEVERITY = {
    "critical": Severity.CRITICAL,
    "high": Severity.HIGH,
    "medium": Severity.MEDIUM,
    "low": Severity.LOW,
    "negligible": Severity.INFO,
    "unknown": Severity.INFO,
}

_TRAILER = frozenset({"source", "descriptor"})
_OS_TYPES = frozenset({"deb", "rpm", "apk", "alpm", "portage"})


VERSIONS = "Grype 0.60 and later (samples follow 0.84)"


def sniff(head: bytes) -> bool:
    """Grype JSON: a ``matches`` array of ``vulnerability``/``artifact`` pairs, or an empty one
    followed by Grype's ``descriptor``."""
    if b'"matches"' not in head:
        return False
    return (b'"matchDetails"' in head and b'"artifact"' in head) or b'"grype"' in head


def parse(stream: IO[bytes], *, source: str) -> ImportedReport:
    """Parse a Grype JSON report; header errors raise here, match errors while iterating."""
    doc = Doc(stream, source)
    errors = ItemErrors()
    head = doc.head("", _TRAILER, frozenset({"matches", "ignoredMatches"}))
    if not head.found:
        raise fail(source, "the file is empty")
    values = head.values
    if head.stopped_at is not None and head.stop_event not in ("start_array", "null"):  # Go writes nil slices as null
        raise fail(source, f"{head.stopped_at} must be an array (got {event_kind(head.stop_event)})")
    if head.stopped_at is not None and not values.keys() >= _TRAILER:
        values.update(doc.tail(_TRAILER) or {})
        for key in _TRAILER - values.keys():
            values[key] = doc.first(key)
    descriptor = as_dict(values.get("descriptor") or {}, source, "descriptor")
    name = get_str(descriptor, "name", source)
    if name is not None and name != "grype":
        raise fail(source, f"descriptor.name is {name!r}, expected 'grype'")
    if head.stopped_at is None and not values:
        # No matches, no descriptor, no source: not a Grype report (a Trivy report forced as
        # grype-json used to pass as an empty scan).
        raise fail(source, "not a Grype report (no matches, descriptor or source)",
                   hint="Check the file, or let cnsmm detect its format (drop --format)")
    src = as_dict(values.get("source") or {}, source, "source")
    src_type = get_str(src, "type", source) or "unknown"
    target = src.get("target")
    if isinstance(target, dict):
        target_name = get_str(target, "userInput", source) or get_str(target, "imageID", source) or "?"
    else:
        target_name = get_str(src, "target", source) or "?"
    image = target_name if src_type == "image" else None
    scope = f"image:{image_repository(target_name)}" if image else f"{src_type}:{target_name}"
    version = get_str(descriptor, "version", source)
    return ImportedReport(
        format=FORMAT, tool="grype", tool_version=version, scope=scope,
        findings=guarded(source, _matches(doc, version, image, errors)),
        generated_at=parse_time(descriptor.get("timestamp")),
        kind=ReportKind.IMAGE_SCAN if image else ReportKind.SCA, errors=errors,
    )


def _matches(doc: Doc, version: str | None, image: str | None, errors: ItemErrors) -> Iterator[Finding]:
    for i, match in enumerate(doc.items("matches.item", "match"), 1):
        where = At(doc.source, "match", i, "matches")
        try:
            found = _match(as_dict(match, where), where, version, image)
        except Exception as exc:
            record(errors, where, exc)
            continue
        yield found


def _match(match: dict[str, Any], where: Where, version: str | None, image: str | None) -> Finding:
    vuln = get_dict(match, "vulnerability", where)
    if not vuln:
        raise fail(where, "missing vulnerability")
    vid = req_str(vuln, "id", where)
    art = get_dict(match, "artifact", where)
    if not art:
        raise fail(where, "missing artifact")
    pkg = req_str(art, "name", where)
    installed = get_str(art, "version", where)
    label = get_str(vuln, "severity", where)
    fix = get_dict(vuln, "fix", where)
    fixed_versions = str_tuple(fix, "versions", where)
    fixed = fixed_versions[0] if fixed_versions and get_str(fix, "state", where) == "fixed" else None
    related = get_list(match, "relatedVulnerabilities", where)
    aliases: list[str] = []
    description = get_str(vuln, "description", where)
    for j, raw in enumerate(related, 1):
        rel = as_dict(raw, At(where, "related vulnerability", j, "relatedVulnerabilities"))
        rid = get_str(rel, "id", where)
        if rid and rid != vid:
            aliases.append(rid)
        description = description or get_str(rel, "description", where)
    location = get_list(art, "locations", where)
    first = as_dict(location[0], At(where, "artifact location", 1, "artifact/locations")) if location else {}
    message = f"{pkg} {installed or ''} is affected by {vid}".replace("  ", " ")
    if fixed:
        message += f"; fixed in {fixed}"
    return Finding(
        rule=vid, severity=severity_from_label(label, SEVERITY, Severity.INFO), tool_severity=label,
        title=f"{vid} in {pkg}", message=message, description=description,
        # OS packages live in the package database, not in a file of their own (as Trivy reports them).
        location=Location(file=None if get_str(art, "type", where) in _OS_TYPES else get_str(first, "path", where),
                          image=image, layer=get_str(first, "layerID", where)),
        tool="grype", tool_version=version, category="vulnerability", aliases=unique(aliases),
        component=pkg, installed_version=installed, fixed_version=fixed,
        fix=f"Upgrade {pkg} to {fixed}." if fixed else None,
        references=unique([get_str(vuln, "dataSource", where) or "", *str_tuple(vuln, "urls", where)]),
    )
