"""Read queries of the web service: paginated findings, details, overview figures.

All queries are parameterised SQLAlchemy Core; ``project`` is always part of the WHERE
clause, so one project's data never appears in another's answer.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, and_, case, false, func, or_, select, tuple_

from cnsmm.findings import Severity
from cnsmm.tracking.models import Comment, FindingSource, Project, SourceStream, StatusChange, TrackedFinding
from cnsmm.tracking.queries import description_text
from cnsmm.tracking.store import Store, utcnow
from cnsmm.tracking.workflow import OPEN_STATES

F = TrackedFinding.__table__
SRC = FindingSource.__table__
STREAM = SourceStream.__table__
SORT_KEYS = {  # sort name -> (key column, descending); ties are broken by id in the same direction
    "severity": (F.c.severity_rank, True),
    "-severity": (F.c.severity_rank, False),
    "due": (F.c.due, False),
    "newest": (F.c.first_seen, True),
    "oldest": (F.c.first_seen, False),
    "title": (F.c.title, False),
}
_SEVERITY_NAMES = frozenset(s.value for s in Severity)
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
    after: str | None = None
    """A cursor from an earlier page's ``next_cursor``: the page after it (``page`` is then ignored)."""


def project_id(store: Store, name: str) -> int | None:
    """The id of a project, or None. Projects are never renamed or deleted, so a found id is
    kept for the life of the process."""
    known: int | None = store.memo.get(("project", name))
    if known is not None:
        return known
    with store.read() as conn:
        found = conn.scalar(select(Project.id).where(Project.name == name))
    if found is not None:
        store.memo[("project", name)] = found
    return found


TOOLS_TTL_S = 30.0
"""How long the list of a project's tools is reused (a tool new to the project appears in the
findings page's filter within this time; at once after an import through this process)."""


def project_tools(store: Store, pid: int) -> list[str]:
    """The tools that have reported to a project (its scan streams), sorted."""
    hit: tuple[float, list[str]] | None = store.memo.get(("tools", pid))
    if hit is not None and hit[0] > time.monotonic():
        return hit[1]
    with store.read() as conn:
        tools = sorted(set(conn.scalars(select(STREAM.c.tool).where(STREAM.c.project_id == pid))))
    store.memo[("tools", pid)] = (time.monotonic() + TOOLS_TTL_S, tools)
    return tools


def project_names(store: Store) -> list[str]:
    """Every project, sorted."""
    with store.read() as conn:
        return list(conn.scalars(select(Project.name).order_by(Project.name)))


def _severity_condition(names: list[str]) -> list[Any]:
    """Severities as a range of ranks (plus the exact set when it has gaps).

    A range on the rank keeps an index on (project, [status,] rank, id) in the list's own
    order, so a page of "open high" findings is read off the index instead of walking past
    every more severe finding; a list of values (IN) would not keep that order.
    """
    ranks = sorted({Severity(n).rank for n in names if n in _SEVERITY_NAMES})
    if not ranks:
        return [false()]
    condition = [F.c.severity_rank.between(ranks[0], ranks[-1])]
    if len(ranks) != ranks[-1] - ranks[0] + 1:
        condition.append(F.c.severity_rank.in_(ranks))
    return condition


def _filtered(pid: int, flt: FindingFilter, columns: Any, streams: list[int] | None = None) -> Select[Any]:
    query = select(*columns).where(F.c.project_id == pid)
    if flt.severity:
        query = query.where(*_severity_condition(flt.severity))
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
    next_cursor: str | None = None
    """The ``after`` value for the next page (None on the last page)."""


def _tools_of_finding(dialect: str) -> Any:
    """A correlated subquery: the distinct tools that reported the outer finding, comma-joined."""
    tool = STREAM.c.tool.distinct()
    joined = func.string_agg(tool, ",") if dialect == "postgresql" else func.group_concat(tool)
    return (select(joined).select_from(SRC.join(STREAM, STREAM.c.id == SRC.c.stream_id))
            .where(SRC.c.finding_id == F.c.id).scalar_subquery())


MAX_ID = 2**31 - 1
"""Largest id accepted anywhere: the store's ids are 32-bit integers, and a larger value
fails in PostgreSQL instead of matching nothing."""
MAX_CURSOR = 10_000
"""Longest cursor accepted (characters): a title sort's cursor carries the title (at most
1000 characters, so at most about 8,000 characters encoded)."""


class CursorError(ValueError):
    """An ``after`` cursor that this list did not hand out."""


def _order(sort: str) -> tuple[Any, Any]:
    column, descending = SORT_KEYS[sort]
    if descending:
        return column.desc(), F.c.id.desc()
    return column.asc().nulls_last() if column is F.c.due else column.asc(), F.c.id.asc()


def _cursor(sort: str, value: Any, fid: int) -> str:
    if isinstance(value, date | datetime):
        value = value.isoformat()
    raw = json.dumps([sort, value, fid], separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _after(sort: str, cursor: str) -> Any:
    """The condition "comes after the row the cursor was made from" in ``sort`` order."""
    try:
        if len(cursor) > MAX_CURSOR:
            raise ValueError
        made_for, value, fid = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if made_for != sort or type(fid) is not int or not 0 < fid <= MAX_ID:
            raise ValueError
        column, descending = SORT_KEYS[sort]
        if column is F.c.due:
            value = date.fromisoformat(value) if value is not None else None
        elif column is F.c.first_seen:
            value = datetime.fromisoformat(value)
            if value.tzinfo is not None:
                raise ValueError
        elif column is F.c.severity_rank:
            if type(value) is not int or not -(2**31) <= value < 2**31:
                raise ValueError
        elif type(value) is not str or "\x00" in value:
            raise ValueError
    except (ValueError, TypeError, KeyError, RecursionError):
        raise CursorError(f"invalid cursor {cursor[:40]!r} for sort {sort!r}: pass back the next_cursor "
                          "of the previous page, with the same filters and sort") from None
    if value is None:  # only due can be empty, and empty dues come last
        return and_(column.is_(None), F.c.id > fid)
    if descending:
        return tuple_(column, F.c.id) < tuple_(value, fid)
    later = tuple_(column, F.c.id) > tuple_(value, fid)
    return or_(later, column.is_(None)) if column is F.c.due else later


def list_page(store: Store, pid: int, flt: FindingFilter) -> FindingsPage:
    """One page of findings and the number matching (counted exactly up to ``TOTAL_CAP``).

    One statement: the page's ids are chosen first (an index-only scan when there is no
    filter), then joined to their rows, with the reporting tools and the capped count as
    subqueries. Each statement costs the database a planning step and the service a round
    trip, which dominate at this size. A page by number skips the rows before it, which
    costs more the deeper the page; a page ``after`` a cursor starts right at its place in
    the index, at the same cost however deep.
    """
    sort = flt.sort if flt.sort in SORT_KEYS else "severity"
    order = _order(sort)
    per_page = max(1, min(flt.per_page, 500))
    offset = 0 if flt.after else (max(flt.page, 1) - 1) * per_page
    key_column = SORT_KEYS[sort][0]
    with store.read() as conn:
        streams = list(conn.scalars(select(STREAM.c.id).where(STREAM.c.project_id == pid, STREAM.c.tool == flt.tool))
                       ) if flt.tool else None
        query = _filtered(pid, flt, (F.c.id,), streams)
        chosen = query.where(_after(sort, flt.after)) if flt.after else query
        page = chosen.order_by(*order).limit(per_page + 1).offset(offset).cte("page")
        capped = select(func.count()).select_from(query.order_by(None).limit(TOTAL_CAP + 1).subquery())
        statement = (
            select(*LIST_COLUMNS, _tools_of_finding(conn.dialect.name).label("tools"),
                   capped.scalar_subquery().label("counted"), key_column.label("sort_key"))
            .join_from(F, page, page.c.id == F.c.id)
            .order_by(*order)
        )
        rows = conn.execute(statement).all()
        counted = rows[0].counted if rows else (conn.scalar(capped) or 0)
    has_more = len(rows) > per_page
    items = []
    for r in rows[:per_page]:
        item = dict(r._mapping)
        del item["counted"], item["sort_key"]
        item["tools"] = sorted(set(r.tools.split(","))) if r.tools else []
        item["due"] = r.due.isoformat() if r.due else None
        item["first_seen"] = r.first_seen.isoformat(timespec="seconds")
        items.append(item)
    last = rows[per_page - 1] if has_more else None
    next_cursor = _cursor(sort, last.sort_key, last.id) if last is not None else None
    if counted <= TOTAL_CAP:
        return FindingsPage(items, counted, True, has_more, next_cursor)
    return FindingsPage(items, max(TOTAL_CAP, offset + len(items) + int(has_more)), False, has_more, next_cursor)


EXPORT_COLUMNS = ("id", "severity", "status", "title", "rule", "category", "component", "file", "line", "resource",
                  "image", "owner", "due", "first_seen", "tools", "fingerprint")
"""Columns of a findings list exported as CSV."""


def export_csv(store: Store, pid: int | None, flt: FindingFilter) -> Iterator[str]:
    """Every finding the filter matches, in its sort order, as CSV lines (a header first; only
    the header for a project without data), read 500 at a time; cells that a spreadsheet would
    run as a formula are quoted."""
    from cnsmm.tracking.export import safe_cell

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    yield buffer.getvalue()
    after = None
    while pid is not None:
        page = list_page(store, pid, replace(flt, page=1, per_page=500, after=after))
        buffer.seek(0)
        buffer.truncate()
        for item in page.items:
            writer.writerow([safe_cell(item.get(c)) for c in EXPORT_COLUMNS])
        yield buffer.getvalue()
        if page.next_cursor is None:
            return
        after = page.next_cursor


def detail(store: Store, pid: int, finding_id: int) -> dict[str, Any] | None:
    """A finding with its sources, status history and comments; None when not in the project."""
    with store.read() as conn:
        row = conn.execute(select(F).where(F.c.id == finding_id, F.c.project_id == pid)).first()
        if row is None:
            return None
        item = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row._mapping.items()}
        item["description"] = description_text(conn, item.pop("description_digest"))
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
    return {"open_by_severity": dict.fromkeys((s.value for s in Severity), 0),
            "sla_breaches": 0, "top_overdue_owners": []}


OVERVIEW_TTL_S = 30.0
"""How long overview figures that were slow to count are shown before they are counted again."""
SLOW_OVERVIEW_S = 0.05
_overview_guard = threading.Lock()


def overview(store: Store, pid: int) -> dict[str, Any]:
    """Open findings by severity, SLA breaches and the owners with the most overdue work.

    Small projects are counted on every call. When counting took longer than
    ``SLOW_OVERVIEW_S`` (hundreds of thousands of findings), the figures are kept in this
    process; once they are older than ``OVERVIEW_TTL_S`` seconds, callers still get them at
    once while one background thread counts again. Only the first call waits for a count.
    """
    key = ("overview", pid)
    hit: tuple[float, dict[str, Any]] | None = store.memo.get(key)
    if hit is not None:
        if hit[0] <= time.monotonic():
            _recount_in_background(store, pid)
        return dict(hit[1])
    with _overview_lock(store, pid):  # concurrent first callers wait for one count
        hit = store.memo.get(key)
        if hit is not None:
            return dict(hit[1])
        return dict(_recount(store, pid))


def project_changed(store: Store, project: str) -> None:
    """Findings of ``project`` changed in this process: kept overview figures are recounted
    (in the background) on the next view, and its tools read again, instead of after their
    30 seconds."""
    pid = store.memo.get(("project", project))
    if pid is None:
        return
    store.memo.pop(("tools", pid), None)
    hit = store.memo.get(("overview", pid))
    if hit is not None:
        store.memo[("overview", pid)] = (0.0, hit[1])


def _recount(store: Store, pid: int) -> dict[str, Any]:
    started = time.monotonic()
    data = _count_overview(store, pid)
    if time.monotonic() - started > SLOW_OVERVIEW_S:
        store.memo[("overview", pid)] = (time.monotonic() + OVERVIEW_TTL_S, data)
    else:
        store.memo.pop(("overview", pid), None)
    return data


def _overview_lock(store: Store, pid: int) -> threading.Lock:
    """The lock that lets one thread of this process count a project's overview at a time."""
    with _overview_guard:
        lock: threading.Lock = store.memo.setdefault(("overview-lock", pid), threading.Lock())
    return lock


def _recount_in_background(store: Store, pid: int) -> None:
    lock = _overview_lock(store, pid)
    if not lock.acquire(blocking=False):
        return  # already counting

    def run() -> None:
        try:
            _recount(store, pid)
        except Exception:  # the previous figures stay; the next caller tries again
            logging.getLogger(__name__).exception("counting the overview of project %s failed", pid)
        finally:
            lock.release()

    threading.Thread(target=run, name=f"overview-{pid}", daemon=True).start()


def _count_overview(store: Store, pid: int) -> dict[str, Any]:
    """One pass over the project's open findings, grouped by severity and owner."""
    today: date = utcnow().date()
    open_states = [s.value for s in OPEN_STATES]
    overdue = func.sum(case((F.c.due < today, 1), else_=0))
    with store.read() as conn:
        rows = conn.execute(
            select(F.c.severity_rank, F.c.owner, func.count(), overdue)
            .where(F.c.project_id == pid, F.c.status.in_(open_states))
            .group_by(F.c.severity_rank, F.c.owner)
        ).all()
    by_rank: dict[int, int] = {}
    by_owner: dict[str, int] = {}
    for rank, owner, count, late in rows:
        by_rank[rank] = by_rank.get(rank, 0) + int(count)
        if late:
            by_owner[owner or "(unassigned)"] = by_owner.get(owner or "(unassigned)", 0) + int(late)
    top = sorted(by_owner.items(), key=lambda item: (-item[1], item[0]))[:10]
    return {
        "open_by_severity": {s.value: by_rank.get(s.rank, 0) for s in Severity},
        "sla_breaches": sum(by_owner.values()),
        "top_overdue_owners": [{"owner": o, "overdue": n} for o, n in top],
    }
