"""kubescape JSON reports (``kubescape scan --format json``, format version v2).

One finding per failed control on a resource. Severity comes from the control's
``scoreFactor`` in ``summaryDetails``. Loaded whole (limit: 256 MiB).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from cnsmm.findings import Finding, Location, Severity
from cnsmm.importers._common import (
    PROJECT,
    At,
    Where,
    as_dict,
    fail,
    get_dict,
    get_list,
    get_str,
    guarded,
    parse_time,
    record,
    req_str,
    severity_from_label,
)
from cnsmm.importers._jsonio import load_small
from cnsmm.importers.interface import ImportedReport, ItemErrors
from cnsmm.vocab import ReportKind

FORMAT = "kubescape-json"

_LABELS = {"critical": Severity.CRITICAL, "high": Severity.HIGH, "medium": Severity.MEDIUM, "low": Severity.LOW}


VERSIONS = "kubescape 2.x and 3.x JSON (format v2)"


def sniff(head: bytes) -> bool:
    """kubescape JSON: ``summaryDetails`` or results of ``controlID``s per ``resourceID``; also the
    v1 layout (framework reports with ``controlReports``), to refuse it by name."""
    return (b'"summaryDetails"' in head or (b'"resourceID"' in head and b'"controlID"' in head)
            or (b'"controlReports"' in head and b'"ruleReports"' in head))


def severity_of(score_factor: float) -> Severity:
    """kubescape's scale: 9-10 critical, 7-8 high, 4-6 medium, 1-3 low, 0 info."""
    if score_factor >= 9:
        return Severity.CRITICAL
    if score_factor >= 7:
        return Severity.HIGH
    if score_factor >= 4:
        return Severity.MEDIUM
    return Severity.LOW if score_factor > 0 else Severity.INFO


def parse(stream: IO[bytes], *, source: str) -> ImportedReport:
    """Parse a kubescape JSON report (whole document; structure errors raise here)."""
    raw_doc = load_small(stream, source)
    first = raw_doc[0] if isinstance(raw_doc, list) and raw_doc else raw_doc
    if isinstance(first, dict) and "controlReports" in first:
        raise fail(source, "kubescape JSON format v1 (framework reports with controlReports) is not read "
                   f"(expected {VERSIONS})", hint="Re-run kubescape with --format json --format-version v2")
    doc = as_dict(raw_doc, source, "the report")
    if "results" not in doc and "summaryDetails" not in doc:
        raise fail(source, "missing results (kubescape --format json writes results per resource)")
    controls = get_dict(get_dict(doc, "summaryDetails", source), "controls", source)
    resources: dict[str, dict[str, Any]] = {}
    for raw in get_list(doc, "resources", source):
        if isinstance(raw, dict) and isinstance(raw.get("resourceID"), str):
            resources[raw["resourceID"]] = raw
    results = get_list(doc, "results", source)
    errors = ItemErrors()
    meta = get_dict(doc, "metadata", source)
    scan = get_dict(meta, "scanMetadata", source)
    version = get_str(scan, "kubescapeVersion", source)
    cluster = get_str(doc, "clusterName", source)
    git = get_dict(get_dict(meta, "targetMetadata", source), "gitRepoContextMetadata", source)
    target = cluster or get_str(git, "repo", source) or PROJECT
    return ImportedReport(
        format=FORMAT, tool="kubescape", tool_version=version, scope=f"{'cluster' if cluster else 'files'}:{target}",
        findings=guarded(source, _findings(results, resources, controls, version, source, errors)),
        generated_at=parse_time(doc.get("generationTime")),
        kind=ReportKind.COMPLIANCE if cluster else ReportKind.IAC_SCAN,
        errors=errors,
    )


def resource_name(resource_id: str, obj: dict[str, Any]) -> str:
    """``Kind/namespace/name`` from the resource object, else from the resource id
    (``apps/v1/default/Deployment/web`` or ``path=.../api=apps/v1//Deployment/web``)."""
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    kind, name = obj.get("kind"), (meta or {}).get("name") or obj.get("name")
    ns = (meta or {}).get("namespace") or obj.get("namespace")
    if not (isinstance(kind, str) and isinstance(name, str)):
        parts = resource_id.split("/api=", 1)[-1].split("/")
        kind, name = (parts[-2], parts[-1]) if len(parts) >= 2 else ("Object", resource_id)
        ns = parts[-3] if len(parts) >= 3 else None
    return f"{kind}/{ns}/{name}" if isinstance(ns, str) and ns else f"{kind}/{name}"


def _findings(results: list[Any], resources: dict[str, dict[str, Any]], controls: dict[str, Any],
              version: str | None, source: str, errors: ItemErrors) -> Iterator[Finding]:
    for i, raw_result in enumerate(results, 1):
        where = At(source, "result", i, "results")
        try:
            result = as_dict(raw_result, where, "result")
            rid = req_str(result, "resourceID", where)
            res = resources.get(rid, {})
            obj = get_dict(res, "object", where)
            resource = resource_name(rid, obj)
            src = get_dict(res, "source", where)
            file = get_str(src, "relativePath", where)
            entries = get_list(result, "controls", where)
        except Exception as exc:
            record(errors, where, exc)
            continue
        for j, raw in enumerate(entries, 1):
            cwhere = At(where, "control", j, "controls")
            try:
                found = _control(raw, cwhere, controls, resource, file, version)
            except Exception as exc:
                record(errors, cwhere, exc)
                continue
            if found is not None:
                yield found


def _control(raw: Any, cwhere: At, controls: dict[str, Any], resource: str, file: str | None,
             version: str | None) -> Finding | None:
    control = as_dict(raw, cwhere, "control")
    if not _failed(control, cwhere):
        return None
    cid = req_str(control, "controlID", cwhere)
    summary = controls.get(cid) if isinstance(controls.get(cid), dict) else {}
    factor = summary.get("scoreFactor") if isinstance(summary, dict) else None
    label = summary.get("severity") if isinstance(summary, dict) else None
    own = control.get("severity")  # some releases grade the control where it failed instead
    if factor is None and label is None and isinstance(own, dict):
        factor, label = own.get("scoreFactor"), own.get("severity")
    elif factor is None and label is None and isinstance(own, str):
        label = own
    if isinstance(factor, int | float) and not isinstance(factor, bool):
        sev = severity_of(float(factor))
    elif isinstance(label, str):  # some releases name the severity instead
        sev = severity_from_label(label, _LABELS, Severity.MEDIUM)
        factor = label
    else:
        sev = Severity.MEDIUM
    name = get_str(control, "name", cwhere) or cid
    paths = _paths(control, cwhere)
    shown = factor if isinstance(factor, str) or factor is None else f"scoreFactor {factor}"
    return Finding(
        rule=cid, severity=sev, tool_severity=shown,
        title=name,
        message=f"{resource} fails {cid} {name}" + (f" at {', '.join(paths[:5])}" if paths else ""),
        description=get_str(summary, "description", cwhere) if isinstance(summary, dict) else None,
        fix=get_str(summary, "remediation", cwhere) if isinstance(summary, dict) else None,
        location=Location(file=file, resource=resource), tool="kubescape", tool_version=version,
        category="misconfiguration", references=(f"https://hub.armosec.io/docs/{cid.lower()}",),
    )


def _failed(control: dict[str, Any], where: Where) -> bool:
    status = control.get("status")
    if isinstance(status, dict) and status.get("status") is not None:
        return status.get("status") == "failed"
    if isinstance(status, str):
        return status == "failed"
    rules = get_list(control, "rules", where)  # old reports: status only per rule
    return any(isinstance(r, dict) and r.get("status") == "failed" for r in rules)


def _paths(control: dict[str, Any], where: Where) -> list[str]:
    out: list[str] = []
    for rule in get_list(control, "rules", where):
        for p in get_list(rule, "paths", where) if isinstance(rule, dict) else []:
            if not isinstance(p, dict):
                continue
            for key in ("failedPath", "reviewPath", "deletePath"):
                if isinstance(p.get(key), str) and p[key]:
                    out.append(p[key])
            fix = p.get("fixPath")
            if isinstance(fix, dict) and isinstance(fix.get("path"), str):
                out.append(fix["path"])
    return list(dict.fromkeys(out))
