"""The findings list: one filter, one query builder, one page (by cursor or by number).

The CLI (``findings list``, ``findings status`` over a filter), the API and the web pages
all build their findings lists here. Queries are parameterised SQLAlchemy Core; the project
is always part of the WHERE clause.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Select, and_, false, func, or_, select, tuple_

from cnsmm.findings import Severity
from cnsmm.tracking.csvcells import csv_line, safe_cell
from cnsmm.tracking.models import FindingSource, SourceStream, TrackedFinding
from cnsmm.tracking.states import OPEN_STATES
from cnsmm.tracking.store import Store, utcnow

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
    """Filters, sort and page of a findings list (empty fields filter nothing)."""

    severity: list[str] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    tool: str | None = None
    owner: str | None = None
    overdue: bool = False
    q: str | None = None
    """Text searched (any letter case, literally) in title, rule, component, resource, file and image."""
    sort: str = "severity"
    page: int = 1
    per_page: int = 50
    after: str | None = None
    """A cursor from an earlier page's ``next_cursor``: the page after it (``page`` is then ignored)."""
    rule: list[str] = field(default_factory=list)
    """Rule ids (CVE, check id, ...), exactly."""
    path: str | None = None
    """A glob over the finding's file (``*`` and ``?``; ``*`` also crosses ``/``)."""
    unowned: bool = False
    """Only findings without an owner."""
    ids: list[int] = field(default_factory=list)
    """Only these finding ids."""

    def is_empty(self) -> bool:
        """True when nothing is filtered (every finding of the project matches)."""
        return not (self.severity or self.status or self.tool or self.owner or self.overdue or self.q
                    or self.rule or self.path or self.unowned or self.ids)


def glob_to_like(pattern: str) -> str:
    """A LIKE pattern (escape character ``\\``) matching what the glob ``pattern`` matches."""
    out = []
    for char in pattern:
        if char in "\\%_":
            out.append("\\" + char)
        elif char == "*":
            out.append("%")
        elif char == "?":
            out.append("_")
        else:
            out.append(char)
    return "".join(out)


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


def tool_streams(conn: Connection, pid: int, tool: str | None) -> list[int] | None:
    """The ids of the project's scan streams of ``tool`` (None without a tool filter)."""
    if not tool:
        return None
    return list(conn.scalars(select(STREAM.c.id).where(STREAM.c.project_id == pid, STREAM.c.tool == tool)))


def filtered(conn: Connection, pid: int, flt: FindingFilter, columns: Any) -> Select[Any]:
    """``SELECT columns FROM findings`` of project ``pid`` matching ``flt`` (without order or page)."""
    return _filtered(pid, flt, columns, tool_streams(conn, pid, flt.tool))


def _filtered(pid: int, flt: FindingFilter, columns: Any, streams: list[int] | None = None) -> Select[Any]:
    query = select(*columns).where(F.c.project_id == pid)
    if flt.ids:
        query = query.where(F.c.id.in_(flt.ids))
    if flt.rule:
        query = query.where(F.c.rule.in_(flt.rule))
    if flt.path:
        query = query.where(F.c.file.like(glob_to_like(flt.path), escape="\\"))
    if flt.unowned:
        query = query.where(F.c.owner.is_(None))
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


def order(sort: str) -> tuple[Any, Any]:
    """ORDER BY of a list sorted by ``sort`` (a key of ``SORT_KEYS``; ties broken by id)."""
    return _order(sort if sort in SORT_KEYS else "severity")


def after(sort: str, cursor: str) -> Any:
    """The condition "comes after the row ``cursor`` was made from"; :class:`CursorError` when invalid."""
    return _after(sort, cursor)


def make_cursor(sort: str, value: Any, fid: int) -> str:
    """The cursor of a row (its sort key value and id) in a list sorted by ``sort``."""
    return _cursor(sort, value, fid)


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
        query = filtered(conn, pid, flt, (F.c.id,))
        start, skip = flt.after, offset
        if start is None and offset >= MARK_FROM:  # a deep page by number: start at a known row instead
            start, skip = _page_mark(store, conn, pid, flt, query, sort, offset)
        chosen = query.where(_after(sort, start)) if start else query
        page = chosen.order_by(*order).limit(per_page + 1).offset(skip).cte("page")
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


MARK_FROM = 500
"""Pages by number starting this many rows or more down the list start at a remembered row."""
MARK_TTL_S = 30.0
"""How long a remembered row of a list is used (a change through the service forgets it at once)."""
_marks_guard = threading.Lock()


def _page_mark(store: Store, conn: Connection, pid: int, flt: FindingFilter, query: Select[Any], sort: str,
               offset: int) -> tuple[str | None, int]:
    """The cursor of a row at or before ``offset`` and the rows still to skip after it.

    Skipping N rows makes the database walk N index entries; a cursor starts right at its
    place. The first deep page of a list (filters and sort) finds the row before it once and
    the service process remembers it: later pages by number at or after it cost what a
    cursor page costs. Forgotten after :data:`MARK_TTL_S`, or at once by :func:`forget_marks`
    (the service calls it when a project's findings change)."""
    key = (tuple(flt.severity), tuple(flt.status), flt.tool, flt.owner, flt.overdue, flt.q, tuple(flt.rule),
           flt.path, flt.unowned, tuple(flt.ids), sort)
    now = time.monotonic()
    with _marks_guard:
        held: tuple[float, dict[Any, dict[int, str]]] | None = store.memo.get(("page-marks", pid))
        if held is None or held[0] < now:
            held = (now + MARK_TTL_S, {})
            store.memo[("page-marks", pid)] = held
        marks = held[1].setdefault(key, {})
        known = max((at for at in marks if at <= offset), default=None)
    if known is not None and offset - known < MARK_FROM:
        return marks[known], offset - known
    column = SORT_KEYS[sort][0]
    base, skip = (query.where(_after(sort, marks[known])), offset - known - 1) if known is not None \
        else (query, offset - 1)
    before = conn.execute(base.add_columns(column).order_by(*_order(sort)).offset(skip).limit(1)).first()
    if before is None:
        return None, offset  # past the end: the page is empty either way
    cursor = _cursor(sort, before[1], before[0])
    with _marks_guard:
        if len(marks) < 1000:
            marks[offset] = cursor
    return cursor, 0


def forget_marks(store: Store, pid: int) -> None:
    """Forget the remembered rows of a project's lists (its findings changed)."""
    store.memo.pop(("page-marks", pid), None)


EXPORT_COLUMNS = ("id", "severity", "status", "title", "rule", "category", "component", "file", "line", "resource",
                  "image", "owner", "due", "first_seen", "tools", "fingerprint")
"""Columns of a findings list exported as CSV."""


def export_csv(store: Store, pid: int | None, flt: FindingFilter) -> Iterator[str]:
    """Every finding the filter matches, in its sort order, as CSV lines (a header first; only
    the header for a project without data), read 500 at a time; cells that a spreadsheet would
    run as a formula are quoted."""
    yield csv_line(EXPORT_COLUMNS)
    after = None
    while pid is not None:
        page = list_page(store, pid, replace(flt, page=1, per_page=500, after=after))
        yield "".join(csv_line(safe_cell(item.get(c)) for c in EXPORT_COLUMNS) for item in page.items)
        if page.next_cursor is None:
            return
        after = page.next_cursor
