"""The life of a background job in the ``web_jobs`` table: queued, claimed under a lease,
renewed while it runs, done or failed; queued again (or failed) when its worker died.

Every change is one short transaction with a condition on the job's state, so any number of
workers, in any processes, on SQLite or PostgreSQL, can share the table: at most one holds a
job at a time (PostgreSQL picks with ``FOR UPDATE SKIP LOCKED``; SQLite has one writer).
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Table, and_, exists, insert, or_, select, update

from cnsmm.errors import StoreBusyError
from cnsmm.jobs import spool
from cnsmm.jobs.models import Job
from cnsmm.tracking.importer import ImportSummary
from cnsmm.tracking.projects import ensure_project
from cnsmm.tracking.store import Store, utcnow

J = cast(Table, Job.__table__)
ACTIVE = ("queued", "running")


@dataclass(frozen=True)
class JobSettings:
    """How long a worker's claim lasts without renewal, and how often a job is started."""

    lease_s: float = 60.0
    """A worker renews its lease every quarter of this; a job whose lease has expired for
    this long is taken as abandoned by a dead worker (env ``CNSMM_JOB_LEASE``)."""
    max_attempts: int = 3
    """Starts of one job before it fails for good (env ``CNSMM_JOB_ATTEMPTS``)."""

    @classmethod
    def from_env(cls) -> JobSettings:
        """The settings from the environment (defaults where unset or invalid)."""
        def number(name: str, default: float, low: float) -> float:
            try:
                return max(low, float(os.environ.get(name, default)))
            except ValueError:
                return default

        return cls(lease_s=number("CNSMM_JOB_LEASE", 60.0, 1.0),
                   max_attempts=int(number("CNSMM_JOB_ATTEMPTS", 3, 1)))


@dataclass(frozen=True)
class Claim:
    """A job a worker holds: what to do, and the token that proves the lease is its own."""

    job_id: str
    project: str
    actor: str
    params: dict[str, Any]
    sha256: str
    attempt: int
    token: str


class JobSuperseded(Exception):
    """The job finished (or failed for good) through another start: this one must not commit."""


def create_import(store: Store, project: str, actor: str, params: dict[str, Any], upload: spool.Received) -> str:
    """Queue the import of ``upload`` (its bytes copied into the store); returns the job id.
    Once this returns, the upload survives any crash."""
    job_id = str(uuid.uuid4())
    with store.write() as conn:
        ensure_project(conn, project)
        conn.execute(insert(J).values(id=job_id, project=project, kind="import", status="queued", created_by=actor,
                                      created_at=utcnow(), params=params, attempts=0, upload_size=upload.size,
                                      upload_sha256=upload.sha256))
        spool.store_chunks(conn, job_id, upload.path)
    return job_id


def claim(store: Store, settings: JobSettings, job_id: str | None = None) -> Claim | None:
    """Take a queued job (``job_id``, or the oldest) under a new lease, or None.

    Only one job of a project runs at a time (their merges take turns anyway): a project's
    large import, or a queue of them, leaves the other workers to other projects' imports."""
    now = utcnow()
    busy = J.alias("busy")
    project_busy = exists().where(busy.c.project == J.c.project, busy.c.status == "running",
                                  busy.c.lease_until >= now)
    query = select(J.c.id).where(J.c.status == "queued")
    if job_id is not None:
        query = query.where(J.c.id == job_id)
    else:
        query = query.where(~project_busy).order_by(J.c.created_at, J.c.id)
    query = query.limit(1).with_for_update(skip_locked=True, of=J)
    token = secrets.token_hex(16)
    with store.write() as conn:
        found = conn.scalar(query)
        if found is None:
            return None
        conn.execute(update(J).where(J.c.id == found).values(
            status="running", attempts=J.c.attempts + 1, lease_owner=token, lease_until=_until(now, settings),
            started_at=now))
        row = conn.execute(select(J).where(J.c.id == found)).one()
    return Claim(row.id, row.project, row.created_by, dict(row.params or {}), row.upload_sha256 or "", row.attempts,
                 token)


def _until(now: datetime, settings: JobSettings) -> datetime:
    return now + timedelta(seconds=settings.lease_s)


def _mine(held: Claim) -> Any:
    return and_(J.c.id == held.job_id, J.c.status == "running", J.c.lease_owner == held.token)


def renew(store: Store, held: Claim, settings: JobSettings) -> bool:
    """Extend the lease; False when the job is no longer this worker's (or the store is busy
    for a moment on SQLite: the next renewal tries again)."""
    try:
        with store.write_now() as conn:
            return bool(conn.execute(update(J).where(_mine(held))
                                     .values(lease_until=_until(utcnow(), settings))).rowcount)
    except StoreBusyError:
        return True


def finish(conn: Connection, held: Claim, summary: ImportSummary) -> None:
    """Record the job as done, inside the import's merge transaction (:class:`JobSuperseded`
    when another start of it already committed, or it failed for good meanwhile)."""
    done = conn.execute(update(J).where(J.c.id == held.job_id, J.c.status.in_(ACTIVE)).values(
        status="done", finished_at=utcnow(), result=dataclasses.asdict(summary), error=None, lease_owner=None,
        lease_until=None))
    if done.rowcount != 1:
        raise JobSuperseded(held.job_id)
    spool.drop(conn, held.job_id)


def fail(store: Store, held: Claim, message: str, settings: JobSettings, *, retry: bool) -> str:
    """Record that this start failed: queued again when ``retry`` and attempts remain, else
    failed for good (its upload dropped). Returns the job's new status."""
    again = retry and held.attempt < settings.max_attempts
    with store.write() as conn:
        if again:
            changed = conn.execute(update(J).where(_mine(held)).values(
                status="queued", lease_owner=None, lease_until=None,
                error=f"attempt {held.attempt} failed ({message}); it will be retried")).rowcount
            return "queued" if changed else "superseded"
        changed = conn.execute(update(J).where(_mine(held)).values(
            status="failed", finished_at=utcnow(), error=message, lease_owner=None, lease_until=None)).rowcount
        if changed:
            spool.drop(conn, held.job_id)
    return "failed" if changed else "superseded"


def reap(store: Store, settings: JobSettings) -> list[str]:
    """Jobs whose worker stopped renewing its lease: queued again while attempts remain (their
    ids are returned, to be dispatched again), else failed with the reason."""
    now = utcnow()
    expired = and_(J.c.status == "running", or_(J.c.lease_until.is_(None), J.c.lease_until < now))
    with store.read() as conn:
        if conn.scalar(select(J.c.id).where(expired).limit(1)) is None:
            return []
    with store.write() as conn:
        rows = conn.execute(select(J.c.id, J.c.attempts).where(expired).with_for_update(skip_locked=True)).all()
        requeued = [r.id for r in rows if r.attempts < settings.max_attempts]
        spent = [r.id for r in rows if r.attempts >= settings.max_attempts]
        if requeued:
            conn.execute(update(J).where(J.c.id.in_(requeued), expired).values(
                status="queued", lease_owner=None, lease_until=None,
                error="the worker running this job stopped before it finished; it will be retried"))
        for job_id in spent:
            conn.execute(update(J).where(J.c.id == job_id, expired).values(
                status="failed", finished_at=now, lease_owner=None, lease_until=None,
                error=f"the worker running this job stopped {settings.max_attempts} times before it finished; "
                      "nothing was imported. Upload the report again; if this repeats, the service logs tell why"))
            spool.drop(conn, job_id)
    return requeued


def queued_since(store: Store, before: datetime) -> list[tuple[str, str]]:
    """(job id, project) of the jobs queued before ``before`` (to dispatch again, in case the
    process that accepted them stopped before it handed them to the task queue)."""
    with store.read() as conn:
        rows = conn.execute(select(J.c.id, J.c.project).where(J.c.status == "queued", J.c.created_at < before)
                            .order_by(J.c.created_at).limit(1000)).all()
    return [(r.id, r.project) for r in rows]

