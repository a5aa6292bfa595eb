"""Read queries of the web service: project ids and tools, details, overview figures.

Findings lists (filters, sort, pages, CSV) are built by :mod:`cnsmm.tracking.listing`, the
same code the CLI uses; they are re-exported here for the routes. All queries are
parameterised SQLAlchemy Core; ``project`` is always part of the WHERE clause, so one
project's data never appears in another's answer.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import date
from typing import Any

from sqlalchemy import case, func, select

from cnsmm.findings import Severity
from cnsmm.tracking.listing import (
    MAX_CURSOR,
    MAX_ID,
    SORT_KEYS,
    TOTAL_CAP,
    CursorError,
    FindingFilter,
    FindingsPage,
    export_csv,
    forget_marks,
    list_page,
)
from cnsmm.tracking.models import Comment, FindingSource, Project, Scan, SourceStream, StatusChange, TrackedFinding
from cnsmm.tracking.queries import description_text
from cnsmm.tracking.states import OPEN_STATES
from cnsmm.tracking.store import Store, utcnow

__all__ = ["MAX_CURSOR", "MAX_ID", "SORT_KEYS", "TOTAL_CAP", "CursorError", "FindingFilter", "FindingsPage", "detail",
           "export_csv", "list_page", "overview", "project_changed", "project_id", "project_names", "project_tools"]
F = TrackedFinding.__table__
SRC = FindingSource.__table__
STREAM = SourceStream.__table__
SCAN = Scan.__table__


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


def detail(store: Store, pid: int, finding_id: int) -> dict[str, Any] | None:
    """A finding with its sources, status history and comments; None when not in the project."""
    with store.read() as conn:
        row = conn.execute(select(F).where(F.c.id == finding_id, F.c.project_id == pid)).first()
        if row is None:
            return None
        item = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row._mapping.items()}
        item["description"] = description_text(conn, item.pop("description_digest"))
        item["severity_source"] = "tool" if row.tool_severity else "cnsmm"
        item["sources"] = [
            {k: (v.isoformat(timespec="seconds") if hasattr(v, "isoformat") else v) for k, v in s._mapping.items()}
            for s in conn.execute(
                select(STREAM.c.tool, STREAM.c.scope, SRC.c.active, SRC.c.first_seen,
                       func.coalesce(SRC.c.last_seen, STREAM.c.last_seen).label("last_seen"),
                       SCAN.c.repository, SCAN.c.commit)
                .join(STREAM, STREAM.c.id == SRC.c.stream_id)
                .outerjoin(SCAN, SCAN.c.id == STREAM.c.last_scan_id)
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
    forget_marks(store, pid)
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
