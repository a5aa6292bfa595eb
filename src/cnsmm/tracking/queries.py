"""Reading findings: filtered lists (streamed) and the full record of one finding."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Connection, Row, Table, select

from cnsmm.errors import FindingNotFoundError
from cnsmm.tracking.listing import FindingFilter
from cnsmm.tracking.models import (
    Comment,
    Description,
    FindingSource,
    Project,
    Scan,
    SourceStream,
    StatusChange,
    TrackedFinding,
)
from cnsmm.tracking.projects import project_id
from cnsmm.tracking.states import OPEN_STATES, Status
from cnsmm.tracking.store import Store, utcnow
from cnsmm.tracking.workflow import expire_risk_acceptances

F = cast(Table, TrackedFinding.__table__)
SRC = cast(Table, FindingSource.__table__)
STREAMS = cast(Table, SourceStream.__table__)
HIST = cast(Table, StatusChange.__table__)
COMMENTS = cast(Table, Comment.__table__)
_CHUNK = 1000


@dataclass(frozen=True)
class FindingView:
    """A tracked finding as shown to users and exported."""

    id: int
    fingerprint: str
    status: str
    severity: str
    title: str
    tools: tuple[str, ...]
    owner: str | None
    due: date | None
    rule: str
    category: str
    kind: str
    component: str | None
    installed_version: str | None
    fixed_version: str | None
    location: str
    first_seen: datetime
    last_seen: datetime | None
    regression: bool
    overdue: bool
    aliases: tuple[str, ...] = ()
    cwe: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    """Details shown by ``findings show`` (message, description, risk acceptance, ...)."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready mapping (dates as ISO strings)."""
        out: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, date | datetime):
                value = value.isoformat()
            elif isinstance(value, tuple):
                value = list(value)
            if name == "extra":
                out.update({k: v.isoformat() if isinstance(v, date | datetime) else v for k, v in value.items()})
            else:
                out[name] = value
        return out


def _location(row: Row[Any]) -> str:
    if row.file:
        return f"{row.file}:{row.line}" if row.line else str(row.file)
    return str(row.resource or row.image or row.url or "-")


def _view(row: Row[Any], sources: list[Any], today: date, extra: dict[str, Any] | None = None) -> FindingView:
    seen = [s.stream_seen if s.active else s.last_seen for s in sources]
    seen_known = [s for s in seen if s is not None]
    return FindingView(
        id=row.id,
        fingerprint=row.fingerprint,
        status=row.status,
        severity=row.severity,
        title=row.title,
        tools=tuple(sorted({s.tool for s in sources})),
        owner=row.owner,
        due=row.due,
        rule=row.rule,
        category=row.category,
        kind=row.kind,
        component=row.component,
        installed_version=row.installed_version,
        fixed_version=row.fixed_version,
        location=_location(row),
        first_seen=row.first_seen,
        last_seen=max(seen_known) if seen_known else None,
        regression=bool(row.regression),
        overdue=bool(row.due and row.due < today and row.status in OPEN_STATES),
        aliases=tuple((row.aliases or "").split()),
        cwe=tuple((row.cwe or "").split()),
        extra=extra or {},
    )


def _sources(conn: Connection, ids: list[int]) -> dict[int, list[Any]]:
    query = (
        select(
            SRC.c.finding_id,
            STREAMS.c.tool,
            STREAMS.c.scope,
            SRC.c.active,
            SRC.c.last_seen,
            STREAMS.c.last_seen.label("stream_seen"),
            SRC.c.first_seen,
        )
        .join(STREAMS, STREAMS.c.id == SRC.c.stream_id)
        .where(SRC.c.finding_id.in_(ids))
    )
    out: dict[int, list[Any]] = {i: [] for i in ids}
    for row in conn.execute(query):
        out[row.finding_id].append(row)
    return out


def reopen_expired(store: Store, project: str) -> int:
    """Reopen the project's expired risk acceptances (a write only when there are some)."""
    today = utcnow().date()
    with store.read() as conn:
        pid = project_id(conn, project)
        pending = conn.execute(
            select(F.c.id)
            .where(F.c.project_id == pid, F.c.status == Status.RISK_ACCEPTED.value, F.c.risk_expires < today)
            .limit(1)
        ).first()
    if pending is None:
        return 0
    with store.write() as conn:
        return expire_risk_acceptances(conn, pid)


def list_findings(store: Store, project: str, flt: FindingFilter | None = None) -> Iterator[FindingView]:
    """The project's findings matching ``flt`` in its sort order (most severe first by
    default), from its cursor ``after`` on, streamed in chunks."""
    return iter(_listed(store, project, flt or FindingFilter(), None)[0])


def findings_page(
    store: Store, project: str, flt: FindingFilter, limit: int
) -> tuple[list[FindingView], str | None]:
    """At most ``limit`` findings matching ``flt`` from its cursor ``after`` on, and the cursor
    of the next page (None on the last one)."""
    views, cursor = _listed(store, project, flt, max(1, limit))
    return list(views), cursor


def _listed(
    store: Store, project: str, flt: FindingFilter, limit: int | None
) -> tuple[Iterator[FindingView], str | None]:
    from cnsmm.tracking import listing

    reopen_expired(store, project)
    today = utcnow().date()
    sort = flt.sort if flt.sort in listing.SORT_KEYS else "severity"
    key_column = listing.SORT_KEYS[sort][0]
    if limit is not None:
        with store.read() as conn:
            query = listing.filtered(conn, project_id(conn, project), flt, (F, key_column.label("sort_key")))
            if flt.after:
                query = query.where(listing.after(sort, flt.after))
            rows = conn.execute(query.order_by(*listing.order(sort)).limit(limit + 1)).all()
            sources = _sources(conn, [r.id for r in rows[:limit]])
        cursor = listing.make_cursor(sort, rows[limit - 1].sort_key, rows[limit - 1].id) if len(rows) > limit else None
        return iter([_view(r, sources[r.id], today) for r in rows[:limit]]), cursor

    def stream() -> Iterator[FindingView]:
        with store.read() as conn:
            query = listing.filtered(conn, project_id(conn, project), flt, (F,))
            if flt.after:
                query = query.where(listing.after(sort, flt.after))
            result = conn.execute(query.order_by(*listing.order(sort)))
            while chunk := result.fetchmany(_CHUNK):
                sources = _sources(conn, [r.id for r in chunk])
                for row in chunk:
                    yield _view(row, sources[row.id], today)

    return stream(), None


def description_text(conn: Connection, digest: str | None) -> str | None:
    """The long description stored under ``digest`` (None without one)."""
    if digest is None:
        return None
    text: str | None = conn.scalar(select(Description.text).where(Description.digest == digest))
    return text


def get_finding(store: Store, finding_id: int) -> tuple[FindingView, list[dict[str, Any]], list[dict[str, Any]]]:
    """One finding with its details, its status history and its comments (oldest first)."""
    with store.read() as conn:
        row = conn.execute(select(F).where(F.c.id == finding_id)).first()
        if row is None:
            raise FindingNotFoundError(
                f"no finding with id {finding_id}", hint="List ids with `cnsmm findings list --project P`"
            )
        sources = _sources(conn, [finding_id])[finding_id]
        project = conn.execute(select(Project.name).where(Project.id == row.project_id)).scalar_one()
        first_scan = conn.execute(select(Scan.source_name).where(Scan.id == row.first_scan_id)).scalar()
        checkouts = {  # the repository and commit of each stream's latest scan
            (c.tool, c.scope): {"repository": c.repository, "commit": c.commit}
            for c in conn.execute(
                select(STREAMS.c.tool, STREAMS.c.scope, Scan.repository, Scan.commit)
                .join(Scan, Scan.id == STREAMS.c.last_scan_id)
                .where(STREAMS.c.id.in_(select(SRC.c.stream_id).where(SRC.c.finding_id == finding_id)))
            )
        }
        extra = {
            "project": project,
            "message": row.message,
            "description": description_text(conn, row.description_digest),
            "fix": row.fix,
            "vuln_id": row.vuln_id,
            "tool_severity": row.tool_severity,
            "severity_source": "tool" if row.tool_severity else "cnsmm",
            "resource": row.resource,
            "image": row.image,
            "url": row.url,
            "reference": row.reference,
            "fixed_at": row.fixed_at,
            "risk_approver": row.risk_approver,
            "risk_reason": row.risk_reason,
            "risk_expires": row.risk_expires,
            "duplicate_of": row.duplicate_of,
            "first_reported_in": first_scan,
            "sources": [
                {"tool": s.tool, "scope": s.scope, "active": bool(s.active), "first_seen": s.first_seen.isoformat(),
                 **checkouts.get((s.tool, s.scope), {})}
                for s in sources
            ],
        }
        history = [
            {
                "at": h.at.isoformat(),
                "actor": h.actor,
                "from": h.from_status,
                "to": h.to_status,
                "reason": h.reason,
                "scan_id": h.scan_id,
            }
            for h in conn.execute(select(HIST).where(HIST.c.finding_id == finding_id).order_by(HIST.c.id))
        ]
        comments = [
            {"at": c.at.isoformat(), "author": c.author, "text": c.text}
            for c in conn.execute(select(COMMENTS).where(COMMENTS.c.finding_id == finding_id).order_by(COMMENTS.c.id))
        ]
    return _view(row, sources, utcnow().date(), extra), history, comments


__all__ = ["FindingFilter", "FindingView", "findings_page", "get_finding", "list_findings", "reopen_expired"]
