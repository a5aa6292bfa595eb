"""Prowler JSON-OCSF (``prowler <provider> --output-formats json-ocsf``): a JSON array of OCSF
findings (Detection Finding, class 2004, in Prowler 4 and 5; Security Finding, class 2001, in
Prowler 3.x). Loaded whole.

Findings with ``status_code`` FAIL become findings; PASS and MANUAL do not, nor do muted
findings (``status`` ``Suppressed``, Prowler 4+).
"""

from __future__ import annotations

from typing import IO, Any

from cnsmm.findings import Finding, Location, Severity
from cnsmm.importers._common import (
    PROJECT,
    At,
    as_dict,
    fail,
    get_dict,
    get_list,
    get_str,
    severity_from_label,
    type_name,
    unique,
)
from cnsmm.importers._simple import LEVELS, load, report
from cnsmm.importers.interface import ImportedReport
from cnsmm.vocab import ReportKind

FORMAT = "prowler-ocsf-json"
VERSIONS = ("Prowler 4.x and 5.x JSON-OCSF (OCSF 1.1-1.4 Detection Finding); Prowler 3.x JSON-OCSF "
            "(OCSF 1.0.0-rc.3 Security Finding)")

SEVERITY_ID = {1: Severity.INFO, 2: Severity.LOW, 3: Severity.MEDIUM, 4: Severity.HIGH, 5: Severity.CRITICAL,
               6: Severity.CRITICAL}
"""OCSF ``severity_id`` (1 informational ... 5 critical, 6 fatal)."""


def sniff(head: bytes) -> bool:
    """Prowler OCSF: an array of findings with ``class_uid`` and ``Prowler`` as the product."""
    return head.lstrip().startswith(b"[") and b'"class_uid"' in head and b'"Prowler"' in head


def parse(stream: IO[bytes], *, source: str) -> ImportedReport:
    """Parse Prowler OCSF findings: one finding per failed check and resource."""
    doc = load(stream, source)
    if not isinstance(doc, list):
        raise fail(source, f"the report must be a JSON array of OCSF findings (got {type_name(doc)})")
    version = None
    accounts = set()
    for item in doc:
        if isinstance(item, dict):
            product = get_dict(get_dict(item, "metadata", source), "product", source)
            version = version or get_str(product, "version", source)
            cloud = get_dict(item, "cloud", source)
            account = get_str(get_dict(cloud, "account", source), "uid", source)
            provider = get_str(cloud, "provider", source)
            if account:
                accounts.add(f"{provider or 'cloud'}:{account}")
    scope = accounts.pop() if len(accounts) == 1 else PROJECT
    return report(FORMAT, "prowler", version, scope, ReportKind.COMPLIANCE, source,
                  [("finding", "", doc, lambda r, at: _finding(r, at, version))])


def _finding(raw: Any, at: At, version: str | None) -> Finding | None:
    f = as_dict(raw, at, "finding")
    info = get_dict(f, "finding_info", at) or get_dict(f, "finding", at)  # Prowler 3: "finding"
    status_code = get_str(f, "status_code", at) or get_str(get_dict(f, "compliance", at), "status", at)
    if not status_code:
        raise fail(at, "missing status_code")
    if status_code.upper() != "FAIL" or (get_str(f, "status", at) or "").lower() == "suppressed":
        return None
    meta = get_dict(f, "metadata", at)
    product = get_dict(meta, "product", at)
    check = (get_str(meta, "event_code", at) or get_str(get_dict(product, "feature", at), "uid", at)
             or get_str(get_dict(f, "unmapped", at), "check_id", at))
    if not check:
        raise fail(at, "missing metadata.event_code (the check id)")
    label = get_str(f, "severity", at)
    sid = f.get("severity_id")
    severity = (SEVERITY_ID.get(sid, Severity.MEDIUM) if isinstance(sid, int) and not label
                else severity_from_label(label, LEVELS, Severity.MEDIUM))
    resources = [as_dict(r, at, "resource") for r in get_list(f, "resources", at)]
    res = resources[0] if resources else {}
    uid = get_str(res, "uid", at)
    name = get_str(res, "name", at)
    rtype = get_str(res, "type", at)
    namespace = get_str(res, "namespace", at)
    resource: str | None
    if namespace and name:
        resource = f"{rtype or 'Object'}/{namespace}/{name}"  # Kubernetes
    elif uid and uid.startswith("arn:"):
        resource = uid
    else:
        resource = f"{rtype}/{name or uid}" if rtype and (name or uid) else name or uid
    title = get_str(info, "title", at) or check
    message = get_str(f, "status_detail", at) or get_str(f, "message", at) or title
    remediation = get_dict(f, "remediation", at) or get_dict(info, "remediation", at)
    refs = [r for r in (*get_list(remediation, "references", at), *get_list(remediation, "kb_articles", at))
            if isinstance(r, str) and r.startswith(("https://", "http://"))]  # Prowler also lists CLI commands
    related = get_str(get_dict(f, "unmapped", at), "related_url", at)
    return Finding(
        rule=check, severity=severity, tool_severity=label, title=title, message=message,
        description=get_str(info, "desc", at) or get_str(f, "risk_details", at), fix=get_str(remediation, "desc", at),
        location=Location(resource=resource),
        tool="prowler", tool_version=version, category="misconfiguration",
        references=unique([*refs, related or ""]),
    )
