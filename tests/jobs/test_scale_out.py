"""PostgreSQL, as docs/service.md "Background jobs and scaling out" says to run it: two
`cnsmm serve` replicas (one of two server processes) that run no imports, a worker SIGKILLed
inside an import, then two `cnsmm worker` processes. Uploads sent over HTTP to both replicas
are each imported exactly once."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.conftest import db_url_for
from tests.jobs.conftest import Db
from tests.jobs.test_kill_worker import SAMPLES, _counts, _jobs, _kill_at_first_merge, _spawn, _wait_for

from cnsmm.accounts.service import Role, create_token
from cnsmm.tracking.pipeline import file_sha256, import_path
from cnsmm.tracking.store import open_store
from cnsmm.web.db import open_web_store
from cnsmm.web.models import JobChunk

UPLOADS = [  # (project, file, scope): every stream distinct, so the order of the imports does not matter
    ("scale-a", SAMPLES / "trivy-json" / "image.json", "image:a"),
    ("scale-b", SAMPLES / "grype-json" / "image.json", "image:b"),
    ("scale-a", SAMPLES / "trivy-json" / "config.json", "repo:shop"),
    ("scale-b", SAMPLES / "checkov-json" / "kubernetes.json", "repo:k8s"),
    ("scale-a", SAMPLES / "semgrep-json" / "semgrep.json", "repo:code"),
    ("scale-b", SAMPLES / "grype-json" / "directory.json", "dir:b"),
    ("scale-a", SAMPLES / "trivy-json" / "fs.json", "fs:a"),
    ("scale-b", SAMPLES / "trivy-json" / "k8s.json", "cluster:b"),
]
PROJECTS = ("scale-a", "scale-b")


@pytest.fixture
def pg(tmp_path: Path) -> Iterator[Db]:
    for url in db_url_for("postgresql", tmp_path):
        store = open_web_store(url)
        yield Db(url, store)
        store.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _request(url: str, token: str | None = None, data: bytes | None = None) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers), timeout=60) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def _up(base: str) -> bool:
    try:
        return _request(f"{base}/healthz")[0] == 200
    except OSError:
        return False


def _stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(30)


@pytest.mark.slow
def test_replicas_and_workers_import_every_upload_once_with_a_worker_killed(pg: Db, tmp_path: Path) -> None:
    tokens = {p: create_token(pg.store, p, Role.SECURITY, name="ci", created_by="t")[0] for p in PROJECTS}
    log = tmp_path / "processes.log"
    ports = [_free_port(), _free_port()]
    servers = [
        _spawn(["-m", "cnsmm", "serve", "--db", pg.url, "--port", str(ports[0]), "--workers", "2", "--job-workers", "0"],
               log),
        _spawn(["-m", "cnsmm", "serve", "--db", pg.url, "--port", str(ports[1]), "--no-worker"], log),
    ]
    bases = [f"http://127.0.0.1:{p}" for p in ports]
    workers: list[subprocess.Popen[bytes]] = []
    try:
        for base in bases:
            _wait_for(lambda base=base: _up(base), 120, f"{base} to answer", log)
        accepted: dict[str, str] = {}
        for n, (project, path, scope) in enumerate(UPLOADS):  # alternately through each replica
            query = urllib.parse.urlencode({"name": path.name, "scope": scope})
            status, body = _request(f"{bases[n % 2]}/api/v1/projects/{project}/imports?{query}", tokens[project],
                                    path.read_bytes())
            assert status == 202, body
            accepted[body["job"]] = project
        time.sleep(1)
        assert {s for s, _ in _jobs(pg.store).values()} == {"queued"}  # the servers run no imports

        killed_job = _kill_at_first_merge(pg, tmp_path, log)

        workers = [_spawn(["-m", "cnsmm", "worker", "--db", pg.url, "--concurrency", "2"], log) for _ in range(2)]
        _wait_for(lambda: {s for s, _ in _jobs(pg.store).values()} <= {"done", "failed"}, 240,
                  "every job to finish after the kill", log)
        for worker in workers:
            _stop(worker)
            assert worker.returncode == 0, log.read_text()[-3000:]

        jobs = _jobs(pg.store)
        assert set(jobs) == set(accepted)
        assert all(status == "done" for status, _ in jobs.values()), jobs
        assert jobs[killed_job][1] >= 2  # started again after its lease expired
        for n, (job, project) in enumerate(accepted.items()):  # either replica reports every job done
            status, body = _request(f"{bases[n % 2]}/api/v1/projects/{project}/jobs/{job}", tokens[project])
            assert status == 200 and body["status"] == "done", body
    finally:
        for process in [*workers, *servers]:
            _stop(process)

    with open_store(f"sqlite:///{tmp_path / 'reference.db'}") as ref:  # each upload imported once, by the CLI
        for project, path, scope in UPLOADS:
            import_path(ref, path, project=project, source_name=path.name, source_sha256=file_sha256(path),
                        actor="ref", scope=scope)
        expected = {p: _counts(ref, p) for p in PROJECTS}
    assert {p: _counts(pg.store, p) for p in PROJECTS} == expected  # counts match: no loss, no duplicate
    assert all(count[1] == sum(1 for u in UPLOADS if u[0] == p) for p, count in expected.items())
    with pg.store.read() as conn:
        assert conn.scalar(select(func.count()).select_from(JobChunk)) == 0  # uploads dropped once imported
