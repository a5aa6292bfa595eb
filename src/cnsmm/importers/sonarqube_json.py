"""SonarQube / SonarCloud issues and security hotspots, as the web API returns them
(``GET api/issues/search`` and ``GET api/hotspots/search``). Loaded whole.

Only security problems are findings: issues of type ``VULNERABILITY`` or ``SECURITY_HOTSPOT``
(hotspots were issues before SonarQube 8.2), issues whose ``impacts`` include the
``SECURITY`` software quality (10.2 and later), and hotspots still ``TO_REVIEW``. Bugs and code
smells without a security impact, resolved issues and reviewed hotspots are not. A page that
says the search matched more issues than it holds is imported and the import marked partial.
"""

from __future__ import annotations

from typing import IO, Any

from cnsmm.findings import Finding, Location, Severity
from cnsmm.importers._common import (
    PROJECT,
    At,
    as_dict,
    cwe_ids,
    fail,
    get_dict,
    get_int,
    get_list,
    get_str,
    str_tuple,
    type_name,
)
from cnsmm.importers._simple import load_pages, report
from cnsmm.importers.interface import ImportedReport, ItemError, ItemErrors
from cnsmm.vocab import ReportKind

FORMAT = "sonarqube-json"
VERSIONS = ("SonarQube 7.9 to 10.x and SonarCloud web API: api/issues/search (legacy severity and type, "
            "and the impacts/issueStatus of 10.2+) and api/hotspots/search; pages back to back or a JSON "
            "array of pages")

LEGACY = {"blocker": Severity.CRITICAL, "critical": Severity.HIGH, "major": Severity.MEDIUM, "minor": Severity.LOW,
          "info": Severity.INFO}
"""``severity`` of issues (SonarQube before 10.2, still written)."""
IMPACT = {"blocker": Severity.CRITICAL, "high": Severity.HIGH, "medium": Severity.MEDIUM, "low": Severity.LOW,
          "info": Severity.INFO}
"""``impacts[].severity`` of the ``SECURITY`` quality (10.2+; BLOCKER and INFO since 10.6)."""
PROBABILITY = {"high": Severity.HIGH, "medium": Severity.MEDIUM, "low": Severity.LOW}
"""``vulnerabilityProbability`` of hotspots."""

_DONE = frozenset({"RESOLVED", "CLOSED"})
_DONE_10 = frozenset({"ACCEPTED", "FIXED", "FALSE_POSITIVE"})
_SECURITY_TYPES = frozenset({"VULNERABILITY", "SECURITY_HOTSPOT"})


def sniff(head: bytes) -> bool:
    """SonarQube: ``issues`` with ``effortTotal``, or with ``component``, ``rule`` and ``paging``
    keys; or ``hotspots`` with ``securityCategory``/``vulnerabilityProbability``."""
    if b'"issues"' in head and (b'"effortTotal"' in head or b'"debtTotal"' in head):
        return True
    if b'"issues"' in head and b'"component"' in head and b'"rule"' in head and (
            b'"paging"' in head or b'"textRange"' in head):
        return True
    return b'"hotspots"' in head and (b'"securityCategory"' in head or b'"vulnerabilityProbability"' in head)


def parse(stream: IO[bytes], *, source: str) -> ImportedReport:
    """Parse SonarQube search results: one finding per open security issue or hotspot to review."""
    pages = load_pages(stream, source)
    if len(pages) == 1 and isinstance(pages[0], list):
        pages = pages[0]  # a JSON array of pages
        keyed = [(f"{i}/", p) for i, p in enumerate(pages)]
    else:
        keyed = [("" if len(pages) == 1 else f"page{i}/", p) for i, p in enumerate(pages, 1)]
    errors = ItemErrors()
    sections = []
    paths: dict[str, str] = {}
    projects: list[str] = []
    totals: dict[str, int | None] = {}
    held = {"issues": 0, "hotspots": 0}
    for n, (key, raw) in enumerate(keyed, 1):
        where = source if len(keyed) == 1 else f"{source}: page #{n}"
        page = as_dict(raw, where, "search result page")
        if "issues" not in page and "hotspots" not in page:
            raise fail(where, "missing issues or hotspots (save the body of api/issues/search or api/hotspots/search)")
        for c in get_list(page, "components", where):
            if isinstance(c, dict) and isinstance(c.get("key"), str) and isinstance(c.get("path"), str):
                paths[c["key"]] = c["path"]
        issues = get_list(page, "issues", where)
        hotspots = get_list(page, "hotspots", where)
        for item in (*issues, *hotspots):
            if isinstance(item, dict) and isinstance(item.get("project"), str) and item["project"] not in projects:
                projects.append(item["project"])
        sections.append(("issue", f"{key}issues", issues, lambda r, at: _issue(r, at, paths)))
        sections.append(("hotspot", f"{key}hotspots", hotspots, lambda r, at: _hotspot(r, at, paths)))
        paging = get_dict(page, "paging", where)
        total = get_int(paging, "total", where) if paging else get_int(page, "total", where)
        totals.setdefault("issues" if "issues" in page else "hotspots", total)
        held["issues" if "issues" in page else "hotspots"] += len(issues) + len(hotspots)
    for what, total in totals.items():
        if total is not None and total > held[what]:
            errors.append(ItemError(
                "/paging/total", "search result",
                f"the search matched {total} {what} but the file holds {held[what]}: export every page "
                "(p=1..N with ps=500) into the file; SonarQube returns at most 10,000 per search, so narrow "
                "larger searches (by type, severity or creation date)"))
    return report(FORMAT, "sonarqube", None, f"sonar:{projects[0]}" if len(projects) == 1 else PROJECT, ReportKind.SAST,
                  source, sections, errors=errors)


def _file(item: dict[str, Any], at: At, paths: dict[str, str]) -> str | None:
    """The file of an issue: the component's ``path``, else its key without the project key
    (``org:billing:src/A.java`` in project ``org:billing`` is ``src/A.java``)."""
    component = get_str(item, "component", at)
    if not component:
        return None
    if component in paths:
        return paths[component]
    project = get_str(item, "project", at)
    if project and component.startswith(project + ":"):
        return component[len(project) + 1:] or None
    return component.rsplit(":", 1)[1] if ":" in component else None


def _issue(raw: Any, at: At, paths: dict[str, str]) -> Finding | None:
    i = as_dict(raw, at, "issue")
    rule = get_str(i, "rule", at, required=True) or ""
    status = (get_str(i, "issueStatus", at) or "").upper()
    if (get_str(i, "status", at) or "").upper() in _DONE or status in _DONE_10:
        return None
    impacts = get_list(i, "impacts", at)
    security = [as_dict(x, at, "impact") for x in impacts
                if isinstance(x, dict) and str(x.get("softwareQuality", "")).upper() == "SECURITY"]
    itype = (get_str(i, "type", at) or "").upper()
    if itype not in _SECURITY_TYPES and not security:
        return None
    if security:
        label = get_str(security[0], "severity", at)
        severity = IMPACT.get((label or "").lower(), Severity.MEDIUM)
    else:
        label = get_str(i, "severity", at)
        severity = LEGACY.get((label or "").lower(), Severity.MEDIUM)
    text_range = get_dict(i, "textRange", at)
    line = get_int(text_range, "startLine", at) or get_int(i, "line", at)
    message = get_str(i, "message", at) or rule
    tags = str_tuple(i, "tags", at)
    return Finding(
        rule=rule, severity=severity, tool_severity=label, title=message, message=message,
        location=Location(file=_file(i, at, paths), line=line), tool="sonarqube",
        category="sast", cwe=cwe_ids(list(tags)),
    )


def _hotspot(raw: Any, at: At, paths: dict[str, str]) -> Finding | None:
    h = as_dict(raw, at, "hotspot")
    status = get_str(h, "status", at)
    if not status:
        raise fail(at, "missing status")
    if status.upper() != "TO_REVIEW":
        return None
    rule_value = h.get("ruleKey", h.get("rule"))
    rule = rule_value.get("key") if isinstance(rule_value, dict) else rule_value
    if not isinstance(rule, str) or not rule:
        raise fail(at, f"missing ruleKey (got {type_name(rule_value)})")
    label = get_str(h, "vulnerabilityProbability", at)
    message = get_str(h, "message", at) or rule
    category = get_str(h, "securityCategory", at)
    return Finding(
        rule=rule, severity=PROBABILITY.get((label or "").lower(), Severity.MEDIUM),
        tool_severity=f"hotspot {label}" if label else "hotspot", title=message,
        message=message + (f" (hotspot to review, category {category})" if category else " (hotspot to review)"),
        location=Location(file=_file(h, at, paths),
                          line=get_int(get_dict(h, "textRange", at), "startLine", at) or get_int(h, "line", at)),
        tool="sonarqube", category="sast",
    )
