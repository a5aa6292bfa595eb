"""Importing a parsed report into a project: stage, then merge in one transaction.

1. The findings are streamed into a temporary staging table (see :mod:`staging`). Nothing
   in the store changes; a report that fails at item 500 leaves no trace.
2. One write transaction (``BEGIN IMMEDIATE`` on SQLite, a per-project advisory lock on
   PostgreSQL) merges the staged rows with set-based statements: reopen regressions, refresh
   the findings seen again, insert the new ones, record the sources, close as fixed what this
   tool and scope no longer report. A crash before the commit leaves the store as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, and_, exists, func, insert, literal, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.types import Boolean, DateTime, Integer, String

from cnsmm.importers.interface import ImportedReport
from cnsmm.tracking import staging
from cnsmm.tracking.models import FindingSource, Scan, StatusChange, TrackedFinding
from cnsmm.tracking.owners import OwnerResolver
from cnsmm.tracking.projects import ensure_project, project_settings
from cnsmm.tracking.sla import SlaPolicy
from cnsmm.tracking.store import Store, _begin_with_retry, lock_project, utcnow
from cnsmm.tracking.workflow import OPEN_STATES, Status, expire_risk_acceptances

F = cast(Table, TrackedFinding.__table__)
S = staging.stage
SRC = cast(Table, FindingSource.__table__)
HIST = cast(Table, StatusChange.__table__)
_SOURCE_COLUMNS = ["finding_id", "project_id", "tool", "scope", "active"]
_SOURCE_COLUMNS += ["first_scan_id", "last_scan_id", "first_seen", "last_seen"]


@dataclass(frozen=True)
class ImportSummary:
    """What an import changed."""

    project: str
    scan_id: int
    source: str
    tool: str
    scope: str
    read: int
    """Findings in the report (before deduplication)."""
    unique: int
    """Distinct fingerprints in the report."""
    new: int
    seen_again: int
    reopened: int
    """Fixed findings that came back (flagged as regressions)."""
    closed_fixed: int
    """Open findings this tool and scope no longer reported."""
    expired: int
    """Risk acceptances that had expired and were reopened."""


def import_report(
    store: Store,
    report: ImportedReport,
    *,
    project: str,
    source_name: str,
    source_sha256: str,
    actor: str,
    owners: OwnerResolver | None = None,
    sla: SlaPolicy | None = None,
    progress: Callable[[int], None] | None = None,
    batch_size: int = 5000,
) -> ImportSummary:
    """Import every finding of ``report`` into ``project``, all or nothing."""
    settings = project_settings(store, project)
    owners = owners if owners is not None else OwnerResolver.from_settings(settings)
    sla = sla or SlaPolicy.from_settings(settings.get("sla"))
    now = utcnow()
    due = {sev: sla.due(sev, now) for sev in sla.days}
    with store.engine.connect() as conn:
        try:
            with conn.begin():
                staging.create(conn)
                read = staging.load(
                    conn,
                    staging.rows(report.findings, report.scope, owners, due),
                    batch_size=batch_size,
                    progress=progress,
                )
            conn.execution_options(cnsmm_begin="IMMEDIATE")
            _begin_with_retry(conn)
            summary = _merge(
                conn,
                report,
                project=project,
                source_name=source_name,
                sha256=source_sha256,
                actor=actor,
                now=now,
                read=read,
            )
            conn.commit()
            return summary
        finally:
            if conn.in_transaction():
                conn.rollback()
            if not conn.closed and not conn.invalidated:
                with conn.begin():
                    staging.drop(conn)


def _merge(
    conn: Connection,
    report: ImportedReport,
    *,
    project: str,
    source_name: str,
    sha256: str,
    actor: str,
    now: datetime,
    read: int,
) -> ImportSummary:
    lock_project(conn, project)
    project_id = ensure_project(conn, project)
    generated = report.generated_at
    if generated is not None and generated.tzinfo is not None:
        generated = generated.astimezone(UTC).replace(tzinfo=None)
    scan_id: int = conn.execute(
        insert(Scan)
        .values(
            project_id=project_id,
            tool=report.tool[:100],
            tool_version=report.tool_version[:100] if report.tool_version else None,
            format=report.format[:50],
            kind=report.kind[:50],
            scope=report.scope,
            generated_at=generated,
            imported_at=now,
            imported_by=actor[:200],
            source_name=source_name,
            source_sha256=sha256,
        )
        .returning(Scan.id)
    ).scalar_one()
    expired = expire_risk_acceptances(conn, project_id, scan_id=scan_id)
    now_ = literal(now, DateTime())
    scan_ = literal(scan_id, Integer())
    match = (
        select(F.c.id)
        .where(F.c.project_id == project_id, F.c.fingerprint == S.c.fingerprint)
        .scalar_subquery()
    )
    conn.execute(update(S).values(finding_id=match))
    unique, seen = conn.execute(select(func.count(), func.count(S.c.finding_id))).one()

    # Fixed findings seen again: reopen them as regressions.
    came_back = and_(F.c.id.in_(select(S.c.finding_id)), F.c.status == Status.FIXED.value)
    reason = f"seen again by scan {scan_id} ({report.tool} {report.scope}): regression"
    _history(conn, came_back, Status.FIXED.value, Status.OPEN.value, reason=reason, scan_id=scan_id, now=now)
    reopened = conn.execute(
        update(F)
        .where(came_back)
        .values(status=Status.OPEN.value, regression=True, fixed_at=None, status_changed_at=now)
    ).rowcount

    # Findings seen again: refresh what the latest report says.
    conn.execute(
        update(F)
        .where(F.c.id == S.c.finding_id)
        .values(
            last_seen=now,
            last_scan_id=scan_id,
            severity=S.c.severity,
            severity_rank=S.c.severity_rank,
            tool_severity=S.c.tool_severity,
            title=S.c.title,
            message=S.c.message,
            fixed_version=S.c.fixed_version,
            file=S.c.file,
            line=S.c.line,
            owner=func.coalesce(F.c.owner, S.c.owner),
            due=func.coalesce(F.c.due, S.c.due),
        )
    )

    # New findings.
    cols = [c for c in staging.COLUMNS if c != "fingerprint"]
    new_rows = select(
        literal(project_id, Integer()),
        S.c.fingerprint,
        *[S.c[c] for c in cols],
        literal(Status.OPEN.value, String()),
        literal(False, Boolean()),
        now_,
        now_,
        scan_,
        scan_,
    ).where(S.c.finding_id.is_(None))
    target = ["project_id", "fingerprint", *cols, "status", "regression", "first_seen", "last_seen"]
    target += ["first_scan_id", "last_scan_id"]
    conn.execute(_insert(conn, F).from_select(target, new_rows).on_conflict_do_nothing())
    new = unique - seen  # exact: the project lock keeps other imports out of the merge
    conn.execute(update(S).where(S.c.finding_id.is_(None)).values(finding_id=match))

    # Sources: this tool and scope saw these findings in this scan.
    tool, scope = report.tool[:100], report.scope
    src_rows = select(
        S.c.finding_id,
        literal(project_id, Integer()),
        literal(tool, String()),
        literal(scope, String()),
        literal(True, Boolean()),
        scan_,
        scan_,
        now_,
        now_,
    ).where(true())
    upsert = _insert(conn, SRC).from_select(
        _SOURCE_COLUMNS,
        src_rows,
    )
    conn.execute(
        upsert.on_conflict_do_update(
            index_elements=["finding_id", "tool", "scope"],
            set_={"active": True, "last_scan_id": scan_id, "last_seen": now},
        )
    )
    this_source = and_(SRC.c.project_id == project_id, SRC.c.tool == tool, SRC.c.scope == scope)
    conn.execute(
        update(SRC)
        .where(this_source, SRC.c.active.is_(True), SRC.c.last_scan_id != scan_id)
        .values(active=False)
    )

    # Open findings that this tool and scope no longer report, and no other source still does.
    other = SRC.alias("other")
    gone = and_(
        F.c.id.in_(select(SRC.c.finding_id).where(this_source, SRC.c.active.is_(False))),
        F.c.status.in_([s.value for s in OPEN_STATES]),
        ~exists().where(other.c.finding_id == F.c.id, other.c.active.is_(True)),
    )
    reason = f"not reported by scan {scan_id} ({report.tool} {report.scope})"
    _history(conn, gone, None, Status.FIXED.value, reason=reason, scan_id=scan_id, now=now)
    closed = conn.execute(
        update(F).where(gone).values(status=Status.FIXED.value, fixed_at=now, status_changed_at=now)
    ).rowcount

    conn.execute(
        update(Scan)
        .where(Scan.id == scan_id)
        .values(finding_count=unique, new_count=new, reopened_count=reopened, fixed_count=closed)
    )
    return ImportSummary(
        project, scan_id, source_name, report.tool, scope, read, unique, new, seen, reopened, closed, expired
    )


def _insert(conn: Connection, table: Any) -> Any:
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def _history(
    conn: Connection, where: Any, old: str | None, new: str, *, reason: str, scan_id: int, now: datetime
) -> None:
    rows = select(
        F.c.id,
        literal(now, DateTime()),
        literal("cnsmm", String()),
        literal(old, String()) if old else F.c.status,
        literal(new, String()),
        literal(reason, String()),
        literal(scan_id, Integer()),
    ).where(where)
    conn.execute(
        insert(HIST).from_select(
            ["finding_id", "at", "actor", "from_status", "to_status", "reason", "scan_id"], rows
        )
    )
