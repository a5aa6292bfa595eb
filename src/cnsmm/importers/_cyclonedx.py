"""CycloneDX mapping shared by the JSON and XML readers (both give the JSON object shapes)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cnsmm.findings import Finding, Location, Severity
from cnsmm.importers._common import (
    as_dict,
    cwe_ids,
    fail,
    get_dict,
    get_list,
    get_str,
    image_repository,
    req_str,
    severity_from_label,
    severity_from_score,
    slug,
    unique,
)
from cnsmm.importers.interface import Component

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


def components(items: list[Any], where: str) -> tuple[list[Component], dict[str, Component]]:
    """Flatten nested components; returns them and an index by ``bom-ref`` (and purl)."""
    out: list[Component] = []
    refs: dict[str, Component] = {}
    stack: list[tuple[Any, str]] = [(c, f"{where}, component #{i}") for i, c in enumerate(items, 1)]
    stack.reverse()
    while stack:
        raw, cwhere = stack.pop()
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
        out.append(comp)
        for key in (get_str(c, "bom-ref", cwhere), comp.purl):
            if key:
                refs.setdefault(key, comp)
        children = get_list(c, "components", cwhere)
        stack.extend(reversed([(ch, f"{cwhere}, component #{j}") for j, ch in enumerate(children, 1)]))
    return out, refs


class VulnMapper:
    """Maps ``vulnerabilities`` entries to one finding per affected component."""

    def __init__(self, tool: str, version: str | None, refs: dict[str, Component], image: str | None) -> None:
        self.tool = tool
        self.version = version
        self.refs = refs
        self.image = image

    def findings(self, raw: Any, where: str) -> Iterator[Finding]:
        """The findings of one vulnerability entry (none when its VEX state rules it out)."""
        v = as_dict(raw, where, "vulnerability")
        vid = req_str(v, "id", where)
        state = get_str(get_dict(v, "analysis", where), "state", where)
        if state in _NOT_A_FINDING:
            return
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
        for i, aff in enumerate(affects, 1):
            awhere = f"{where}, affects #{i}"
            ref = req_str(as_dict(aff, awhere), "ref", awhere)
            comp = self.refs.get(ref)
            if comp is None and not ref.startswith("urn:cdx:"):
                raise fail(awhere, f"ref {ref!r} names no component of this BOM")
            name = comp.name if comp else ref
            installed = comp.version if comp else None
            yield Finding(
                rule=vid, severity=severity, tool_severity=label, title=f"{vid} in {name}",
                message=f"{name} {installed or ''} is affected by {vid}".replace("  ", " "),
                description=description, fix=get_str(v, "recommendation", where),
                location=Location(image=self.image), tool=self.tool, tool_version=self.version,
                category="vulnerability", aliases=tuple(a for a in aliases if a != vid), cwe=cwes,
                component=name, installed_version=installed, references=refs,
            )

    @staticmethod
    def _rating(v: dict[str, Any], where: str) -> tuple[Severity, str | None]:
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
