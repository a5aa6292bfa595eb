"""What every request passes before a route: NUL characters (a 400 or 422, never a 500 from
PostgreSQL), body sizes (413 before reading), HTML forms that never spool a file to disk, and
API pages that load nothing from another site. On SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.web.conftest import World, bearer, login_as, seed

from cnsmm.web import limits


@pytest.fixture(scope="module")
def guarded(world: World) -> World:
    seed(world.store, "alpha", ["openssl overflow"])
    return world


@pytest.fixture
def client(guarded: World) -> Iterator[TestClient]:
    with TestClient(guarded.client.app, raise_server_exceptions=False, follow_redirects=False) as c:
        yield c


@pytest.fixture
def spooled(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Records every temporary file the form parser creates for a multipart file part."""
    from starlette import formparsers

    made: list[int] = []
    real = formparsers.SpooledTemporaryFile

    def recording(*args: Any, **kwargs: Any) -> Any:
        made.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(formparsers, "SpooledTemporaryFile", recording)
    return made


def _first(guarded: World, c: TestClient) -> int:
    return int(c.get("/api/v1/projects/alpha/findings", headers=bearer(guarded.tokens["owner-a"])).json()
               ["items"][0]["id"])


@pytest.mark.parametrize("url", [
    "/api/v1/projects/alpha/findings?tool=trivy%00x", "/api/v1/projects/alpha/findings?q=%00",
    "/api/v1/projects/alpha/findings?owner=a%00", "/api/v1/projects/alpha/findings?status=open%00",
    "/api/v1/projects/alpha/findings.csv?tool=%00", "/api/v1/projects/alpha/jobs/0000%000000",
    "/api/v1/projects/al%00pha/overview", "/p/alpha/findings?tool=%00", "/p/alpha/findings?q=x%00y",
])
def test_a_nul_in_a_url_is_a_clean_400(guarded: World, client: TestClient, url: str) -> None:
    r = client.get(url, headers=bearer(guarded.tokens["owner-a"]))
    assert r.status_code == 400 and "NUL" in r.json()["detail"]


def test_a_nul_in_any_text_of_a_json_body_is_a_422(guarded: World, client: TestClient) -> None:
    fid = _first(guarded, client)
    owner = bearer(guarded.tokens["owner-a"])
    for method, path, body in [
        ("POST", "/api/v1/projects/alpha/findings/bulk-status",
         {"filter": {"tool": "trivy\x00"}, "status": "triaged", "dry_run": True}),
        ("POST", "/api/v1/projects/alpha/findings/bulk-status",
         {"filter": {"rule": ["CVE-1\x00"]}, "status": "triaged", "dry_run": True}),
        ("PATCH", f"/api/v1/projects/alpha/findings/{fid}", {"owner": "team\x00"}),
        ("PATCH", f"/api/v1/projects/alpha/findings/{fid}", {"status": "triaged", "reason": "a\x00"}),
        ("POST", f"/api/v1/projects/alpha/findings/{fid}/comments", {"text": "looks \x00 bad"}),
        ("PUT", "/api/v1/projects/alpha/members", {"user": "eve\x00", "role": "viewer"}),
        ("POST", "/api/v1/projects/alpha/tokens", {"name": "ci\x00", "role": "viewer"}),
    ]:
        r = client.request(method, path, json=body, headers=owner)
        assert r.status_code == 422, (path, body, r.status_code)
        assert "NUL" in str(r.json()["detail"])
    # the same changes without the NUL are accepted
    assert client.patch(f"/api/v1/projects/alpha/findings/{fid}", json={"owner": "team"},
                        headers=owner).status_code == 200


def test_a_nul_in_a_form_field_is_a_400(guarded: World) -> None:
    with TestClient(guarded.client.app, raise_server_exceptions=False, follow_redirects=False) as c:
        login_as(c, "owner-a")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/p/alpha/settings").text)
        assert csrf is not None
        r = c.post("/p/alpha/settings", data={"csrf_token": csrf.group(1), "action": "member", "user": "eve\x00",
                                              "role": "viewer"})
        assert r.status_code == 400


def test_bodies_over_the_limit_are_refused_before_they_are_read(guarded: World, client: TestClient,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_BODY", 1000)
    monkeypatch.setattr(limits, "_ROUTES", ((re.compile(r"^/api/v1/projects/[^/]+/assessments$"), 5000),))
    big = b'{"name": "' + b"x" * 2000 + b'", "role": "viewer"}'
    # no credentials at all: refused for its size, before FastAPI reads the JSON
    r = client.post("/api/v1/projects/alpha/tokens", content=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    # a streamed body (no Content-Length) is cut off as it passes the limit
    r = client.post("/api/v1/projects/alpha/tokens", content=iter([big[:800], big[800:]]),
                    headers={"Content-Type": "application/json", **bearer(guarded.tokens["owner-a"])})
    assert r.status_code == 413
    sec = bearer(guarded.tokens["security-a"])
    doc = {"overall": {"level": 1}, "practices": [], "pad": "y" * 6000}
    assert client.post("/api/v1/projects/alpha/assessments", json=doc, headers=sec).status_code == 413
    doc["pad"] = "y" * 3000  # within the assessments' own (larger) limit
    assert client.post("/api/v1/projects/alpha/assessments", json=doc, headers=sec).status_code == 201


def test_the_real_limits() -> None:
    assert limits.limit_for("/api/v1/projects/alpha/imports") == limits.MAX_UPLOAD == 2 * 1024**3
    assert limits.limit_for("/api/v1/projects/alpha/assessments") == limits.MAX_ASSESSMENT
    assert limits.limit_for("/login") == limits.limit_for("/p/alpha/settings") == limits.MAX_BODY
    assert limits.MAX_ASSESSMENT < 64 * 1024**2 and limits.MAX_BODY < 16 * 1024**2


def test_a_multipart_body_to_login_or_a_form_is_never_spooled(guarded: World, client: TestClient,
                                                             spooled: list[int]) -> None:
    payload = {"file": ("big.bin", b"\0" * (3 * 1024 * 1024), "application/octet-stream")}
    # the login form without its cookie: refused before the body is read
    r = client.post("/login", files=payload, data={"username": "admin", "password": "x"})
    assert r.status_code == 403
    # with the cookie, a file part is refused as its headers arrive
    client.get("/login")
    r = client.post("/login", files=payload, data={"username": "admin", "password": "x"})
    assert r.status_code == 400
    # a settings form without a session: sent to the login page, body unread
    r = client.post("/p/alpha/settings", files=payload, data={"action": "attestations"})
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    # a logged-in user's form with a file part: refused before the CSRF check spools it
    login_as(client, "owner-a")
    r = client.post("/p/alpha/settings", files=payload, data={"action": "attestations", "text": "x"})
    assert r.status_code == 400
    assert spooled == []


def test_api_pages_load_every_script_from_the_service(client: TestClient) -> None:
    for page in ("/docs", "/redoc"):
        html = client.get(page).text
        sources = re.findall(r'(?:src|href)="([^"]+)"', html) + re.findall(r"url: *'([^']+)'", html)
        assert sources, page
        for source in sources:
            assert source.startswith("/"), (page, source)  # nothing from a CDN or any other site
            assert client.get(source).status_code == 200, source
