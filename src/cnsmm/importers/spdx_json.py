"""SPDX 2.2 and 2.3 JSON documents (``syft -o spdx-json``, ``trivy --format spdx-json``, GitHub's
dependency-graph SBOM export): the packages become the report's inventory
(``ImportedReport.components``), as a CycloneDX SBOM's components do; SPDX 2.x carries no
vulnerabilities, so there are no findings. Packages stream one at a time; the inventory is held
in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from cnsmm.findings import Finding
from cnsmm.importers._common import (
    PROJECT,
    At,
    as_dict,
    fail,
    get_list,
    get_str,
    image_repository,
    parse_time,
    record,
    req_str,
    slug,
)
from cnsmm.importers._jsonio import Doc, event_kind
from cnsmm.importers.interface import Component, ImportedReport, ItemErrors
from cnsmm.vocab import ReportKind

FORMAT = "spdx-json"
VERSIONS = "SPDX 2.2 and 2.3 JSON (spdxVersion SPDX-2.2 / SPDX-2.3); SPDX 3.0 JSON-LD is refused"

_HEAD = frozenset({"spdxVersion", "SPDXID", "name", "documentNamespace", "creationInfo", "documentDescribes"})
_BIG = frozenset({"packages", "files", "relationships", "snippets", "hasExtractedLicensingInfos", "annotations"})
_READ = ("SPDX-2.2", "SPDX-2.3")
_NO_ASSERTION = frozenset({"NOASSERTION", "NONE"})


def sniff(head: bytes) -> bool:
    """SPDX JSON: ``spdxVersion`` and ``SPDXRef-DOCUMENT``."""
    return b'"spdxVersion"' in head and b"SPDXRef-DOCUMENT" in head


def parse(stream: IO[bytes], *, source: str) -> ImportedReport:
    """Parse an SPDX JSON document into an inventory; envelope errors raise here, a bad package is an item error."""
    doc = Doc(stream, source)
    head = doc.head("", _HEAD, _BIG)
    if head.stopped_at is not None:  # keys written after the packages (tools sort keys differently)
        for key in ("spdxVersion", "creationInfo", "name", "documentDescribes"):
            if key not in head.values:
                head.values[key] = doc.first(key)
    values = head.values
    version = values.get("spdxVersion")
    if version not in _READ:
        raise fail(source, f"unsupported spdxVersion (got {version!r}, expected one of {', '.join(_READ)})",
                   hint="Write the SBOM as SPDX 2.3 JSON (syft -o spdx-json, trivy --format spdx-json)")
    info = as_dict(values.get("creationInfo") or {}, source, "creationInfo")
    tool, tool_version = _tool(info)
    errors = ItemErrors()
    described = {x for x in get_list(values, "documentDescribes", source) if isinstance(x, str)}
    for rel in doc.items("relationships.item", "relationship"):
        if (isinstance(rel, dict) and rel.get("relationshipType") == "DESCRIBES"
                and rel.get("spdxElementId") == "SPDXRef-DOCUMENT" and isinstance(rel.get("relatedSpdxElement"), str)):
            described.add(rel["relatedSpdxElement"])
    comps: list[Component] = []
    subject: dict[str, Any] | None = None
    if head.stopped_at == "packages" and head.stop_event not in ("start_array", "null"):
        raise fail(source, f"packages must be an array (got {event_kind(head.stop_event)})")
    for i, raw in enumerate(doc.items("packages.item", "package"), 1):
        at = At(source, "package", i, "packages")
        try:
            pkg = as_dict(raw, at, "package")
            comp = _component(pkg, at)
        except Exception as exc:
            record(errors, at, exc)
            continue
        sid = pkg.get("SPDXID")
        if isinstance(sid, str) and sid in described and subject is None:
            subject = pkg
        else:
            comps.append(comp)
    return ImportedReport(
        format=FORMAT, tool=tool, tool_version=tool_version, scope=_scope(subject, get_str(values, "name", source)),
        findings=_none(), generated_at=parse_time(info.get("created")), components=comps, kind=ReportKind.SBOM,
        errors=errors,
    )


def _none() -> Iterator[Finding]:
    return iter(())


def _tool(info: dict[str, Any]) -> tuple[str, str | None]:
    """The first ``Tool: name-version`` creator (``Tool: syft-1.18.1``, ``Tool: trivy-0.57.0``)."""
    creators = info.get("creators")
    for creator in creators if isinstance(creators, list) else []:
        if isinstance(creator, str) and creator.startswith("Tool:"):
            text = creator[5:].strip()
            name, _, version = text.rpartition("-")
            if name and version.lstrip("v")[:1].isdigit():
                return slug(name), version
            return slug(text), None
    return "spdx", None


def _component(pkg: dict[str, Any], at: At) -> Component:
    name = req_str(pkg, "name", at)
    version = get_str(pkg, "versionInfo", at)
    purl = None
    types = None
    for j, raw in enumerate(get_list(pkg, "externalRefs", at), 1):
        ref = as_dict(raw, At(at, "external ref", j, "externalRefs"), "external ref")
        if get_str(ref, "referenceType", at) == "purl":
            purl = get_str(ref, "referenceLocator", at)
            if purl and purl.startswith("pkg:"):
                types = purl[4:].split("/", 1)[0]
            break
    if purl and ":" in name:  # GitHub's export names packages "npm:lodash"
        bare = purl.split("?", 1)[0].split("@", 1)[0].rsplit("/", 1)[-1]
        if name.split(":", 1)[1].lower() == bare.lower():
            name = name.split(":", 1)[1]
    licenses = tuple(x for key in ("licenseConcluded", "licenseDeclared")
                     if (x := get_str(pkg, key, at)) and x not in _NO_ASSERTION)
    return Component(name=name, version=version if version not in _NO_ASSERTION else None, purl=purl,
                     type=types or (get_str(pkg, "primaryPackagePurpose", at) or "").lower() or None,
                     licenses=tuple(dict.fromkeys(licenses)))


def _scope(subject: dict[str, Any] | None, doc_name: str | None) -> str:
    """``sbom:image:<repository>`` for a container, ``sbom:<purpose>:<name>`` for another
    described package, else ``sbom:<document name>`` (never the file name)."""
    if subject is not None:
        name = subject.get("name")
        purpose = str(subject.get("primaryPackagePurpose") or "").lower()
        ext = subject.get("externalRefs")
        refs = [r.get("referenceLocator") for r in (ext if isinstance(ext, list) else []) if isinstance(r, dict)]
        if isinstance(name, str) and name:
            if purpose == "container" or any(isinstance(r, str) and r.startswith(("pkg:oci/", "pkg:docker/"))
                                             for r in refs):
                return f"sbom:image:{image_repository(name)}"
            return f"sbom:{purpose or 'component'}:{name}"
    return f"sbom:{doc_name}" if doc_name else f"sbom:{PROJECT}"
