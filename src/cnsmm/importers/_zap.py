"""OWASP ZAP traditional report mapping shared by the JSON and XML readers.

Both readers give the traditional JSON shape: ``site[]`` with ``@name`` and ``alerts[]``,
each alert with ``instances[]``. One finding per alert instance (URL, method, parameter).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from cnsmm.findings import Finding, Location, Severity
from cnsmm.importers._common import (
    At,
    Where,
    as_dict,
    cwe_ids,
    fail,
    get_list,
    get_str,
    record,
    req_str,
    severity_from_label,
    unique,
)
from cnsmm.importers.interface import ItemErrors

RISK = {"3": Severity.HIGH, "2": Severity.MEDIUM, "1": Severity.LOW, "0": Severity.INFO}

_URL = re.compile(r"https?://[^\s<>\"']+")


def site_name(site: dict[str, Any], where: Where) -> str:
    """The site URL of a ``site`` entry."""
    return get_str(site, "@name", where) or get_str(site, "@host", where) or "?"


def findings(sites: list[Any], source: str, version: str | None, errors: ItemErrors,
             mode: str = "json", *, single: bool = False) -> Iterator[Finding]:
    """All findings of a report's sites; a malformed alert is recorded in ``errors`` and skipped."""
    site_key: str | None
    site_key, alert_key = ("site", "alerts") if mode == "json" else ("OWASPZAPReport/site", "alerts/alertitem")
    if single:  # ZAP before 2.8 wrote a lone site as an object, not an array of one
        site_key, alert_key = None, "site/alerts"
    for i, raw in enumerate(sites, 1):
        where = At(source, "site", i, site_key, mode)
        try:
            site = as_dict(raw, where, "site")
            alerts = get_list(site, "alerts", where)
            name = site_name(site, where)
        except Exception as exc:
            record(errors, where, exc)
            continue
        for j, alert in enumerate(alerts, 1):
            at = At(where, "alert", j, alert_key, mode)
            try:
                found = list(_alert(as_dict(alert, at, "alert"), name, version, at))
            except Exception as exc:
                record(errors, at, exc)
                continue
            yield from found


def _alert(a: dict[str, Any], site: str, version: str | None, where: Where) -> Iterator[Finding]:
    plugin = get_str(a, "pluginid", where)
    rule = get_str(a, "alertRef", where) or req_str(a, "pluginid", where)
    title = get_str(a, "alert", where) or req_str(a, "name", where)
    code = get_str(a, "riskcode", where)
    if code not in RISK:
        raise fail(where, f"riskcode must be 0, 1, 2 or 3 (got {a.get('riskcode')!r})")
    cwe = get_str(a, "cweid", where)
    refs = unique(_URL.findall(get_str(a, "reference", where) or ""))
    # ZAP before 2.10 wrote one uri/param per alert instead of instances.
    instances = get_list(a, "instances", where) or [
        {"uri": a.get("uri") or site, "method": a.get("method"), "param": a.get("param")}]
    for k, raw in enumerate(instances, 1):
        iwhere = At(where, "instance", k, "instances")
        inst = as_dict(raw, iwhere, "instance")
        uri = get_str(inst, "uri", iwhere) or site
        method = get_str(inst, "method", iwhere)
        param = get_str(inst, "param", iwhere)
        shown = f"{method} {uri}" if method else uri
        yield Finding(
            rule=rule, severity=severity_from_label(code, RISK, Severity.INFO),
            tool_severity=get_str(a, "riskdesc", where) or code, title=title,
            message=f"{title} at {shown}" + (f" (parameter {param})" if param else ""),
            description=get_str(a, "desc", where), fix=get_str(a, "solution", where),
            location=Location(url=uri, parameter=param), tool="zap", tool_version=version, category="dast",
            cwe=cwe_ids([cwe]) if cwe and cwe not in ("0", "-1") else (),
            references=refs, aliases=tuple(x for x in (plugin,) if x and x != rule),
        )
