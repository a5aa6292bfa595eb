"""Scheduling fairness: a project's long import (and its queued next one) does not hold other
projects' imports. Ordering, not timing: project B's import is done while A's is still running."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.conftest import REPO
from tests.jobs.conftest import Db

from cnsmm.accounts.service import Role, create_token
from cnsmm.jobs import execute
from cnsmm.web.app import create_app

TRIVY = REPO / "tests" / "importers" / "samples" / "trivy-json"


class _HeldProject:
    """Imports of one project wait (after they started) until released."""

    def __init__(self, project: str) -> None:
        self.project = project
        self.started = threading.Event()
        self.release = threading.Event()


@pytest.fixture
def held_a(monkeypatch: pytest.MonkeyPatch) -> Iterator[_HeldProject]:
    held = _HeldProject("fair-a")
    real = execute.import_path

    def import_path(*args: Any, **kwargs: Any) -> Any:
        if kwargs["project"] == held.project:
            held.started.set()
            assert held.release.wait(120), "the test did not release project A"
        return real(*args, **kwargs)

    monkeypatch.setattr(execute, "import_path", import_path)
    yield held
    held.release.set()


def _state(client: TestClient, project: str, job: str, token: str) -> str:
    r = client.get(f"/api/v1/projects/{project}/jobs/{job}", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    return str(r.json()["status"])


def _wait(client: TestClient, project: str, job: str, token: str, states: set[str]) -> str:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        state = _state(client, project, job, token)
        if state in states:
            return state
        time.sleep(0.05)
    raise AssertionError(f"job {job} of {project} stayed {state}")


def test_a_small_import_of_b_completes_while_a_large_import_of_a_runs(db: Db, held_a: _HeldProject) -> None:
    tok = {p: create_token(db.store, p, Role.SECURITY, name="ci", created_by="t")[0] for p in ("fair-a", "fair-b")}

    def upload(client: TestClient, project: str, name: str) -> str:
        r = client.post(f"/api/v1/projects/{project}/imports?name={name}", content=(TRIVY / name).read_bytes(),
                        headers={"Authorization": f"Bearer {tok[project]}"})
        assert r.status_code == 202
        return str(r.json()["job"])

    with TestClient(create_app(store=db.store, job_workers=2)) as client:
        a1 = upload(client, "fair-a", "image.json")
        a2 = upload(client, "fair-a", "config.json")  # A's next import, queued behind the running one
        assert held_a.started.wait(60)
        b = upload(client, "fair-b", "image.json")
        assert _wait(client, "fair-b", b, tok["fair-b"], {"done", "failed"}) == "done"
        # B went past A's queued import, and A's first import has not finished yet
        assert _state(client, "fair-a", a1, tok["fair-a"]) == "running"
        assert _state(client, "fair-a", a2, tok["fair-a"]) == "queued"
        held_a.release.set()
        assert _wait(client, "fair-a", a1, tok["fair-a"], {"done", "failed"}) == "done"
        assert _wait(client, "fair-a", a2, tok["fair-a"], {"done", "failed"}) == "done"
