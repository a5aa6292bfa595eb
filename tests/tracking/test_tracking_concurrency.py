"""Data safety across OS processes: parallel imports, and imports killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from cnsmm.tracking.models import FindingSource, Project, Scan, TrackedFinding
from cnsmm.tracking.store import Store

from .conftest import REPO_ROOT


def _worker(url: str, project: str, scope: str, start: int, count: int, *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.tracking.store_worker", url, project, scope, str(start), str(count), *extra],
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _finish(proc: subprocess.Popen[bytes], timeout: float = 300) -> None:
    _, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err.decode()


def _counts(store: Store, project: str) -> tuple[int, int, int]:
    with store.read() as conn:
        pid = conn.execute(select(Project.id).where(Project.name == project)).scalar()
        if pid is None:
            return (0, 0, 0)
        return (
            conn.execute(
                select(func.count()).select_from(TrackedFinding).where(TrackedFinding.project_id == pid)
            ).scalar_one(),
            conn.execute(
                select(func.count())
                .select_from(FindingSource)
                .join(TrackedFinding, TrackedFinding.id == FindingSource.finding_id)
                .where(TrackedFinding.project_id == pid)
            ).scalar_one(),
            conn.execute(select(func.count()).select_from(Scan).where(Scan.project_id == pid)).scalar_one(),
        )


def _wait_for(marker: Path, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not marker.exists():
        if proc.poll() is not None:
            _, err = proc.communicate()
            raise AssertionError(f"worker ended early: {err.decode()}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("worker did not reach the kill point")
        time.sleep(0.05)


def test_parallel_imports_lose_and_duplicate_nothing(db_url: str, store: Store, project: str) -> None:
    # Four processes, overlapping ranges of the same image's CVEs, two imports each.
    ranges = [(0, 1000), (700, 1000), (1400, 1000), (300, 1000)]
    procs = [
        _worker(db_url, project, f"image:web#{i}", start, count, "--repeat", "2")
        for i, (start, count) in enumerate(ranges)
    ]
    for proc in procs:
        _finish(proc)
    distinct = len({n for start, count in ranges for n in range(start, start + count)})
    findings, sources, scans = _counts(store, project)
    assert findings == distinct  # nothing lost, nothing duplicated
    assert sources == sum(count for _, count in ranges)  # one source per worker scope and finding
    assert scans == 2 * len(ranges)
    with store.read() as conn:
        dupes = conn.execute(
            select(TrackedFinding.fingerprint)
            .group_by(TrackedFinding.project_id, TrackedFinding.fingerprint)
            .having(func.count() > 1)
        ).all()
    assert dupes == []


@pytest.mark.parametrize("where", ["staging", "merge"])
def test_import_killed_midway_leaves_the_store_consistent(
    db_url: str, store: Store, project: str, tmp_path: Path, where: str
) -> None:
    _finish(_worker(db_url, project, "image:web", 0, 800))
    before = _counts(store, project)
    marker = tmp_path / "reached"
    hold = ["--hold-in-merge", str(marker)] if where == "merge" else ["--hold-at-item", "500", str(marker)]
    # This import would add 400 findings and close 400 as fixed, if it committed.
    proc = _worker(db_url, project, "image:web", 400, 800, *hold)
    _wait_for(marker, proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert _counts(store, project) == before
    with store.read() as conn:
        fixed = conn.execute(
            select(func.count())
            .select_from(TrackedFinding)
            .join(Project, Project.id == TrackedFinding.project_id)
            .where(Project.name == project, TrackedFinding.status == "fixed")
        ).scalar_one()
        if conn.dialect.name == "sqlite":
            assert conn.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
    assert fixed == 0
    # The next import works (no lock left behind) and sees the store as it was.
    _finish(_worker(db_url, project, "image:web", 400, 800))
    assert _counts(store, project) == (1200, 1200, before[2] + 1)


def test_write_now_gives_up_at_once_while_another_writer_holds_the_lock(store: Store, project: str) -> None:
    import threading

    from cnsmm.errors import StoreBusyError
    from cnsmm.tracking.projects import ensure_project

    with store.write() as conn:
        pid = ensure_project(conn, project)
    rename = text("UPDATE projects SET settings = :s WHERE id = :i")
    held, release = threading.Event(), threading.Event()

    def writer() -> None:
        with store.write() as conn:
            conn.execute(rename, {"s": '{"by": "import"}', "i": pid})
            held.set()
            release.wait(60)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert held.wait(30)
        started = time.monotonic()
        with pytest.raises(StoreBusyError, match="busy"), store.write_now() as conn:
            conn.execute(rename, {"s": '{"by": "bookkeeping"}', "i": pid})
        assert time.monotonic() - started < 5
    finally:
        release.set()
        thread.join(60)
    with store.write_now() as conn:  # free again: the write is done, and waits keep their usual length
        conn.execute(rename, {"s": '{"by": "later"}', "i": pid})
    with store.read() as conn:
        assert conn.scalar(select(Project.settings).where(Project.id == pid)) == {"by": "later"}
    if store.dialect == "sqlite":
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
