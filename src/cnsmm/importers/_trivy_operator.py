"""Trivy Operator reports as ``kubectl get <kind> -A -o json|yaml`` writes them: a ``List`` of
objects (or one object) of the ``aquasecurity.github.io/v1alpha1`` API group.

YAML is read with PyYAML's safe loader; aliases are refused (kubectl never writes them, and
they can multiply a small file into a huge document).
"""

from __future__ import annotations

from typing import IO, Any

import yaml

from cnsmm.findings import Finding, Location, Severity
from cnsmm.imageref import from_parts
from cnsmm.importers._common import (
    PROJECT,
    At,
    as_dict,
    each,
    fail,
    get_dict,
    get_int,
    get_list,
    get_str,
    req_str,
    severity_from_label,
    str_tuple,
    type_name,
    unique,
)
from cnsmm.importers._jsonio import SMALL_LIMIT, loads
from cnsmm.importers._simple import LEVELS, report
from cnsmm.importers.interface import ImportedReport, ItemErrors
from cnsmm.vocab import ReportKind

VERSIONS = "Trivy Operator 0.15 and later (aquasecurity.github.io/v1alpha1), as kubectl get -o json or -o yaml"
GROUP = "aquasecurity.github.io/"


def sniffer(kind: str) -> Any:
    """A ``sniff`` for one report kind, in JSON or YAML."""
    # The cluster-scoped kinds (ClusterRbacAssessmentReport for ClusterRoles, ...) carry the same report.
    kinds = (kind,) if kind.startswith("Cluster") else (kind, f"Cluster{kind}")
    markers = [(f'"{k}"'.encode(), f'"kind":"{k}"'.encode(), f"kind: {k}".encode()) for k in kinds]

    def sniff(head: bytes) -> bool:
        if GROUP.encode() not in head:
            return False
        return any(yaml_marker in head or (value in head and json_marker in head.replace(b" ", b""))
                   for value, json_marker, yaml_marker in markers)

    sniff.__doc__ = (f"Trivy Operator: ``kind: {' or '.join(kinds)}`` of the ``aquasecurity.github.io`` API group "
                     "(JSON or YAML).")
    return sniff


class _NoAliases(yaml.SafeLoader):
    """The safe loader, refusing aliases."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(None, None, "YAML aliases are refused", event.start_mark)
        return super().compose_node(parent, index)


def _load(stream: IO[bytes], source: str) -> Any:
    data = stream.read(SMALL_LIMIT + 1)
    if len(data) > SMALL_LIMIT:
        raise fail(source, "report larger than 256 MiB, the limit for this format")
    if data.lstrip()[:1] in (b"{", b"["):
        return loads(data, source)
    try:
        return yaml.load(data.decode("utf-8-sig"), Loader=_NoAliases)  # noqa: S506 - a safe loader
    except UnicodeDecodeError as exc:
        raise fail(source, f"the file is not UTF-8 text ({exc.reason})") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        raise fail(where, f"invalid YAML ({getattr(exc, 'problem', None) or exc})") from exc


def parse(stream: IO[bytes], source: str, fmt: str, kind: str) -> ImportedReport:
    """Parse a list (or one object) of ``kind`` reports."""
    doc = _load(stream, source)
    if not isinstance(doc, dict):
        raise fail(source, f"the report must be a Kubernetes object or List (got {type_name(doc)})")
    items, key = (get_list(doc, "items", source), "items") if "items" in doc else ([doc], None)
    builders = {"VulnerabilityReport": _vulnerabilities, "ClusterVulnerabilityReport": _vulnerabilities,
                "ConfigAuditReport": _checks,
                "RbacAssessmentReport": _checks, "ClusterRbacAssessmentReport": _checks,
                "ClusterConfigAuditReport": _checks, "ExposedSecretReport": _secrets,
                "ClusterComplianceReport": _compliance}
    expected = {kind, f"Cluster{kind}"}
    errors = ItemErrors()

    def build(raw: Any, at: At) -> list[Finding]:
        obj = as_dict(raw, at, "object")
        got = req_str(obj, "kind", at)
        if got not in expected or got not in builders:
            raise fail(at, f"kind is {got!r}, expected {kind}")
        return builders[got](obj, at, errors)

    kinds = {"VulnerabilityReport": ReportKind.IMAGE_SCAN, "ExposedSecretReport": ReportKind.SECRET_SCAN}
    return report(fmt, "trivy-operator", None, f"trivy-operator:{kind}:{PROJECT}",
                  kinds.get(kind, ReportKind.COMPLIANCE), source, [(kind, key, items, build)], errors)


def _owner(obj: dict[str, Any], at: At) -> str:
    meta = get_dict(obj, "metadata", at)
    labels = get_dict(meta, "labels", at)
    kind = get_str(labels, "trivy-operator.resource.kind", at) or "Object"
    name = get_str(labels, "trivy-operator.resource.name", at) or get_str(meta, "name", at) or "?"
    ns = get_str(labels, "trivy-operator.resource.namespace", at) or get_str(meta, "namespace", at)
    return f"{kind}/{ns}/{name}" if ns else f"{kind}/{name}"


def _vulnerabilities(obj: dict[str, Any], at: At, errors: ItemErrors) -> list[Finding]:
    rep = get_dict(obj, "report", at)
    art = get_dict(rep, "artifact", at)
    server = get_str(get_dict(rep, "registry", at), "server", at)
    repo = get_str(art, "repository", at) or "?"
    image = from_parts(server, repo, get_str(art, "tag", at))
    resource = _owner(obj, at)
    version = get_str(get_dict(rep, "scanner", at), "version", at)
    def one(raw: Any, vat: At) -> Finding | None:
        v = as_dict(raw, vat, "vulnerability")
        vid = req_str(v, "vulnerabilityID", vat)
        pkg = get_str(v, "resource", vat)
        installed, fixed = get_str(v, "installedVersion", vat), get_str(v, "fixedVersion", vat)
        label = get_str(v, "severity", vat)
        message = f"{pkg} {installed or ''} is affected by {vid}".replace("  ", " ") + (
            f"; fixed in {fixed}" if fixed else "")
        return Finding(
            rule=vid, severity=severity_from_label(label, LEVELS, Severity.INFO), tool_severity=label,
            title=get_str(v, "title", vat) or vid, message=message, description=get_str(v, "description", vat),
            location=Location(image=image, resource=resource), tool="trivy-operator", tool_version=version,
            category="vulnerability", component=pkg, installed_version=installed, fixed_version=fixed,
            fix=f"Upgrade {pkg} to {fixed}." if pkg and fixed else None,
            references=unique([get_str(v, "primaryLink", vat) or "", *str_tuple(v, "links", vat)]),
        )
    return list(each(errors, at, "vulnerability", "report/vulnerabilities", get_list(rep, "vulnerabilities", at), one))


def _checks(obj: dict[str, Any], at: At, errors: ItemErrors) -> list[Finding]:
    rep = get_dict(obj, "report", at)
    resource = _owner(obj, at)
    def one(raw: Any, cat: At) -> Finding | None:
        c = as_dict(raw, cat, "check")
        if c.get("success") is not False:
            return None
        cid = req_str(c, "checkID", cat)
        label = get_str(c, "severity", cat)
        title = get_str(c, "title", cat) or cid
        messages = str_tuple(c, "messages", cat)
        return Finding(
            rule=cid, severity=severity_from_label(label, LEVELS, Severity.MEDIUM), tool_severity=label, title=title,
            message=f"{resource}: {messages[0] if messages else title}", description=get_str(c, "description", cat),
            fix=get_str(c, "remediation", cat), location=Location(resource=resource), tool="trivy-operator",
            category="misconfiguration",
        )
    return list(each(errors, at, "check", "report/checks", get_list(rep, "checks", at), one))


def _secrets(obj: dict[str, Any], at: At, errors: ItemErrors) -> list[Finding]:
    rep = get_dict(obj, "report", at)
    resource = _owner(obj, at)
    art = get_dict(rep, "artifact", at)
    image = get_str(art, "repository", at)
    def one(raw: Any, sat: At) -> Finding | None:
        s = as_dict(raw, sat, "secret")
        rid = req_str(s, "ruleID", sat)
        title = get_str(s, "title", sat) or rid
        target = get_str(s, "target", sat)
        return Finding(
            rule=rid, severity=severity_from_label(get_str(s, "severity", sat), LEVELS, Severity.HIGH),
            tool_severity=get_str(s, "severity", sat), title=title,
            message=f"{title} found in {target or 'the image'} of {resource} (value redacted)",
            location=Location(file=target, image=image, resource=resource), tool="trivy-operator", category="secret",
            fix="Revoke the credential, remove it from the image, and load it from a secret store.",
        )
    return list(each(errors, at, "secret", "report/secrets", get_list(rep, "secrets", at), one))


def _compliance(obj: dict[str, Any], at: At, errors: ItemErrors) -> list[Finding]:
    spec = get_dict(get_dict(obj, "spec", at), "compliance", at)
    benchmark = get_str(spec, "id", at) or get_str(get_dict(obj, "metadata", at), "name", at) or "compliance"
    status = get_dict(obj, "status", at)
    detail = get_dict(status, "detailReport", at)
    if not detail and get_dict(status, "summaryReport", at):  # spec.reportType "summary", the default
        return _compliance_summary(get_dict(status, "summaryReport", at), benchmark, at, errors)

    def one(raw: Any, rat: At) -> Finding | None:
        r = as_dict(raw, rat, "control")
        cid = req_str(r, "id", rat)
        failed = [c for c in get_list(r, "checks", rat) if isinstance(c, dict) and c.get("success") is False]
        if not failed:
            return None
        label = get_str(r, "severity", rat)
        name = get_str(r, "name", rat) or cid
        targets = unique([str(c.get("target") or "") for c in failed])
        return Finding(
            rule=f"{benchmark}:{cid}", severity=severity_from_label(label, LEVELS, Severity.MEDIUM),
            tool_severity=label, title=name,
            message=f"{benchmark} {cid} {name}: {len(failed)} failed check(s)" + (
                f" on {', '.join(targets[:5])}" if targets else ""),
            description=get_str(r, "description", rat), location=Location(resource=f"Cluster/{benchmark}"),
            tool="trivy-operator", category="compliance",
        )
    return list(each(errors, at, "control", "status/detailReport/results", get_list(detail, "results", at), one))


def _compliance_summary(summary: dict[str, Any], benchmark: str, at: At, errors: ItemErrors) -> list[Finding]:
    """A summary report names no failing resource: one finding per control with failed checks
    (``totalFail``); a control without ``totalFail`` was not evaluated (manual)."""
    def one(raw: Any, cat: At) -> Finding | None:
        c = as_dict(raw, cat, "control")
        cid = req_str(c, "id", cat)
        total = get_int(c, "totalFail", cat)
        if not total:
            return None
        label = get_str(c, "severity", cat)
        name = get_str(c, "name", cat) or cid
        return Finding(
            rule=f"{benchmark}:{cid}", severity=severity_from_label(label, LEVELS, Severity.MEDIUM),
            tool_severity=label, title=name, message=f"{benchmark} {cid} {name}: {total} failed check(s)",
            location=Location(resource=f"Cluster/{benchmark}"), tool="trivy-operator", category="compliance",
        )
    return list(each(errors, at, "control", "status/summaryReport/controlCheck",
                     get_list(summary, "controlCheck", at), one))
