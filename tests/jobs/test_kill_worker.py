"""A worker killed with SIGKILL in the middle of an import: after a restart, every accepted
upload is imported exactly once, on SQLite and on PostgreSQL (through procrastinate)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.conftest import REPO
from tests.jobs.conftest import Db

from cnsmm.accounts.service import Role, create_token
from cnsmm.tracking.models import Project, Scan, TrackedFinding
from cnsmm.tracking.pipeline import file_sha256, import_path
from cnsmm.tracking.store import Store, open_store
from cnsmm.web.app import create_app
from cnsmm.web.models import Job, JobChunk

SAMPLES = REPO / "tests" / "importers" / "samples"
UPLOADS = [  # (project, file, scope): two projects, one with two reports
    ("kill-a", SAMPLES / "trivy-json" / "image.json", None),
    ("kill-b", SAMPLES / "grype-json" / "image.json", None),
    ("kill-a", SAMPLES / "trivy-json" / "config.json", "repo:shop"),
]
LEASE_S = "3"


def _spawn(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    """A Python process with a short job lease, its output appended to ``log``."""
    env = {**os.environ, "CNSMM_JOB_LEASE": LEASE_S}
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, *args], cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)


def _counts(store: Store, project: str) -> tuple[int, int]:
    with store.read() as conn:
        pid = conn.scalar(select(Project.id).where(Project.name == project))
        findings = conn.scalar(select(func.count()).select_from(TrackedFinding).where(TrackedFinding.project_id == pid))
        scans = conn.scalar(select(func.count()).select_from(Scan).where(Scan.project_id == pid))
    return int(findings or 0), int(scans or 0)


def _jobs(store: Store) -> dict[str, tuple[str, int]]:
    with store.read() as conn:
        return {r.id: (r.status, r.attempts) for r in conn.execute(select(Job.id, Job.status, Job.attempts))}


def _expected(tmp_path: Path) -> dict[str, tuple[int, int]]:
    """The counts of importing every upload once, with the CLI's import, into a fresh store."""
    with open_store(f"sqlite:///{tmp_path / 'reference.db'}") as ref:
        for project, path, scope in UPLOADS:
            import_path(ref, path, project=project, source_name=path.name, source_sha256=file_sha256(path),
                        actor="ref", scope=scope)
        return {p: _counts(ref, p) for p in ("kill-a", "kill-b")}


def _wait_for(condition: Callable[[], bool], timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}; worker log:\n{log.read_text()[-3000:]}")


def _kill_at_first_merge(db: Db, tmp_path: Path, log: Path) -> str:
    """Run a worker that holds its first import inside the merge, SIGKILL it there, and return
    that job's id (running, attempted once)."""
    marker = tmp_path / "held"
    held = _spawn(["-m", "tests.jobs.held_worker", db.url, str(marker)], log)
    try:
        _wait_for(marker.exists, 120, "the held worker to reach its first merge", log)
        killed_job = marker.read_text()
        assert _jobs(db.store)[killed_job] == ("running", 1)
    finally:
        held.send_signal(signal.SIGKILL)
        held.wait(30)
    assert held.returncode == -signal.SIGKILL
    return killed_job


@pytest.mark.slow
def test_worker_killed_mid_import_loses_and_duplicates_nothing(db: Db, tmp_path: Path) -> None:
    tokens = {p: create_token(db.store, p, Role.SECURITY, name="ci", created_by="t")[0] for p in ("kill-a", "kill-b")}
    accepted = []
    with TestClient(create_app(store=db.store, job_workers=0)) as client:  # this server runs no jobs
        for project, path, scope in UPLOADS:
            query = f"name={path.name}" + (f"&scope={scope}" if scope else "")
            r = client.post(f"/api/v1/projects/{project}/imports?{query}", content=path.read_bytes(),
                            headers={"Authorization": f"Bearer {tokens[project]}"})
            assert r.status_code == 202, r.text
            accepted.append(r.json()["job"])
    assert {s for s, _ in _jobs(db.store).values()} == {"queued"}  # kept, not yet run

    log = tmp_path / "worker.log"
    killed_job = _kill_at_first_merge(db, tmp_path, log)
    assert sum(_counts(db.store, p)[1] for p in ("kill-a", "kill-b")) == 0  # nothing of the merge committed

    worker = _spawn(["-m", "cnsmm", "worker", "--db", db.url, "--concurrency", "2"], log)
    try:
        _wait_for(lambda: {s for s, _ in _jobs(db.store).values()} <= {"done", "failed"}, 180,
                  "every job to finish after the restart", log)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(60)
    assert worker.returncode == 0, log.read_text()[-3000:]

    jobs = _jobs(db.store)
    assert set(jobs) == set(accepted)
    assert all(status == "done" for status, _ in jobs.values()), jobs
    assert jobs[killed_job][1] >= 2  # started again after its lease expired (more than once on a loaded machine)
    expected = _expected(tmp_path)
    assert {p: _counts(db.store, p) for p in ("kill-a", "kill-b")} == expected  # counts match: no loss, no duplicate
    with db.store.read() as conn:
        assert conn.scalar(select(func.count()).select_from(JobChunk)) == 0  # uploads dropped once imported


@pytest.mark.slow
def test_a_stopped_worker_finishes_its_running_import_first(db: Db, tmp_path: Path) -> None:
    token = create_token(db.store, "term", Role.SECURITY, name="ci", created_by="t")[0]
    report = SAMPLES / "trivy-json" / "image.json"
    with TestClient(create_app(store=db.store, job_workers=0)) as client:
        r = client.post("/api/v1/projects/term/imports?name=image.json", content=report.read_bytes(),
                        headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 202
    marker, release, log = tmp_path / "held", tmp_path / "release", tmp_path / "worker.log"
    worker = _spawn(["-m", "tests.jobs.held_worker", db.url, str(marker), str(release)], log)
    try:
        _wait_for(marker.exists, 120, "the worker to reach the merge", log)
        worker.send_signal(signal.SIGTERM)  # a rollout stops the worker mid-import
        _wait_for(lambda: "stopping: running jobs finish first" in log.read_text(), 60, "the worker to stop", log)
        release.touch()
        worker.wait(120)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(30)
    assert worker.returncode == 0, log.read_text()[-3000:]
    assert _jobs(db.store)[r.json()["job"]] == ("done", 1)  # finished by that worker, not left to a retry
    assert _counts(db.store, "term")[1] == 1
