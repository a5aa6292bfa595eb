"""CycloneDX mapping shared by the JSON and XML readers (both give the JSON object shapes)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cnsmm.findings import Finding, Location, Severity
from cnsmm.importers._common import (
    At,
    Where,
    as_dict,
    cwe_ids,
    fail,
    get_dict,
    get_list,
    get_str,
    image_repository,
    record,
    req_str,
    severity_from_label,
    severity_from_score,
    slug,
    unique,
)
from cnsmm.importers.interface import Component, ItemErrors, VexStatement

SPEC_VERSIONS = ("1.2", "1.3", "1.4", "1.5", "1.6")

SEVERITY = {
    "critical": Severity.CRITICAL,
    "high": Severity.HIGH,
    "medium": Severity.MEDIUM,
    "low": Severity.LOW,
    "info": Severity.INFO,
    "none": Severity.INFO,
    "unknown": Severity.INFO,
}

# VEX analysis states that mean "this component is not exposed": not a finding.
_NOT_A_FINDING = frozenset({"not_affected", "false_positive", "resolved", "resolved_with_pedigree"})

VEX_STATUS = {"not_affected": "not_affected", "false_positive": "not_affected", "resolved": "fixed",
              "resolved_with_pedigree": "fixed", "exploitable": "affected", "in_triage": "under_investigation"}
"""CycloneDX ``analysis.state`` -> VEX status applied to the project's findings."""


VERSIONS = ("CycloneDX 1.4, 1.5, 1.6 (vulnerabilities and VEX analysis); 1.2 and 1.3 with the "
            "vulnerability extension 1.0 (Grype, Dependency-Track) or as inventory")


def check_spec(spec: object, where: str) -> None:
    """Refuse spec versions this reader does not know."""
    if spec is None:
        raise fail(where, "missing specVersion")
    if str(spec) not in SPEC_VERSIONS:
        raise fail(where, f"unsupported CycloneDX specVersion (got {spec!r}, expected one of "
                          f"{', '.join(SPEC_VERSIONS)})")


def tool_of(metadata: dict[str, Any], where: str) -> tuple[str, str | None]:
    """(name, version) of the first tool in ``metadata.tools`` (array in 1.4, object in 1.5+)."""
    tools = metadata.get("tools")
    entries: list[Any] = []
    if isinstance(tools, list):
        entries = tools
    elif isinstance(tools, dict):
        entries = get_list(tools, "components", where) + get_list(tools, "services", where)
    for entry in entries:
        if isinstance(entry, dict) and (name := get_str(entry, "name", where)):
            return slug(name), get_str(entry, "version", where)
    return "cyclonedx", None


def scope_of(metadata: dict[str, Any], source_name: str, where: str) -> str:
    """``sbom:`` and the described component: an image repository for containers, else its
    name. The prefix keeps an SBOM from closing the findings of the same tool's scan report
    (Trivy's CycloneDX output lacks the secrets and misconfigurations of its JSON report)."""
    comp = get_dict(metadata, "component", where)
    name = get_str(comp, "name", where)
    if not name:
        return f"sbom:{source_name}"
    if get_str(comp, "type", where) == "container":
        return f"sbom:image:{image_repository(name)}"
    group = get_str(comp, "group", where)
    return f"sbom:{get_str(comp, 'type', where) or 'component'}:{group + '/' if group else ''}{name}"


def image_of(metadata: dict[str, Any]) -> str | None:
    """The image reference when the BOM describes a container image."""
    comp = metadata.get("component")
    if isinstance(comp, dict) and comp.get("type") == "container" and isinstance(comp.get("name"), str):
        name: str = comp["name"]
        version = comp.get("version")
        if isinstance(version, str) and version and ":" not in name.rsplit("/", 1)[-1]:
            return f"{name}@{version}" if version.startswith("sha256:") else f"{name}:{version}"
        return name
    return None


def components(items: list[Any], where: str,
               errors: ItemErrors | None = None) -> tuple[list[Component], dict[str, Component]]:
    """Flatten nested components; returns them and an index by ``bom-ref`` (and purl). A
    malformed component is recorded in ``errors`` and skipped (raised without ``errors``)."""
    out: list[Component] = []
    refs: dict[str, Component] = {}
    stack: list[tuple[Any, At]] = [(c, At(where, "component", i, "components")) for i, c in enumerate(items, 1)]
    stack.reverse()
    while stack:
        raw, cwhere = stack.pop()
        try:
            c, comp = _component(raw, cwhere)
        except Exception as exc:
            if errors is None:
                raise
            record(errors, cwhere, exc)
            continue
        out.append(comp)
        for key in (get_str(c, "bom-ref", cwhere), comp.purl):
            if key:
                refs.setdefault(key, comp)
        children = get_list(c, "components", cwhere)
        stack.extend(reversed([(ch, At(cwhere, "component", j, "components")) for j, ch in enumerate(children, 1)]))
    return out, refs


def _component(raw: Any, cwhere: At) -> tuple[dict[str, Any], Component]:
    c = as_dict(raw, cwhere, "component")
    licenses: list[str] = []
    for lic in get_list(c, "licenses", cwhere):
        if isinstance(lic, dict):
            inner = lic.get("license")
            if isinstance(inner, dict):
                licenses.append(get_str(inner, "id", cwhere) or get_str(inner, "name", cwhere) or "")
            licenses.append(get_str(lic, "expression", cwhere) or "")
    comp = Component(name=req_str(c, "name", cwhere), version=get_str(c, "version", cwhere),
                     purl=get_str(c, "purl", cwhere), type=get_str(c, "type", cwhere),
                     licenses=unique(licenses))
    get_list(c, "components", cwhere)
    return c, comp


class VulnMapper:
    """Maps ``vulnerabilities`` entries to one finding per affected component."""

    def __init__(self, tool: str, version: str | None, refs: dict[str, Component], image: str | None,
                 vex: list[VexStatement] | None = None) -> None:
        self.tool = tool
        self.version = version
        self.refs = refs
        self.image = image
        self.vex = vex if vex is not None else []
        """The VEX statements of the ``analysis`` entries read so far."""

    def findings(self, raw: Any, where: Where, errors: ItemErrors) -> Iterator[Finding]:
        """The findings of one vulnerability entry (none when its VEX state rules it out); an
        ``affects`` entry that names no component is recorded in ``errors`` and skipped."""
        try:
            v, common = self._common(raw, where)
        except Exception as exc:
            record(errors, where, exc)
            return
        if v is None:
            return
        for i, aff in enumerate(common.pop("affects"), 1):
            awhere = At(where, "affects", i, "affects")
            try:
                found = self._affected(aff, awhere, common)
            except Exception as exc:
                record(errors, awhere, exc)
                continue
            yield found

    def _common(self, raw: Any, where: Where) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        v = as_dict(raw, where, "vulnerability")
        vid = req_str(v, "id", where)
        analysis = get_dict(v, "analysis", where)
        state = get_str(analysis, "state", where)
        if state in VEX_STATUS:
            self._statement(v, vid, state, analysis, where)
        if state in _NOT_A_FINDING:
            return None, {}
        severity, label = self._rating(v, where)
        aliases = unique([get_str(r, "id", where) or "" for r in get_list(v, "references", where)
                          if isinstance(r, dict)])
        cwes = cwe_ids([str(c) for c in get_list(v, "cwes", where)])
        src = get_dict(v, "source", where)
        refs = unique([get_str(src, "url", where) or ""] + [
            get_str(a, "url", where) or "" for a in get_list(v, "advisories", where) if isinstance(a, dict)])
        description = get_str(v, "description", where) or get_str(v, "detail", where)
        affects = get_list(v, "affects", where)
        if not affects:
            raise fail(where, "missing affects (which component has this vulnerability?)")
        return v, {"vid": vid, "severity": severity, "label": label, "aliases": tuple(a for a in aliases if a != vid),
                   "cwe": cwes, "refs": refs, "description": description,
                   "fix": get_str(v, "recommendation", where), "affects": affects}

    def _statement(self, v: dict[str, Any], vid: str, state: str, analysis: dict[str, Any], where: Where) -> None:
        """Record the VEX statement of an ``analysis``: its products are the affected
        components' purls (or names), or the part after ``#`` of a BOM-Link."""
        products: list[str] = []
        for aff in get_list(v, "affects", where):
            ref = aff.get("ref") if isinstance(aff, dict) else None
            if not isinstance(ref, str) or not ref:
                continue
            comp = self.refs.get(ref)
            if comp is not None:
                products.append(comp.purl or (f"{comp.name}@{comp.version}" if comp.version else comp.name))
            elif ref.startswith("urn:cdx:") and "#" in ref:
                products.append(ref.split("#", 1)[1])
            else:
                products.append(ref)
        aliases = unique([get_str(r, "id", where) or "" for r in get_list(v, "references", where)
                          if isinstance(r, dict)])
        responses = [r for r in get_list(analysis, "response", where) if isinstance(r, str)]
        detail = get_str(analysis, "detail", where)
        if responses:
            detail = f"{detail} (response: {', '.join(responses)})" if detail else f"response: {', '.join(responses)}"
        self.vex.append(VexStatement(
            vulnerability=vid, status=VEX_STATUS[state], aliases=tuple(a for a in aliases if a != vid),
            products=tuple(dict.fromkeys(products)), justification=get_str(analysis, "justification", where),
            detail=detail, original=state if state != VEX_STATUS[state] else None))

    def _affected(self, aff: Any, awhere: Where, c: dict[str, Any]) -> Finding:
        ref = req_str(as_dict(aff, awhere), "ref", awhere)
        comp = self.refs.get(ref)
        if comp is None and not ref.startswith("urn:cdx:"):
            raise fail(awhere, f"ref {ref!r} names no component of this BOM")
        name = comp.name if comp else ref
        installed = comp.version if comp else None
        vid = c["vid"]
        return Finding(
            rule=vid, severity=c["severity"], tool_severity=c["label"], title=f"{vid} in {name}",
            message=f"{name} {installed or ''} is affected by {vid}".replace("  ", " "),
            description=c["description"], fix=c["fix"],
            location=Location(image=self.image), tool=self.tool, tool_version=self.version,
            category="vulnerability", aliases=c["aliases"], cwe=c["cwe"],
            component=name, installed_version=installed, references=c["refs"],
        )

    @staticmethod
    def _rating(v: dict[str, Any], where: Where) -> tuple[Severity, str | None]:
        """The most severe rating: its severity label, else its score."""
        best: tuple[Severity, str | None] | None = None
        for i, raw in enumerate(get_list(v, "ratings", where), 1):
            r = as_dict(raw, f"{where}, rating #{i}", "rating")
            label = get_str(r, "severity", where)
            if label:
                sev = severity_from_label(label, SEVERITY, Severity.INFO)
            elif isinstance(r.get("score"), int | float) and not isinstance(r.get("score"), bool):
                sev = severity_from_score(float(r["score"]))
                label = str(r["score"])
            else:
                continue
            if best is None or sev.rank > best[0].rank:
                best = (sev, label)
        return best or (Severity.INFO, None)
