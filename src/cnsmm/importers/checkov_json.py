"""Checkov JSON reports (``checkov -o json``): one object per framework, or a list of them.

Failed checks become findings; passed and skipped checks do not. Loaded whole.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import IO, Any

from cnsmm.findings import Finding, Location, Severity
from cnsmm.importers._common import (
    PROJECT,
    At,
    Where,
    as_dict,
    cwe_ids,
    each,
    fail,
    get_dict,
    get_list,
    get_str,
    guarded,
    req_str,
    severity_from_label,
    unique,
)
from cnsmm.importers._jsonio import load_small
from cnsmm.importers.assigned_severity import assign
from cnsmm.importers.interface import ImportedReport, ItemError, ItemErrors
from cnsmm.vocab import ReportKind

FORMAT = "checkov-json"

SEVERITY = {
    "critical": Severity.CRITICAL,
    "high": Severity.HIGH,
    "medium": Severity.MEDIUM,
    "moderate": Severity.MEDIUM,
    "low": Severity.LOW,
    "info": Severity.INFO,
}

_K8S_TYPES = frozenset({"kubernetes", "helm", "kustomize"})


VERSIONS = "Checkov 2.x and 3.x (one object per framework, a list of them, or the empty summary)"


def sniff(head: bytes) -> bool:
    """Checkov JSON: ``check_type`` with ``results``, or the summary written when nothing was scanned."""
    if b'"check_type"' in head and b'"results"' in head:
        return True
    return b'"checkov_version"' in head


def parse(stream: IO[bytes], *, source: str) -> ImportedReport:
    """Parse a Checkov JSON report (whole document; structure errors raise here)."""
    doc = load_small(stream, source)
    reports = doc if isinstance(doc, list) else [doc]
    frameworks: list[tuple[str, str, list[Any]]] = []
    errors = ItemErrors()
    version = None
    for i, raw in enumerate(reports, 1):
        where = f"{source}: report #{i}" if isinstance(doc, list) else source
        rep = as_dict(raw, where, "report")
        summary = get_dict(rep, "summary", where)
        version = version or get_str(summary, "checkov_version", where) or get_str(rep, "checkov_version", where)
        if "check_type" not in rep:
            if "passed" in rep and "failed" in rep:
                continue  # "nothing scanned" summary
            raise fail(where, "missing check_type (checkov -o json writes one object per framework)")
        results = get_dict(rep, "results", where)
        key = f"{i - 1}/results/failed_checks" if isinstance(doc, list) else "results/failed_checks"
        # Files Checkov could not parse were not checked at all: the scan is incomplete for them.
        base = f"/{i - 1}/results/parsing_errors" if isinstance(doc, list) else "/results/parsing_errors"
        for j, path in enumerate(get_list(results, "parsing_errors", where)):
            errors.append(ItemError(f"{base}/{j}", f"{rep.get('check_type') or 'report'} parsing error #{j + 1}",
                                    f"Checkov could not parse {path}: none of its checks ran"))
        frameworks.append((req_str(rep, "check_type", where), key, get_list(results, "failed_checks", where)))
    kinds = {t for t, _, _ in frameworks}
    kind = ReportKind.SECRET_SCAN if kinds == {"secrets"} \
        else ReportKind.SCA if kinds and kinds <= {"sca_package", "sca_image"} else ReportKind.IAC_SCAN
    return ImportedReport(
        format=FORMAT, tool="checkov", tool_version=version, scope=f"checkov:{PROJECT}",
        findings=guarded(source, _findings(frameworks, source, version, errors)), kind=kind, errors=errors,
    )


def _findings(frameworks: list[tuple[str, str, list[Any]]], source: str, version: str | None,
              errors: ItemErrors) -> Iterator[Finding]:
    for check_type, key, failed in frameworks:
        yield from each(errors, source, f"{check_type} failed check", key, failed,
                        functools.partial(_raw_check, check_type=check_type, version=version))


def _raw_check(raw: Any, at: At, *, check_type: str, version: str | None) -> Finding:
    return _check(as_dict(raw, at, "check"), check_type, version, at)


def _check(c: dict[str, Any], check_type: str, version: str | None, where: Where) -> Finding:
    cid = req_str(c, "check_id", where)
    name = get_str(c, "check_name", where) or cid
    resource = get_str(c, "resource", where)
    label = get_str(c, "severity", where)
    lines = get_list(c, "file_line_range", where)
    line = lines[0] if lines and isinstance(lines[0], int) and not isinstance(lines[0], bool) else None
    path = get_str(c, "repo_file_path", where) or get_str(c, "file_path", where)
    k8s = None
    if check_type in _K8S_TYPES and resource and resource.count(".") >= 2:
        kind, ns, rname = resource.split(".", 2)
        k8s = f"{kind}/{ns}/{rname}"
    vuln = get_dict(c, "vulnerability_details", where)
    common: dict[str, Any] = {
        "tool": "checkov", "tool_version": version,
        "location": Location(file=path.lstrip("/") if path else None, line=line, resource=k8s),
        "references": unique([get_str(c, "guideline", where) or ""]),
        "aliases": tuple(a for a in (get_str(c, "bc_check_id", where),) if a),
    }
    if vuln:
        vid = get_str(vuln, "id", where) or cid
        pkg = get_str(vuln, "package_name", where)
        label = get_str(vuln, "severity", where) or label
        return Finding(
            rule=vid, severity=severity_from_label(label, SEVERITY, Severity.MEDIUM), tool_severity=label,
            title=f"{vid} in {pkg}", message=f"{pkg} {get_str(vuln, 'package_version', where) or ''} is affected by "
            f"{vid}".replace("  ", " "), description=get_str(vuln, "description", where),
            category="vulnerability", component=pkg, installed_version=get_str(vuln, "package_version", where),
            fixed_version=get_str(vuln, "fixed_version", where) or get_str(vuln, "lowest_fixed_version", where),
            cwe=cwe_ids([str(x) for x in get_list(vuln, "cwe", where)]) if isinstance(vuln.get("cwe"), list) else (),
            **common,
        )
    secret = check_type == "secrets"  # its "resource" is a hash of the secret: keep it out
    if label and label.strip().lower() in SEVERITY:
        severity = SEVERITY[label.strip().lower()]
    else:  # open-source Checkov grades nothing: cnsmm assigns a level from what the check is about
        severity, _topic = assign(cid, name, get_str(c, "check_class", where), check_type)
        label = None
    return Finding(
        rule=cid, severity=severity,
        tool_severity=label, title=name, message=f"{resource}: {name}" if resource and not secret else name,
        description=get_str(c, "description", where) or get_str(c, "short_description", where),
        category="secret" if secret else "misconfiguration", **common,
    )
