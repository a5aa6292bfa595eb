"""CycloneDX XML BOMs (spec 1.4 to 1.6), read with defusedxml and mapped like the JSON form.

XML BOMs are loaded whole (limit: 256 MiB); use the JSON form for larger BOMs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any
from xml.etree.ElementTree import Element

from cnsmm.findings import Finding
from cnsmm.importers import _cyclonedx
from cnsmm.importers._common import PROJECT, At, fail, guarded, parse_time
from cnsmm.importers._cyclonedx import VulnMapper, check_spec, components, image_of, scope_of, tool_of
from cnsmm.importers._xml import child, children, load_xml, local, text
from cnsmm.importers.interface import ImportedReport, ItemErrors, VexStatement
from cnsmm.vocab import ReportKind

FORMAT = "cyclonedx-xml"


VERSIONS = _cyclonedx.VERSIONS
_EXT = "cyclonedx.org/schema/ext/vulnerability/"


def sniff(head: bytes) -> bool:
    """CycloneDX XML: a ``bom`` element in the CycloneDX namespace."""
    return b"<bom" in head and b"cyclonedx.org/schema/bom" in head


def parse(stream: IO[bytes], *, source: str) -> ImportedReport:
    """Parse a CycloneDX XML BOM (whole document; errors raise here)."""
    root = load_xml(stream, source)
    if local(root.tag) != "bom" or "cyclonedx.org/schema/bom/" not in root.tag:
        raise fail(source, f"root element must be a CycloneDX <bom> (got <{local(root.tag)}>)")
    check_spec(root.tag.split("}", 1)[0].rsplit("/", 1)[-1], source)
    metadata = _metadata(child(root, "metadata"))
    errors = ItemErrors()
    ext: list[tuple[str, int, dict[str, Any]]] = []
    items = [_component(c, f"bom/components/component[{i}]", ext)
             for i, c in enumerate(children(child(root, "components"), "component"), 1)]
    comps, refs = components(items, source, errors)
    tool, version = tool_of(metadata, source)
    vex: list[VexStatement] = []
    mapper = VulnMapper(tool, version, refs, image_of(metadata), vex)
    vulns = [("bom/vulnerabilities/vulnerability", i, _vulnerability(v))
             for i, v in enumerate(children(child(root, "vulnerabilities"), "vulnerability"), 1)]
    # CycloneDX 1.2/1.3 with the vulnerability extension 1.0 (Grype, Dependency-Track): the
    # vulnerabilities sit in each component, or in a bom-level <v:vulnerabilities>.
    for i, v in enumerate(_ext_children(root), 1):
        ext.append(("bom/vulnerabilities/vulnerability", i, _ext_vulnerability(v, None)))

    def findings() -> Iterator[Finding]:
        for path, i, v in [*vulns, *ext]:
            yield from mapper.findings(v, At(source, "vulnerability", i, path, mode="xml"), errors)

    return ImportedReport(
        format=FORMAT, tool=tool, tool_version=version, scope=scope_of(metadata, PROJECT, source),
        findings=guarded(source, findings()), generated_at=parse_time(metadata.get("timestamp")),
        components=comps, kind=ReportKind.SBOM, errors=errors, vex=vex,
    )


def _ext_children(el: Element) -> list[Element]:
    """The extension's ``vulnerability`` elements under ``el``'s ``vulnerabilities`` child."""
    out: list[Element] = []
    for c in el:
        if local(c.tag) == "vulnerabilities" and _EXT in c.tag:
            out.extend(v for v in c if local(v.tag) == "vulnerability")
    return out


def _ext_vulnerability(el: Element, ref: str | None) -> dict[str, Any]:
    """A vulnerability of the extension 1.0 in the JSON shape of the 1.4+ spec."""
    ratings = []
    for r in children(child(el, "ratings"), "rating"):
        score = child(r, "score")
        ratings.append(_drop_none({"severity": text(r, "severity"),
                                   "score": _score(text(score, "base")) if score is not None else None}))
    source = child(el, "source")
    return _drop_none({
        "id": text(el, "id"),
        "source": _drop_none({"name": source.get("name"), "url": text(source, "url")}) if source is not None
        else None,
        "ratings": ratings,
        "cwes": [(c.text or "").strip() for c in children(child(el, "cwes"), "cwe")],
        "description": text(el, "description"),
        "recommendation": "; ".join((r.text or "").strip() for r in children(child(el, "recommendations"),
                                                                             "recommendation")) or None,
        "advisories": [{"url": (a.text or "").strip()} for a in children(child(el, "advisories"), "advisory")],
        "affects": [{"ref": el.get("ref") or ref}] if (el.get("ref") or ref) else [],
    })


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None and v != []}


def _metadata(el: Element | None) -> dict[str, Any]:
    if el is None:
        return {}
    tools_el = child(el, "tools")
    tools: Any = None
    if tools_el is not None:
        legacy = [_drop_none({"name": text(t, "name"), "version": text(t, "version")})
                  for t in children(tools_el, "tool")]
        modern = [_component(c, "", None) for c in children(child(tools_el, "components"), "component")]
        tools = legacy or {"components": modern}
    comp = child(el, "component")
    return _drop_none({"timestamp": text(el, "timestamp"), "tools": tools,
                       "component": _component(comp, "", None) if comp is not None else None})


def _component(el: Element, path: str, ext: list[tuple[str, int, dict[str, Any]]] | None) -> dict[str, Any]:
    """A component in the JSON shape; the extension's vulnerabilities in it go to ``ext``."""
    licenses: list[dict[str, Any]] = []
    for lic in children(child(el, "licenses"), "license"):
        licenses.append({"license": _drop_none({"id": text(lic, "id"), "name": text(lic, "name")})})
    for expr in children(child(el, "licenses"), "expression"):
        licenses.append({"expression": (expr.text or "").strip()})
    ref = el.get("bom-ref") or text(el, "purl")
    if ext is not None:
        if ref is None and _ext_children(el):
            ref = f"urn:cnsmm:{path}"
        for i, v in enumerate(_ext_children(el), 1):
            ext.append((f"{path}/vulnerabilities/vulnerability", i, _ext_vulnerability(v, ref)))
    return _drop_none({
        "type": el.get("type"), "bom-ref": ref, "name": text(el, "name"),
        "group": text(el, "group"), "version": text(el, "version"), "purl": text(el, "purl"),
        "licenses": licenses,
        "components": [_component(c, f"{path}/components/component[{i}]", ext)
                       for i, c in enumerate(children(child(el, "components"), "component"), 1)],
    })


def _score(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _vulnerability(el: Element) -> dict[str, Any]:
    source = child(el, "source")
    return _drop_none({
        "id": text(el, "id"),
        "source": _drop_none({"name": text(source, "name"), "url": text(source, "url")}) if source is not None
        else None,
        "references": [_drop_none({"id": text(r, "id")}) for r in children(child(el, "references"), "reference")],
        "ratings": [_drop_none({"severity": text(r, "severity"), "score": _score(text(r, "score")),
                                "method": text(r, "method")})
                    for r in children(child(el, "ratings"), "rating")],
        "cwes": [(c.text or "").strip() for c in children(child(el, "cwes"), "cwe")],
        "description": text(el, "description"), "detail": text(el, "detail"),
        "recommendation": text(el, "recommendation"),
        "advisories": [_drop_none({"url": text(a, "url")}) for a in children(child(el, "advisories"), "advisory")],
        "analysis": _drop_none({"state": text(child(el, "analysis"), "state")}) if child(el, "analysis") is not None
        else None,
        "affects": [_drop_none({"ref": text(t, "ref")}) for t in children(child(el, "affects"), "target")],
    })
