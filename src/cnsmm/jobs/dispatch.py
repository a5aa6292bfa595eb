"""Who runs the jobs of a store: chosen by its database, used by ``serve`` and ``worker``.

- SQLite: :class:`EmbeddedRunner` threads (in ``cnsmm serve``, or in ``cnsmm worker``
  processes on the same machine as the database file).
- PostgreSQL: procrastinate (:class:`PgQueue`): every server defers a task per job, and
  the workers of every ``cnsmm worker`` (and of the servers, unless ``--no-worker``) run them.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from typing import Protocol

from cnsmm.jobs.embedded import EmbeddedRunner
from cnsmm.jobs.queue import JobSettings
from cnsmm.tracking.store import Store

ENV_WORKERS = "CNSMM_JOB_WORKERS"


def default_workers() -> int:
    """Jobs run at once per process: ``$CNSMM_JOB_WORKERS`` (0: none, jobs are left to
    ``cnsmm worker`` processes), else 2."""
    try:
        return max(0, min(64, int(os.environ.get(ENV_WORKERS, "2"))))
    except ValueError:
        return 2


class Dispatcher(Protocol):
    """Hands accepted jobs to workers (and runs some here, when this process has workers)."""

    async def start(self) -> None:
        """Connect, and start this process's workers if it has any."""

    async def submitted(self, job_id: str, project: str) -> None:
        """A job was queued (its upload is already in the store)."""

    async def stop(self) -> None:
        """Stop this process's workers (running jobs finish, or are retried elsewhere)."""


class Embedded:
    """Jobs taken from the store by threads of this process (SQLite)."""

    def __init__(self, store: Store, settings: JobSettings, workers: int) -> None:
        self.runner = EmbeddedRunner(store, settings, workers) if workers else None

    async def start(self) -> None:
        if self.runner:
            self.runner.start()

    async def submitted(self, job_id: str, project: str) -> None:
        if self.runner:
            self.runner.submitted()

    async def stop(self) -> None:
        if self.runner:
            runner = self.runner
            await asyncio.get_running_loop().run_in_executor(None, runner.shutdown)


class Procrastinate:
    """Jobs deferred to procrastinate (PostgreSQL); ``workers`` of them run in this process."""

    def __init__(self, store: Store, settings: JobSettings, workers: int) -> None:
        from cnsmm.jobs.pgqueue import PgQueue

        self.queue = PgQueue(store, settings, concurrency=max(1, workers))
        self.workers = workers
        self.running: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.queue.open()
        if self.workers:
            self.running = asyncio.ensure_future(self.queue.work())

    async def submitted(self, job_id: str, project: str) -> None:
        await self.queue.defer(job_id, project)

    async def stop(self) -> None:
        if self.running is not None:
            self.running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.running
        await self.queue.close()


def dispatcher(store: Store, *, workers: int | None = None, settings: JobSettings | None = None) -> Dispatcher:
    """The dispatcher for ``store``, with ``workers`` jobs at a time in this process (0: none)."""
    settings = settings or JobSettings.from_env()
    count = default_workers() if workers is None else workers
    if store.dialect == "postgresql":
        return Procrastinate(store, settings, count)
    return Embedded(store, settings, count)
