"""Background jobs on PostgreSQL through procrastinate, a PostgreSQL task queue.

Every ``cnsmm serve`` replica defers a task per accepted upload; the workers of every
``cnsmm worker`` process (and of the servers, unless started with ``--no-worker``) fetch
them (``FOR UPDATE SKIP LOCKED``, woken by ``LISTEN/NOTIFY``). Procrastinate's ``lock`` per
project runs one import of a project at a time (its merge is serialised anyway), so the
other workers serve other projects meanwhile. The job's own lease and attempts in
``web_jobs`` (:mod:`queue`) decide what runs: a task whose job is done, failed or held by a
live worker does nothing, so a task that runs twice imports nothing twice.

A maintenance loop in each worker process re-queues the jobs of dead workers, retries the
procrastinate tasks of dead workers (its documented way out of stalled jobs) and defers
again the jobs whose task was never deferred (a server that stopped right after its answer).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from cnsmm.errors import Error
from cnsmm.jobs import execute, queue
from cnsmm.tracking.store import Store, utcnow

log = logging.getLogger("cnsmm.jobs")
TASK = "cnsmm.import"
QUEUE = "cnsmm-imports"
_SCHEMA_LOCK = 7_276_002


def _procrastinate() -> Any:
    try:
        import procrastinate
    except ModuleNotFoundError:
        raise Error("background jobs on PostgreSQL need procrastinate", hint="pip install 'cnsmm[postgres]'") from None
    return procrastinate


def ensure_schema(store: Store) -> None:
    """Create procrastinate's tables in the store's database when they are missing."""
    _procrastinate()
    with store.write() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SCHEMA_LOCK})
        if conn.scalar(text("SELECT to_regclass('procrastinate_jobs')")) is None:
            from procrastinate.schema import SchemaManager

            cursor = conn.connection.cursor()  # no parameters: the script's % signs are literal
            try:
                cursor.execute(SchemaManager.get_schema())
            finally:
                cursor.close()


class PgQueue:
    """The procrastinate app over the store's database, with the import task registered."""

    def __init__(self, store: Store, settings: queue.JobSettings, *, concurrency: int = 2) -> None:
        procrastinate = _procrastinate()
        conninfo = store.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.store, self.settings, self.concurrency = store, settings, concurrency
        self.app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo, min_size=1,
                                                                               max_size=concurrency + 4))
        self.task = self.app.task(name=TASK, queue=QUEUE)(self._run)
        self._tasks: list[asyncio.Task[None]] = []

    def _run(self, job_id: str) -> None:
        """The task: run the web job if it is queued (else another start has it or had it)."""
        held = queue.claim(self.store, self.settings, job_id)
        if held is not None:
            execute.run(self.store, held, self.settings)

    async def open(self) -> None:
        """Open the connection pool (creating procrastinate's tables first, when missing)."""
        await run_in_threadpool(ensure_schema, self.store)
        await self.app.open_async()

    async def defer(self, job_id: str, project: str) -> None:
        """Hand the job to the workers (nothing happens when it is already waiting)."""
        procrastinate = _procrastinate()
        with contextlib.suppress(procrastinate.exceptions.AlreadyEnqueued):
            await self.task.configure(lock=f"project:{project}", queueing_lock=f"job:{job_id}").defer_async(
                job_id=job_id)

    async def work(self) -> None:
        """Run ``concurrency`` jobs at a time, and the maintenance loop, until cancelled."""
        beat = max(1.0, self.settings.lease_s / 4)
        worker = self.app.run_worker_async(queues=[QUEUE], concurrency=self.concurrency, install_signal_handlers=False,
                                           update_heartbeat_interval=beat, stalled_worker_timeout=self.settings.lease_s,
                                           listen_notify=True, fetch_job_polling_interval=beat,
                                           delete_jobs="successful")  # the job table keeps the outcome
        self._tasks = [asyncio.ensure_future(worker), asyncio.ensure_future(self._maintain())]
        try:
            await asyncio.gather(*self._tasks)
        finally:
            for task in self._tasks:
                task.cancel()

    async def _maintain(self) -> None:
        while True:
            try:
                await self.maintain_once()
            except Exception:
                log.exception("background job maintenance")
            await asyncio.sleep(max(1.0, self.settings.lease_s / 4))

    async def maintain_once(self) -> None:
        """Re-queue the jobs of dead workers, retry their tasks, and defer forgotten jobs."""
        for job_id in await run_in_threadpool(queue.reap, self.store, self.settings):
            log.info("job %s: its worker stopped; queued again", job_id)
        procrastinate = _procrastinate()
        manager = self.app.job_manager
        for stalled in await manager.get_stalled_jobs(seconds_since_heartbeat=self.settings.lease_s):
            if stalled.task_name != TASK:
                continue
            # retrying frees the project's lock; the task then finds its job queued again. When
            # the job was deferred anew meanwhile (the same queueing lock), the old task just ends.
            try:
                await manager.retry_job(stalled)
            except procrastinate.exceptions.UniqueViolation:
                await manager.finish_job(stalled, status=procrastinate.jobs.Status.FAILED, delete_job=False)
        before = utcnow() - timedelta(seconds=self.settings.lease_s)
        for job_id, project in await run_in_threadpool(queue.queued_since, self.store, before):
            await self.defer(job_id, project)

    async def close(self) -> None:
        """Close the connection pool."""
        await self.app.close_async()
