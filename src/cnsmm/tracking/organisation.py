"""Across projects: open work per project, and where one CVE or rule is found.

Both take the names of the projects the caller may see (the caller's authorisation is the
adapter's business) and read nothing of the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, case, func, or_, select

from cnsmm.findings import Severity
from cnsmm.tracking.models import Project, TrackedFinding
from cnsmm.tracking.states import OPEN_STATES
from cnsmm.tracking.store import Store, utcnow

F = cast(Table, TrackedFinding.__table__)
P = cast(Table, Project.__table__)
_OPEN = [s.value for s in OPEN_STATES]
MAX_SEARCH = 200
"""Most findings a cross-project search lists (the counts per project are exact)."""


@dataclass
class ProjectSummary:
    """One project's open work."""

    project: str
    open_by_severity: dict[str, int] = field(default_factory=lambda: dict.fromkeys((s.value for s in Severity), 0))
    open: int = 0
    """Findings open, triaged or in progress."""
    overdue: int = 0
    """Of those, past their due date (SLA breaches)."""
    risk_accepted: int = 0
    fixed: int = 0


def summaries(store: Store, projects: list[str]) -> list[ProjectSummary]:
    """Open findings by severity, SLA breaches, accepted and fixed counts, per project (sorted by
    name; a project without findings has zeros)."""
    out = {name: ProjectSummary(name) for name in sorted(set(projects))}
    if not out:
        return []
    today = utcnow().date()
    with store.read() as conn:
        ids = dict(conn.execute(select(P.c.id, P.c.name).where(P.c.name.in_(list(out)))).all())
        if not ids:
            return list(out.values())
        rows = conn.execute(
            select(F.c.project_id, F.c.status, F.c.severity, func.count(),
                   func.sum(case((F.c.due < today, 1), else_=0)))
            .where(F.c.project_id.in_(list(ids)))
            .group_by(F.c.project_id, F.c.status, F.c.severity)
        ).all()
    for pid, status, severity, count, late in rows:
        item = out[ids[pid]]
        if status in _OPEN:
            item.open += count
            item.open_by_severity[severity] = item.open_by_severity.get(severity, 0) + count
            item.overdue += int(late or 0)
        elif status == "risk_accepted":
            item.risk_accepted += count
        elif status == "fixed":
            item.fixed += count
    return list(out.values())


def search(store: Store, projects: list[str], term: str, *, open_only: bool = True,
           limit: int = MAX_SEARCH) -> dict[str, Any]:
    """Findings of ``projects`` whose rule, vulnerability id or aliases are ``term`` (any letter
    case): ``{"term", "counts": {project: n}, "findings": [...], "truncated"}``."""
    want = term.strip()
    if not want or not projects:
        return {"term": want, "counts": {}, "findings": [], "truncated": False}
    upper = want.upper()
    escaped = upper.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    match = or_(
        func.upper(F.c.rule) == upper,
        func.upper(F.c.vuln_id) == upper,
        # aliases are space-separated ids
        func.upper(" " + func.coalesce(F.c.aliases, "") + " ").like(f"% {escaped} %", escape="\\"),
    )
    where = [P.c.name.in_(sorted(set(projects))), match]
    if open_only:
        where.append(F.c.status.in_(_OPEN))
    with store.read() as conn:
        counts: dict[str, int] = dict(conn.execute(
            select(P.c.name, func.count()).select_from(F.join(P, P.c.id == F.c.project_id))
            .where(*where).group_by(P.c.name).order_by(P.c.name)
        ).all())
        rows = conn.execute(
            select(P.c.name.label("project"), F.c.id, F.c.severity, F.c.status, F.c.title, F.c.rule,
                   F.c.component, F.c.installed_version, F.c.fixed_version, F.c.file, F.c.image, F.c.resource,
                   F.c.due)
            .select_from(F.join(P, P.c.id == F.c.project_id))
            .where(*where).order_by(P.c.name, F.c.severity_rank.desc(), F.c.id).limit(limit)
        ).all()
    findings = [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in r._mapping.items()} for r in rows]
    return {"term": want, "counts": counts, "findings": findings, "truncated": sum(counts.values()) > len(findings)}
