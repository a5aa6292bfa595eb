"""Trivy JSON reports (``trivy image|fs|repo|config|k8s --format json``), SchemaVersion 2.

Streams one ``Results`` item (one target: an OS package database, a lock file, a manifest)
or one Kubernetes resource at a time. Secret values (``Match``, ``Code``) are never read
into findings.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import IO, Any

from cnsmm.findings import Finding, Location, Severity
from cnsmm.importers._common import (
    PROJECT,
    At,
    Where,
    as_dict,
    cwe_ids,
    fail,
    get_dict,
    get_int,
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

FORMAT = "trivy-json"

SEVERITY = {
    "critical": Severity.CRITICAL,
    "high": Severity.HIGH,
    "medium": Severity.MEDIUM,
    "low": Severity.LOW,
    "unknown": Severity.INFO,
}

_HEAD = frozenset({"SchemaVersion", "CreatedAt", "ArtifactName", "ArtifactType", "Trivy", "ClusterName"})
_BIG = frozenset({"Results", "Resources", "Findings", "Vulnerabilities", "Misconfigurations"})


VERSIONS = ("SchemaVersion 2 (Trivy 0.20+); trivy k8s reports (0.30+: Resources of --report all, Findings of "
            "--report summary, the older split lists); the bare results array of Trivy before 0.20")


def sniff(head: bytes) -> bool:
    """Trivy JSON: ``SchemaVersion`` with ``ArtifactName``/``Results``, a ``trivy k8s`` report
    (``Resources`` of ``--report all``, ``Findings`` of ``--report summary``, or the older
    ``Vulnerabilities``/``Misconfigurations`` lists), or the bare array of results that Trivy
    wrote before 0.20."""
    if b'"SchemaVersion"' in head and (b'"ArtifactName"' in head or b'"Results"' in head):
        return True
    if b'"ClusterName"' in head and (b'"Resources"' in head or b'"Findings"' in head or b'"Vulnerabilities"' in head
                                     or b'"Misconfigurations"' in head):
        return True
    start = head.lstrip()[:200].replace(b" ", b"").replace(b"\n", b"").replace(b"\r", b"")
    return start.startswith(b'[{"Target":') and (b'"Vulnerabilities"' in head or b'"Type"' in head)


def parse(stream: IO[bytes], *, source: str) -> ImportedReport:
    """Parse a Trivy JSON report; header errors raise here, item errors while iterating."""
    doc = Doc(stream, source)
    errors = ItemErrors()
    if doc.first_event() == "start_array":
        return _legacy(doc, errors)
    head = doc.head("", _HEAD, _BIG)
    if not head.found:
        raise fail(source, "the file is empty")
    values = head.values
    if head.stopped_at is not None and not ({"ArtifactName", "ClusterName"} & values.keys()):
        for key in ("ArtifactName", "ClusterName", "Trivy", "SchemaVersion", "ArtifactType"):
            found = doc.first(key)
            if found is not None:
                values[key] = found
    if head.stopped_at is not None and "Trivy" not in values:
        values.update(doc.tail(frozenset({"Trivy"})) or {})
    if head.stopped_at is not None and not values.keys() & {"SchemaVersion", "ClusterName"}:
        # Keys in alphabetical order (a report passed through `jq -S`): SchemaVersion and Trivy
        # come after the results; read them from the end, else in a pass over the document.
        values.update(doc.tail(frozenset({"SchemaVersion", "Trivy"}), need_all=False) or {})
        if "SchemaVersion" not in values and (found := doc.first("SchemaVersion")) is not None:
            values["SchemaVersion"] = found
    if head.stopped_at is not None and head.stop_event not in ("start_array", "null"):  # Go writes nil slices as null
        raise fail(source, f"{head.stopped_at} must be an array (got {event_kind(head.stop_event)})")
    k8s = "ClusterName" in values and "ArtifactName" not in values
    if not k8s:
        version = values.get("SchemaVersion")
        if version != 2:
            raise fail(source, f"unsupported Trivy SchemaVersion (got {version!r}, expected 2)",
                       hint="Re-run the scan with Trivy 0.20 or later and `--format json`")
    trivy = values.get("Trivy")
    tool_version = get_str(trivy, "Version", source) if isinstance(trivy, dict) else None
    if k8s:
        cluster = get_str(values, "ClusterName", source) or "cluster"
        return ImportedReport(
            format=FORMAT, tool="trivy", tool_version=tool_version, scope=f"k8s:{cluster}",
            findings=guarded(source, _k8s_findings(doc, tool_version, head.stopped_at, errors)),
            generated_at=parse_time(values.get("CreatedAt")), kind=ReportKind.IMAGE_SCAN, errors=errors,
        )
    # An empty ArtifactName (trivy sbom, some CI wrappers) names no target: the file name does.
    artifact = get_str(values, "ArtifactName", source) or PROJECT
    artifact_type = get_str(values, "ArtifactType", source) or "filesystem"
    image = artifact if artifact_type == "container_image" and values.get("ArtifactName") else None
    results = doc.items("Results.item", "result")
    first = list(itertools.islice(results, 1))
    kind = ReportKind.IMAGE_SCAN if image else _kind_of(first)
    ctx = _Ctx(source, tool_version, image, None)
    items = itertools.chain(first, results)
    return ImportedReport(
        format=FORMAT, tool="trivy", tool_version=tool_version,
        scope=f"image:{image_repository(artifact)}" if image else f"{artifact_type}:{artifact}",
        findings=guarded(source, _results(items, ctx, source, errors)),
        generated_at=parse_time(values.get("CreatedAt")), kind=kind, errors=errors,
    )


def _legacy(doc: Doc, errors: ItemErrors) -> ImportedReport:
    """The bare array of results of Trivy before 0.20 (no SchemaVersion, no artifact name)."""
    results = doc.items("item", "result")
    first = list(itertools.islice(results, 1))
    target = get_str(first[0], "Target", doc.source) if first and isinstance(first[0], dict) else None
    image = target.split(" (", 1)[0] if target and " (" in target else None
    ctx = _Ctx(doc.source, None, image, None)
    return ImportedReport(
        format=FORMAT, tool="trivy", tool_version=None,
        scope=f"image:{image_repository(image)}" if image else f"filesystem:{PROJECT}",
        findings=guarded(doc.source, _results(itertools.chain(first, results), ctx, doc.source, errors, key="")),
        kind=ReportKind.IMAGE_SCAN if image else _kind_of(first), errors=errors,
    )


def _kind_of(first: list[Any]) -> str:
    if not first or not isinstance(first[0], dict):
        return ReportKind.SCA
    by_class = {"config": ReportKind.IAC_SCAN, "secret": ReportKind.SECRET_SCAN, "license": ReportKind.SCA}
    return by_class.get(str(first[0].get("Class")), ReportKind.SCA)


class _Ctx:
    __slots__ = ("image", "resource", "source", "tool_version")

    def __init__(self, source: str, tool_version: str | None, image: str | None, resource: str | None) -> None:
        self.source = source
        self.tool_version = tool_version
        self.image = image
        self.resource = resource


def _k8s_findings(doc: Doc, tool_version: str | None, first: str | None, errors: ItemErrors) -> Iterator[Finding]:
    # Resources[] (--report all), Findings[] (--report summary, the default: the same resources
    # with their results merged); releases before 0.4x split them into Vulnerabilities[] and
    # Misconfigurations[].
    shapes = [(first, "resource")] if first in ("Resources", "Findings") else [
        ("Vulnerabilities", "vulnerable resource"), ("Misconfigurations", "misconfigured resource")]
    for prefix, label in shapes:
        for i, raw in enumerate(doc.items(f"{prefix}.item", label), 1):
            where = At(doc.source, label, i, prefix)
            try:
                res = as_dict(raw, where)
                kind = get_str(res, "Kind", where) or "Object"
                name = get_str(res, "Name", where) or "?"
                ns = get_str(res, "Namespace", where)
                results = get_list(res, "Results", where)
            except Exception as exc:
                record(errors, where, exc)
                continue
            resource = f"{kind}/{ns}/{name}" if ns else f"{kind}/{name}"
            failed = res.get("Error")
            if isinstance(failed, str) and failed.strip():  # Trivy could not scan this resource
                record(errors, where, fail(where, f"Trivy could not scan {resource} ({failed.strip()[:300]})"))
            ctx = _Ctx(doc.source, tool_version, None, resource)
            yield from _results(results, ctx, where, errors)


_SECTIONS = (("Vulnerabilities", "vulnerability"), ("Misconfigurations", "misconfiguration"),
             ("Secrets", "secret"), ("Licenses", "license"))


def _results(items: Iterator[Any] | list[Any], ctx: _Ctx, parent: Where, errors: ItemErrors,
             key: str = "Results") -> Iterator[Finding]:
    for i, raw in enumerate(items, 1):
        where = At(parent, "result", i, key)
        try:
            result = as_dict(raw, where)
            target = get_str(result, "Target", where) or ""
            cls = get_str(result, "Class", where) or ""
            sections = [get_list(result, name, where) for name, _ in _SECTIONS]
        except Exception as exc:
            record(errors, where, exc)
            continue
        for (name, label), entries in zip(_SECTIONS, sections, strict=True):
            for j, entry in enumerate(entries, 1):
                at = At(where, label, j, name)
                try:
                    item = as_dict(entry, at)
                    if label == "vulnerability":
                        found: Finding | None = _vulnerability(item, target, cls, ctx, at)
                    elif label == "misconfiguration":
                        found = _misconfiguration(item, target, ctx, at)
                    elif label == "secret":
                        found = _secret(item, target, ctx, at)
                    else:
                        found = _license(item, target, cls, ctx, at)
                except Exception as exc:
                    record(errors, at, exc)
                    continue
                if found is not None:
                    yield found


def _image_of(target: str, ctx: _Ctx) -> str | None:
    if ctx.image:
        return ctx.image
    if ctx.resource and " (" in target:  # k8s: "nginx:1.25 (debian 12.4)"
        return target.split(" (", 1)[0]
    return None


def _vulnerability(v: dict[str, Any], target: str, cls: str, ctx: _Ctx, where: Where) -> Finding:
    vid = req_str(v, "VulnerabilityID", where)
    pkg = get_str(v, "PkgName", where) or get_str(v, "PkgID", where)
    installed = get_str(v, "InstalledVersion", where)
    fixed = get_str(v, "FixedVersion", where)
    label = get_str(v, "Severity", where)
    layer = get_dict(v, "Layer", where)
    refs = str_tuple(v, "References", where)
    primary = get_str(v, "PrimaryURL", where)
    file = get_str(v, "PkgPath", where) or (target if cls == "lang-pkgs" else None)
    message = f"{pkg} {installed or ''} is affected by {vid}".replace("  ", " ")
    if fixed:
        message += f"; fixed in {fixed}"
    return Finding(
        rule=vid, severity=severity_from_label(label, SEVERITY, Severity.INFO), tool_severity=label,
        title=get_str(v, "Title", where) or vid, message=message,
        description=get_str(v, "Description", where),
        location=Location(file=file, image=_image_of(target, ctx), resource=ctx.resource,
                          layer=get_str(layer, "DiffID", where) or get_str(layer, "Digest", where)),
        tool="trivy", tool_version=ctx.tool_version, category="vulnerability",
        aliases=tuple(a for a in str_tuple(v, "VendorIDs", where) if a != vid),
        cwe=cwe_ids(str_tuple(v, "CweIDs", where)), component=pkg, installed_version=installed,
        fixed_version=fixed, fix=f"Upgrade {pkg} to {fixed}." if fixed and pkg else None,
        references=unique([primary or "", *refs]),
    )


def _misconfiguration(m: dict[str, Any], target: str, ctx: _Ctx, where: Where) -> Finding | None:
    status = (get_str(m, "Status", where) or "FAIL").upper()
    if status != "FAIL":
        return None  # PASS and EXCEPTION entries (--include-non-failures) are not problems
    rid = get_str(m, "ID", where) or req_str(m, "AVDID", where)
    label = get_str(m, "Severity", where)
    cause = get_dict(m, "CauseMetadata", where)
    title = get_str(m, "Title", where) or rid
    return Finding(
        rule=rid, severity=severity_from_label(label, SEVERITY, Severity.INFO), tool_severity=label,
        title=title, message=get_str(m, "Message", where) or title,
        description=get_str(m, "Description", where), fix=get_str(m, "Resolution", where),
        # In `trivy k8s` reports the target is the resource itself, not a file.
        location=Location(file=None if ctx.resource else target or None,
                          line=None if ctx.resource else get_int(cause, "StartLine", where),
                          resource=ctx.resource, image=ctx.image),
        tool="trivy", tool_version=ctx.tool_version, category="misconfiguration",
        aliases=tuple(a for a in (get_str(m, "AVDID", where),) if a and a != rid),
        references=unique([get_str(m, "PrimaryURL", where) or "", *str_tuple(m, "References", where)]),
    )


def _secret(s: dict[str, Any], target: str, ctx: _Ctx, where: Where) -> Finding:
    rid = req_str(s, "RuleID", where)
    label = get_str(s, "Severity", where)
    title = get_str(s, "Title", where) or rid
    line = get_int(s, "StartLine", where)
    layer = get_dict(s, "Layer", where)
    shown = f"{target}:{line}" if line else target
    return Finding(
        rule=rid, severity=severity_from_label(label, SEVERITY, Severity.HIGH), tool_severity=label,
        title=title, message=f"{title} found in {shown} (value redacted)",
        location=Location(file=target or None, line=line, image=ctx.image, resource=ctx.resource,
                          layer=get_str(layer, "DiffID", where) or get_str(layer, "Digest", where)),
        tool="trivy", tool_version=ctx.tool_version, category="secret",
        fix="Revoke the credential, remove it from the file and its history, and load it from a secret store.",
    )


def _license(lic: dict[str, Any], target: str, cls: str, ctx: _Ctx, where: Where) -> Finding:
    name = req_str(lic, "Name", where)
    pkg = get_str(lic, "PkgName", where)
    label = get_str(lic, "Severity", where)
    # Package licenses (Class "license") have targets such as "OS Packages" or "Node.js", which
    # are not files; only license files (Class "license-file") name a file, in FilePath.
    path = get_str(lic, "FilePath", where) or (target if cls == "license-file" else None)
    what = f"{pkg} is licensed under {name}" if pkg else f"{path or target}: {name}"
    return Finding(
        rule=f"license:{name}", severity=severity_from_label(label, SEVERITY, Severity.INFO),
        tool_severity=label, title=f"License {name} ({get_str(lic, 'Category', where) or 'unknown'})",
        message=what, location=Location(file=path, image=ctx.image),
        tool="trivy", tool_version=ctx.tool_version, category="license", component=pkg,
        references=unique([get_str(lic, "Link", where) or ""]),
    )
