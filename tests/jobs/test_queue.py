"""The job table's life cycle: uploads kept before the answer, leases, retries, the end of
retries, and a job that can be done only once."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from tests.jobs.conftest import Db

from cnsmm.jobs import queue, spool
from cnsmm.jobs.queue import JobSettings
from cnsmm.tracking.importer import ImportSummary
from cnsmm.tracking.store import utcnow
from cnsmm.web.models import Job, JobChunk

SETTINGS = JobSettings(lease_s=30, max_attempts=2)


def _upload(tmp_path: Path, data: bytes) -> spool.Received:
    path = tmp_path / "report.json"
    path.write_bytes(data)
    import hashlib

    return spool.Received(str(path), len(data), hashlib.sha256(data).hexdigest())


def _expire(db: Db, job_id: str) -> None:
    with db.store.write() as conn:
        conn.execute(update(Job).where(Job.id == job_id).values(lease_until=utcnow() - timedelta(seconds=1)))


def _row(db: Db, job_id: str) -> Job:
    with db.store.read() as conn:
        return conn.execute(select(Job).where(Job.id == job_id)).one()  # type: ignore[return-value]


def test_the_upload_is_kept_in_the_store_and_read_back_byte_for_byte(db: Db, tmp_path: Path) -> None:
    data = os.urandom(spool.CHUNK) + b'{"SchemaVersion": 2}' * 70_000  # several chunks, one incompressible
    job_id = queue.create_import(db.store, "keep", "ci", {"name": "r.json"}, _upload(tmp_path, data))
    with db.store.read() as conn:
        assert conn.scalar(select(func.count()).select_from(JobChunk).where(JobChunk.job_id == job_id)) == 3
    back = tmp_path / "back.json"
    assert spool.write_file(db.store, job_id, str(back)) == len(data)
    assert back.read_bytes() == data
    assert _row(db, job_id).status == "queued" and _row(db, job_id).upload_size == len(data)


def test_a_job_whose_worker_died_is_retried_then_failed_with_the_reason(db: Db, tmp_path: Path) -> None:
    job_id = queue.create_import(db.store, "dead", "ci", {"name": "r.json"}, _upload(tmp_path, b"{}"))
    first = queue.claim(db.store, SETTINGS)
    assert first is not None and first.job_id == job_id and first.attempt == 1
    assert queue.claim(db.store, SETTINGS) is None  # held: nobody else gets it
    assert queue.reap(db.store, SETTINGS) == []  # the lease is still valid
    _expire(db, job_id)  # the worker died: nobody renews the lease
    assert queue.reap(db.store, SETTINGS) == [job_id]
    assert _row(db, job_id).status == "queued" and "stopped" in (_row(db, job_id).error or "")
    second = queue.claim(db.store, SETTINGS)
    assert second is not None and second.attempt == 2
    assert not queue.renew(db.store, first, SETTINGS)  # the dead worker's claim is void
    assert queue.renew(db.store, second, SETTINGS)
    _expire(db, job_id)
    assert queue.reap(db.store, SETTINGS) == []  # no attempts left: failed, not queued
    row = _row(db, job_id)
    assert row.status == "failed" and "stopped 2 times" in (row.error or "") and row.finished_at is not None
    with db.store.read() as conn:
        assert conn.scalar(select(func.count()).select_from(JobChunk).where(JobChunk.job_id == job_id)) == 0


def test_a_job_is_done_once_however_many_starts_reach_the_merge(db: Db, tmp_path: Path) -> None:
    job_id = queue.create_import(db.store, "once", "ci", {"name": "r.json"}, _upload(tmp_path, b"{}"))
    slow = queue.claim(db.store, SETTINGS)
    assert slow is not None
    _expire(db, job_id)
    queue.reap(db.store, SETTINGS)
    fast = queue.claim(db.store, SETTINGS)
    assert fast is not None and fast.token != slow.token
    summary = ImportSummary("once", 1, "r.json", "trivy", "img", 1, 1, 1, 0, 0, 0, 0)
    with db.store.write() as conn:
        queue.finish(conn, fast, summary)
    with pytest.raises(queue.JobSuperseded), db.store.write() as conn:  # the late start must roll back
        queue.finish(conn, slow, summary)
    assert _row(db, job_id).status == "done" and _row(db, job_id).result == {**summary.__dict__, "errors": []}
    assert queue.fail(db.store, slow, "late", SETTINGS, retry=True) == "superseded"


def test_a_failed_start_is_retried_while_attempts_remain_then_fails_with_its_message(db: Db, tmp_path: Path) -> None:
    job_id = queue.create_import(db.store, "errs", "ci", {"name": "r.json"}, _upload(tmp_path, b"{}"))
    held = queue.claim(db.store, SETTINGS)
    assert held is not None
    assert queue.fail(db.store, held, "store busy", SETTINGS, retry=True) == "queued"
    held = queue.claim(db.store, SETTINGS)
    assert held is not None and held.attempt == 2
    assert queue.fail(db.store, held, "r.json: not JSON", SETTINGS, retry=True) == "failed"  # attempts spent
    assert _row(db, job_id).error == "r.json: not JSON"
