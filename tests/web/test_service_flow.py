"""The service's flows through TestClient: CSRF on cookie-authenticated API writes, API tokens
(shown once, stored hashed, revocable, expiring), background imports from queued to done or
failed, and empty uploads. On SQLite and PostgreSQL (the ``store`` fixture)."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from tests.conftest import REPO
from tests.web.conftest import PASSWORD, World, bearer, seed

from cnsmm.accounts.service import login
from cnsmm.jobs import execute, queue
from cnsmm.tracking.models import Project, Scan, TrackedFinding
from cnsmm.tracking.store import utcnow
from cnsmm.web.models import ApiToken, Job

TRIVY = REPO / "tests" / "importers" / "samples" / "trivy-json" / "image.json"
TRUNCATED = REPO / "tests" / "importers" / "samples" / "malformed" / "trivy-truncated.json"


@pytest.fixture(scope="module")
def flow(world: World) -> World:
    seed(world.store, "alpha", ["openssl overflow", "zlib inflate bug", "curl cookie leak", "expat billion laughs",
                                "glibc iconv overflow", "busybox awk bug"])
    return world


def _first_id(world: World) -> int:
    r = world.client.get("/api/v1/projects/alpha/findings", headers=bearer(world.tokens["owner-a"]))
    return int(r.json()["items"][0]["id"])


def _session(world: World, name: str) -> tuple[TestClient, str]:
    cookie, who = login(world.store, name, PASSWORD, "10.0.0.9")
    c = TestClient(world.client.app)
    c.cookies.set("cnsmm_session", cookie)
    return c, who.csrf_token or ""


def test_cookie_authenticated_api_writes_need_the_csrf_token(flow: World) -> None:
    fid = _first_id(flow)
    c, csrf = _session(flow, "developer-a")
    path = f"/api/v1/projects/alpha/findings/{fid}"
    assert c.get(path).status_code == 200  # reading needs no token
    assert c.patch(path, json={"owner": "team-web"}).status_code == 403
    assert c.patch(path, json={"owner": "team-web"}, headers={"X-CSRF-Token": "forged"}).status_code == 403
    other, other_csrf = _session(flow, "owner-a")
    assert c.patch(path, json={"owner": "team-web"}, headers={"X-CSRF-Token": other_csrf}).status_code == 403
    r = c.patch(path, json={"owner": "team-web"}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200 and r.json()["owner"] == "team-web"
    # API tokens are not sent by browsers on their own: no CSRF token needed
    r = flow.client.patch(path, json={"owner": "team-api"}, headers=bearer(flow.tokens["developer-a"]))
    assert r.status_code == 200 and r.json()["owner"] == "team-api"
    assert other.get("/api/v1/me").json()["name"] == "owner-a"


def test_tokens_are_shown_once_and_stored_hashed(flow: World) -> None:
    owner = bearer(flow.tokens["owner-a"])
    r = flow.client.post("/api/v1/projects/alpha/tokens", json={"name": "ci-deploy", "role": "security", "days": 7},
                         headers=owner)
    assert r.status_code == 201
    created = r.json()
    secret = created["token"]
    assert secret.startswith("cnsmm_") and len(secret) > 40
    listed = flow.client.get("/api/v1/projects/alpha/tokens", headers=owner)
    assert secret not in listed.text
    mine = next(t for t in listed.json() if t["id"] == created["id"])
    assert secret.startswith(mine["prefix"]) and len(mine["prefix"]) < 16
    with flow.store.read() as conn:
        row = conn.execute(select(ApiToken).where(ApiToken.id == created["id"])).one()
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in {str(v) for v in row._mapping.values()}
    assert flow.client.get("/api/v1/me", headers=bearer(secret)).json()["roles"] == {"alpha": "security"}


def test_revoked_and_expired_tokens_are_refused(flow: World) -> None:
    owner = bearer(flow.tokens["owner-a"])
    made = [flow.client.post("/api/v1/projects/alpha/tokens", json={"name": n, "role": "viewer"},
                             headers=owner).json() for n in ("soon-revoked", "soon-expired")]
    for token in made:
        assert flow.client.get("/api/v1/projects/alpha/findings", headers=bearer(token["token"])).status_code == 200
    assert flow.client.delete(f"/api/v1/projects/alpha/tokens/{made[0]['id']}", headers=owner).status_code == 200
    assert flow.client.delete(f"/api/v1/projects/alpha/tokens/{made[0]['id']}", headers=owner).status_code == 404
    with flow.store.write() as conn:
        conn.execute(update(ApiToken).where(ApiToken.id == made[1]["id"]).values(expires_at=utcnow()))
    for token in made:
        r = flow.client.get("/api/v1/projects/alpha/findings", headers=bearer(token["token"]))
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    # beta's owner cannot revoke alpha's tokens, even knowing their ids
    other = flow.client.delete(f"/api/v1/projects/beta/tokens/{made[1]['id']}", headers=bearer(flow.tokens["owner-b"]))
    assert other.status_code == 404


class _Gate:
    """Holds the background import between 'running' and the import itself."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Gate]:
    g = _Gate()
    real = execute.import_path

    def held(*args: Any, **kwargs: Any) -> Any:
        g.entered.set()
        assert g.release.wait(30), "test did not release the import"
        return real(*args, **kwargs)

    monkeypatch.setattr(execute, "import_path", held)
    yield g
    g.release.set()


def _job(world: World, project: str, job_id: str, token: str) -> dict[str, Any]:
    r = world.client.get(f"/api/v1/projects/{project}/jobs/{job_id}", headers=bearer(token))
    assert r.status_code == 200
    return dict(r.json())


def _wait(world: World, project: str, job_id: str, token: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        state = _job(world, project, job_id, token)
        if state["status"] in ("done", "failed"):
            return state
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish")


def _count(world: World, project: str) -> tuple[int, int]:
    with world.store.read() as conn:
        pid = conn.scalar(select(Project.id).where(Project.name == project))
        findings = conn.scalar(select(func.count()).select_from(TrackedFinding).where(TrackedFinding.project_id == pid))
        scans = conn.scalar(select(func.count()).select_from(Scan).where(Scan.project_id == pid))
    return int(findings or 0), int(scans or 0)


def test_background_import_goes_from_queued_to_done(flow: World, gate: _Gate, monkeypatch: pytest.MonkeyPatch) -> None:
    token = flow.tokens["security-a"]
    blocker = threading.Event()
    real_claim = queue.claim

    def busy_workers(*args: Any, **kwargs: Any) -> Any:  # every job worker is busy until released
        blocker.wait(30)
        return real_claim(*args, **kwargs)

    monkeypatch.setattr(queue, "claim", busy_workers)
    try:
        r = flow.client.post("/api/v1/projects/alpha/imports?name=image.json", content=TRIVY.read_bytes(),
                             headers=bearer(token))
        assert r.status_code == 202
        job_id = r.json()["job"]
        assert r.json()["poll"] == f"/api/v1/projects/alpha/jobs/{job_id}"
        assert _job(flow, "alpha", job_id, token)["status"] == "queued"
    finally:
        blocker.set()
    assert gate.entered.wait(30)
    assert _job(flow, "alpha", job_id, token)["status"] == "running"
    before = _count(flow, "alpha")
    gate.release.set()
    state = _wait(flow, "alpha", job_id, token)
    assert state["status"] == "done", state
    assert state["error"] is None and state["result"]["new"] > 0
    after = _count(flow, "alpha")
    assert after[0] == before[0] + state["result"]["new"] and after[1] == before[1] + 1
    listed = flow.client.get("/api/v1/projects/alpha/findings?tool=trivy&per_page=500",
                             headers=bearer(flow.tokens["viewer-a"])).json()
    assert listed["total"] >= state["result"]["new"]
    # a viewer may poll but the job of another project is not visible from here
    assert _job(flow, "alpha", job_id, flow.tokens["viewer-a"])["status"] == "done"
    assert flow.client.get(f"/api/v1/projects/beta/jobs/{job_id}",
                           headers=bearer(flow.tokens["owner-b"])).status_code == 404


def test_malformed_report_fails_the_job_and_imports_nothing(flow: World) -> None:
    token = flow.tokens["security-a"]
    before = _count(flow, "alpha")
    r = flow.client.post("/api/v1/projects/alpha/imports?name=nightly-trivy.json&format=trivy-json",
                         content=TRUNCATED.read_bytes(), headers=bearer(token))
    assert r.status_code == 202
    state = _wait(flow, "alpha", r.json()["job"], token)
    assert state["status"] == "failed" and state["result"] is None
    assert "nightly-trivy.json" in state["error"]
    assert "/tmp" not in state["error"] and "cnsmm-upload-" not in state["error"]  # no server paths leak
    assert _count(flow, "alpha") == before
    with flow.store.read() as conn:
        assert conn.scalar(select(Job.status).where(Job.id == r.json()["job"])) == "failed"


def test_unknown_format_and_binary_upload_fail_cleanly(flow: World) -> None:
    token = flow.tokens["security-a"]
    r = flow.client.post("/api/v1/projects/alpha/imports?name=blob.bin", content=bytes(range(256)) * 64,
                         headers=bearer(token))
    assert r.status_code == 202
    state = _wait(flow, "alpha", r.json()["job"], token)
    assert state["status"] == "failed" and "blob.bin" in state["error"]
    r = flow.client.post("/api/v1/projects/alpha/imports?name=x.json&format=no-such-format", content=b"{}",
                         headers=bearer(token))
    state = _wait(flow, "alpha", r.json()["job"], token)
    assert state["status"] == "failed" and "no-such-format" in state["error"]


def test_empty_upload_is_refused(flow: World, tmp_path: Path) -> None:
    r = flow.client.post("/api/v1/projects/alpha/imports?name=empty.json", content=b"",
                         headers=bearer(flow.tokens["security-a"]))
    assert r.status_code == 422 and "empty upload" in r.json()["detail"]
    r = flow.client.post("/api/v1/projects/alpha/imports", content=b"{}", headers=bearer(flow.tokens["developer-a"]))
    assert r.status_code == 403  # uploads need the security role


def test_assessment_upload_checks_its_shape(flow: World) -> None:
    sec = bearer(flow.tokens["security-a"])
    assert flow.client.post("/api/v1/projects/alpha/assessments", content=b"not json",
                            headers={**sec, "Content-Type": "application/json"}).status_code == 422
    assert flow.client.post("/api/v1/projects/alpha/assessments", json=[1, 2], headers=sec).status_code == 422
    assert flow.client.post("/api/v1/projects/alpha/assessments", json={"overall": {"level": "3"}, "practices": []},
                            headers=sec).status_code == 422
    doc = {"overall": {"level": 2, "score": 2.4, "target": 3}, "practices": [], "domains": []}
    r = flow.client.post("/api/v1/projects/alpha/assessments", json=doc, headers=sec)
    assert r.status_code == 201
    got = flow.client.get(f"/api/v1/projects/alpha/assessments/{r.json()['id']}", headers=sec).json()
    assert got == doc
    trend = flow.client.get("/api/v1/projects/alpha/overview", headers=sec).json()["maturity_trend"]
    assert trend[-1]["overall"] == 2


def test_assessment_documents_are_read_and_parsed_once(flow: World) -> None:
    from sqlalchemy import event

    sec = bearer(flow.tokens["security-a"])
    doc = {"overall": {"level": 1, "score": 1.5, "target": 2}, "practices": [{"id": "P1"}], "domains": []}
    new_id = flow.client.post("/api/v1/projects/alpha/assessments", json=doc, headers=sec).json()["id"]
    reads: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("SELECT web_assessments.data \nFROM"):  # a whole document
            reads.append(statement)

    event.listen(flow.store.engine, "before_cursor_execute", record)
    try:
        for _ in range(3):
            got = flow.client.get(f"/api/v1/projects/alpha/assessments/{new_id}", headers=sec).json()
            assert got == doc
            assert flow.client.get("/p/alpha/maturity", headers=sec).status_code in (200, 303)
    finally:
        event.remove(flow.store.engine, "before_cursor_execute", record)
    assert len(reads) <= 1  # the document itself is read (and parsed) at most once


def test_quickly_counted_overview_figures_are_always_fresh(flow: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from cnsmm.web import queries

    monkeypatch.setattr(queries, "SLOW_OVERVIEW_S", 60.0)  # every count here is quick, whatever the load
    viewer, dev = bearer(flow.tokens["viewer-a"]), bearer(flow.tokens["developer-a"])
    before = flow.client.get("/api/v1/projects/alpha/overview", headers=viewer).json()["open_by_severity"]
    item = flow.client.get("/api/v1/projects/alpha/findings?status=open", headers=viewer).json()["items"][0]
    assert flow.client.patch(f"/api/v1/projects/alpha/findings/{item['id']}", json={"status": "fixed"},
                             headers=dev).status_code == 200
    after = flow.client.get("/api/v1/projects/alpha/overview", headers=viewer).json()["open_by_severity"]
    assert after[item["severity"]] == before[item["severity"]] - 1


def test_slow_overview_figures_are_reused_then_recounted_in_the_background(
    flow: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cnsmm.web import queries

    monkeypatch.setattr(queries, "SLOW_OVERVIEW_S", -1.0)  # treat every count as slow: keep it
    for key in [k for k in flow.store.memo if isinstance(k, tuple) and k[0] == "overview"]:
        del flow.store.memo[key]
    viewer = bearer(flow.tokens["viewer-a"])
    first = flow.client.get("/api/v1/projects/alpha/overview", headers=viewer).json()["open_by_severity"]
    item = flow.client.get("/api/v1/projects/alpha/findings?status=open", headers=viewer).json()["items"][0]
    with flow.store.write() as conn:  # a change made elsewhere (the CLI, another server process)
        conn.execute(update(TrackedFinding).where(TrackedFinding.id == item["id"]).values(status="fixed"))
    cached = flow.client.get("/api/v1/projects/alpha/overview", headers=viewer).json()["open_by_severity"]
    assert cached == first  # within the reuse window
    key = next(k for k in flow.store.memo if isinstance(k, tuple) and k[0] == "overview")
    flow.store.memo[key] = (0.0, flow.store.memo[key][1])  # the window has passed
    stale = flow.client.get("/api/v1/projects/alpha/overview", headers=viewer).json()["open_by_severity"]
    assert stale == first  # answered at once; a background thread counts again
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        fresh = flow.client.get("/api/v1/projects/alpha/overview", headers=viewer).json()["open_by_severity"]
        if fresh != first:
            break
        time.sleep(0.05)
    assert fresh[item["severity"]] == first[item["severity"]] - 1
    assert sum(fresh.values()) == sum(first.values()) - 1


def test_polling_a_job_never_waits_for_a_running_import(flow: World) -> None:
    held, release = threading.Event(), threading.Event()

    def writer() -> None:  # as an import's merge holds the store's write lock
        with flow.store.write():
            held.set()
            release.wait(60)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert held.wait(30)
        started = time.monotonic()
        r = flow.client.get("/api/v1/projects/alpha/jobs/00000000-0000-0000-0000-000000000000",
                            headers=bearer(flow.tokens["viewer-a"]))
        assert r.status_code == 404 and time.monotonic() - started < 5
    finally:
        release.set()
        thread.join(60)


def test_a_change_through_the_service_refreshes_kept_overview_figures(
    flow: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cnsmm.web import queries

    monkeypatch.setattr(queries, "SLOW_OVERVIEW_S", -1.0)  # keep every count for 30 s
    for key in [k for k in flow.store.memo if isinstance(k, tuple) and k[0] == "overview"]:
        del flow.store.memo[key]
    viewer, dev = bearer(flow.tokens["viewer-a"]), bearer(flow.tokens["developer-a"])
    first = flow.client.get("/api/v1/projects/alpha/overview", headers=viewer).json()["open_by_severity"]
    item = flow.client.get("/api/v1/projects/alpha/findings?status=open", headers=viewer).json()["items"][0]
    assert flow.client.patch(f"/api/v1/projects/alpha/findings/{item['id']}", json={"status": "fixed"},
                             headers=dev).status_code == 200
    deadline = time.monotonic() + 10  # well within the 30 s the figures would otherwise be kept
    fresh = first
    while fresh == first and time.monotonic() < deadline:
        fresh = flow.client.get("/api/v1/projects/alpha/overview", headers=viewer).json()["open_by_severity"]
        time.sleep(0.05)
    assert fresh[item["severity"]] == first[item["severity"]] - 1


def test_a_background_import_marks_the_kept_overview_for_a_recount(flow: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from cnsmm.web import queries

    monkeypatch.setattr(queries, "SLOW_OVERVIEW_S", -1.0)  # keep every count
    flow.client.get("/api/v1/projects/alpha/overview", headers=bearer(flow.tokens["viewer-a"]))
    key = next(k for k in flow.store.memo if isinstance(k, tuple) and k[0] == "overview")
    assert flow.store.memo[key][0] > 0.0
    token = flow.tokens["security-a"]
    r = flow.client.post("/api/v1/projects/alpha/imports?name=again.json", content=TRIVY.read_bytes() + b"\n",
                         headers=bearer(token))
    assert _wait(flow, "alpha", r.json()["job"], token)["status"] == "done"
    deadline = time.monotonic() + 30  # the job is marked done inside its merge; the store is told just after
    while flow.store.memo[key][0] != 0.0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert flow.store.memo[key][0] == 0.0  # the next view answers at once and counts again
