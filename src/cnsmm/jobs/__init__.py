"""Durable background work: imports accepted by the service and run by workers.

An accepted upload is kept in the store (:mod:`spool`, compressed chunks beside its job row)
before the service answers 202, so a crash loses nothing. A worker *claims* a job
(:mod:`queue`): it holds a lease that it renews while it runs; when it dies, the lease
expires and the job is queued again (up to a few attempts) or failed with the reason, never
left ``running``. The import commits together with the job's ``done`` record, so a job is
imported once however often it is started (:mod:`execute`).

Who runs the jobs (:mod:`dispatch`): on SQLite, threads inside ``cnsmm serve`` or a
``cnsmm worker`` process (:mod:`embedded`); on PostgreSQL, the procrastinate task queue
(:mod:`pgqueue`), shared by every ``cnsmm serve`` replica and ``cnsmm worker`` process.
"""

from __future__ import annotations

from cnsmm.jobs.queue import Claim, JobSettings

__all__ = ["Claim", "JobSettings"]
