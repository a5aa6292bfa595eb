"""Read queries of the web service: paginated findings, details, overview figures.

All queries are parameterised SQLAlchemy Core; ``project`` is always part of the WHERE
clause, so one project's data never appears in another's answer.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, func, or_, select

from cnsmm.tracking.models import Comment, FindingSource, Project, SourceStream, StatusChange, TrackedFinding
from cnsmm.tracking.store import Store, utcnow
from cnsmm.tracking.workflow import OPEN_STATES

F = TrackedFinding.__table__
SRC = FindingSource.__table__
STREAM = SourceStream.__table__
SORTS = {
    "severity": (F.c.severity_rank.desc(), F.c.id.desc()),
    "-severity": (F.c.severity_rank.asc(), F.c.id.asc()),
    "due": (F.c.due.asc(), F.c.id.asc()),
    "newest": (F.c.first_seen.desc(), F.c.id.desc()),
    "oldest": (F.c.first_seen.asc(), F.c.id.asc()),
    "title": (F.c.title.asc(), F.c.id.asc()),
}
LIST_COLUMNS = (F.c.id, F.c.fingerprint, F.c.status, F.c.severity, F.c.title, F.c.rule, F.c.category,
                F.c.owner, F.c.due, F.c.file, F.c.line, F.c.resource, F.c.image, F.c.component,
                F.c.first_seen, F.c.regression)


@dataclass
class FindingFilter:
    """Filters, sort and page of a findings list."""

    severity: list[str] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    tool: str | None = None
    owner: str | None = None
    overdue: bool = False
    q: str | None = None
    sort: str = "severity"
    page: int = 1
    per_page: int = 50


def project_id(store: Store, name: str) -> int | None:
    """The id of a project, or None."""
    with store.read() as conn:
        return conn.scalar(select(Project.id).where(Project.name == name))


def project_names(store: Store) -> list[str]:
    """Every project, sorted."""
    with store.read() as conn:
        return list(conn.scalars(select(Project.name).order_by(Project.name)))


def _filtered(pid: int, flt: FindingFilter, columns: Any, streams: list[int] | None = None) -> Select[Any]:
    query = select(*columns).where(F.c.project_id == pid)
    if flt.severity:
        query = query.where(F.c.severity.in_(flt.severity))
    if flt.status:
        query = query.where(F.c.status.in_(flt.status))
    if flt.owner:
        query = query.where(F.c.owner == flt.owner)
    if flt.overdue:
        query = query.where(F.c.due < utcnow().date(), F.c.status.in_([s.value for s in OPEN_STATES]))
    if flt.tool:
        # the tool's streams as literal ids: the planner then knows how many sources match
        query = query.where(select(SRC.c.id).where(SRC.c.finding_id == F.c.id,
                                                   SRC.c.stream_id.in_(streams or [])).exists())
    if flt.q:
        like = "%" + flt.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(*(c.ilike(like, escape="\\") for c in
                                  (F.c.title, F.c.rule, F.c.component, F.c.resource, F.c.file, F.c.image))))
    return query


TOTAL_CAP = 1000
"""Totals are counted exactly up to this many matches; past it the list says "1000+"."""


@dataclass(frozen=True)
class FindingsPage:
    """One page of a findings list."""

    items: list[dict[str, Any]]
    total: int
    """Matching findings: exact when ``total_exact``, else a lower bound (at least ``TOTAL_CAP``)."""
    total_exact: bool
    has_more: bool
    """Whether a next page exists."""


def _tools_of_finding(dialect: str) -> Any:
    """A correlated subquery: the distinct tools that reported the outer finding, comma-joined."""
    tool = STREAM.c.tool.distinct()
    joined = func.string_agg(tool, ",") if dialect == "postgresql" else func.group_concat(tool)
    return (select(joined).select_from(SRC.join(STREAM, STREAM.c.id == SRC.c.stream_id))
            .where(SRC.c.finding_id == F.c.id).scalar_subquery())


def list_page(store: Store, pid: int, flt: FindingFilter) -> FindingsPage:
    """One page of findings and the number matching (counted exactly up to ``TOTAL_CAP``).

    One statement: the page's ids are chosen first (an index-only scan when there is no
    filter, so a deep page does not read every skipped row), then joined to their rows, with
    the reporting tools and the capped count as subqueries. Each statement costs the
    database a planning step and the service a round trip, which dominate at this size.
    """
    order = SORTS.get(flt.sort, SORTS["severity"])
    per_page = max(1, min(flt.per_page, 500))
    offset = (max(flt.page, 1) - 1) * per_page
    with store.read() as conn:
        streams = list(conn.scalars(select(STREAM.c.id).where(STREAM.c.project_id == pid, STREAM.c.tool == flt.tool))
                       ) if flt.tool else None
        query = _filtered(pid, flt, (F.c.id,), streams)
        page = query.order_by(*order).limit(per_page + 1).offset(offset).cte("page")
        capped = select(func.count()).select_from(query.order_by(None).limit(TOTAL_CAP + 1).subquery())
        statement = (
            select(*LIST_COLUMNS, _tools_of_finding(conn.dialect.name).label("tools"),
                   capped.scalar_subquery().label("counted"))
            .join_from(F, page, page.c.id == F.c.id)
            .order_by(*order)
        )
        rows = conn.execute(statement).all()
        counted = rows[0].counted if rows else (conn.scalar(capped) or 0)
    has_more = len(rows) > per_page
    items = []
    for r in rows[:per_page]:
        item = dict(r._mapping)
        del item["counted"]
        item["tools"] = sorted(set(r.tools.split(","))) if r.tools else []
        item["due"] = r.due.isoformat() if r.due else None
        item["first_seen"] = r.first_seen.isoformat(timespec="seconds")
        items.append(item)
    if counted <= TOTAL_CAP:
        return FindingsPage(items, counted, True, has_more)
    return FindingsPage(items, max(TOTAL_CAP, offset + len(items) + int(has_more)), False, has_more)


def detail(store: Store, pid: int, finding_id: int) -> dict[str, Any] | None:
    """A finding with its sources, status history and comments; None when not in the project."""
    with store.read() as conn:
        row = conn.execute(select(F).where(F.c.id == finding_id, F.c.project_id == pid)).first()
        if row is None:
            return None
        item = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row._mapping.items()}
        item["sources"] = [
            {k: (v.isoformat(timespec="seconds") if hasattr(v, "isoformat") else v) for k, v in s._mapping.items()}
            for s in conn.execute(
                select(STREAM.c.tool, STREAM.c.scope, SRC.c.active, SRC.c.first_seen,
                       func.coalesce(SRC.c.last_seen, STREAM.c.last_seen).label("last_seen"))
                .join(STREAM, STREAM.c.id == SRC.c.stream_id)
                .where(SRC.c.finding_id == finding_id).order_by(STREAM.c.tool))
        ]
        H = StatusChange.__table__
        item["history"] = [
            {"at": h.at.isoformat(timespec="seconds"), "actor": h.actor, "from": h.from_status, "to": h.to_status,
             "reason": h.reason}
            for h in conn.execute(select(H).where(H.c.finding_id == finding_id).order_by(H.c.at, H.c.id))
        ]
        C = Comment.__table__
        item["comments"] = [
            {"at": c.at.isoformat(timespec="seconds"), "author": c.author, "text": c.text}
            for c in conn.execute(select(C).where(C.c.finding_id == finding_id).order_by(C.c.at, C.c.id))
        ]
    return item


def empty_overview() -> dict[str, Any]:
    """The overview of a project with no findings yet."""
    return {"open_by_severity": dict.fromkeys(("critical", "high", "medium", "low", "info"), 0),
            "sla_breaches": 0, "top_overdue_owners": []}


OVERVIEW_TTL_S = 30.0
"""How long overview figures that were slow to compute are reused."""
SLOW_OVERVIEW_S = 0.05
_overview_cache: dict[tuple[str, int], tuple[float, dict[str, Any]]] = {}
_overview_locks: dict[tuple[str, int], threading.Lock] = {}
_locks_guard = threading.Lock()


def overview(store: Store, pid: int) -> dict[str, Any]:
    """Open findings by severity, SLA breaches and the owners with the most overdue work.

    Small projects are counted on every call. When counting took longer than
    ``SLOW_OVERVIEW_S`` (hundreds of thousands of findings), the figures are kept for
    ``OVERVIEW_TTL_S`` seconds in this process; once they are older, one caller counts again
    while concurrent callers get the previous figures instead of waiting.
    """
    key = (store.url, pid)
    with _locks_guard:
        lock = _overview_locks.setdefault(key, threading.Lock())
    hit = _overview_cache.get(key)
    if hit is not None and (hit[0] > time.monotonic() or not lock.acquire(blocking=False)):
        return dict(hit[1])
    if hit is None:
        lock.acquire()
    try:
        hit = _overview_cache.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return dict(hit[1])
        started = time.monotonic()
        data = _count_overview(store, pid)
        if time.monotonic() - started > SLOW_OVERVIEW_S:
            _overview_cache[key] = (time.monotonic() + OVERVIEW_TTL_S, data)
        else:
            _overview_cache.pop(key, None)
    finally:
        lock.release()
    return dict(data)


def _count_overview(store: Store, pid: int) -> dict[str, Any]:
    today: date = utcnow().date()
    open_states = [s.value for s in OPEN_STATES]
    with store.read() as conn:
        by_sev: dict[str, int] = dict(conn.execute(
            select(F.c.severity, func.count()).where(F.c.project_id == pid, F.c.status.in_(open_states))
            .group_by(F.c.severity)
        ).all())
        overdue = and_(F.c.project_id == pid, F.c.status.in_(open_states), F.c.due < today)
        breaches = conn.scalar(select(func.count()).where(overdue)) or 0
        owners = conn.execute(
            select(F.c.owner, func.count().label("n")).where(overdue).group_by(F.c.owner)
            .order_by(func.count().desc()).limit(10)
        ).all()
    return {
        "open_by_severity": {s: int(by_sev.get(s, 0)) for s in ("critical", "high", "medium", "low", "info")},
        "sla_breaches": int(breaches),
        "top_overdue_owners": [{"owner": o or "(unassigned)", "overdue": int(n)} for o, n in owners],
    }
