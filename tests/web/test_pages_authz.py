"""Every page and form as every role of project alpha, as the owner of project beta and
logged out: who may see and change what through the browser. On SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.web.conftest import PASSWORD, World, seed

from cnsmm.accounts.service import login

RANK = {"viewer": 0, "developer": 1, "security": 2, "owner": 3}
# (method, path, form, least role); "{id}" is a finding of alpha
PAGES: list[tuple[str, str, dict[str, Any] | None, str]] = [
    ("GET", "/p/alpha", None, "viewer"),
    ("GET", "/p/alpha/maturity", None, "viewer"),
    ("GET", "/p/alpha/findings", None, "viewer"),
    ("GET", "/p/alpha/findings/{id}", None, "viewer"),
    ("GET", "/p/alpha/findings.csv?severity=high", None, "viewer"),
    ("GET", "/p/alpha/settings", None, "viewer"),
    ("POST", "/p/alpha/findings/bulk", {"ids": "{id}", "status": "triaged", "reason": "x"}, "developer"),
    ("POST", "/p/alpha/findings/{id}", {"action": "comment", "text": "seen"}, "developer"),
    ("POST", "/p/alpha/settings", {"action": "attestations", "text": "attestations: []\n"}, "security"),
    ("POST", "/p/alpha/settings", {"action": "token", "name": "t", "role": "viewer", "days": "1"}, "owner"),
    ("GET", "/p/alpha/webhooks", None, "owner"),
    ("POST", "/p/alpha/webhooks", {"action": "add", "url": "https://hooks.example.com/m", "events": "findings.new"},
     "owner"),
]


@pytest.fixture(scope="module")
def sessions(world: World) -> dict[str, tuple[str, str]]:
    seed(world.store, "alpha", ["openssl overflow"])
    seed(world.store, "beta", ["beta only"])
    out = {}
    for name in [*(f"{r}-a" for r in RANK), "owner-b", "admin"]:
        cookie, who = login(world.store, name, PASSWORD, "10.1.2.3")
        out[name] = (cookie, who.csrf_token or "")
    return out


def _call(world: World, session: tuple[str, str] | None, method: str, path: str,
          form: dict[str, Any] | None) -> int:
    first = world.client.get("/api/v1/projects/alpha/findings",
                             headers={"Authorization": f"Bearer {world.tokens['owner-a']}"}).json()["items"][0]["id"]
    c = TestClient(world.client.app)
    if session:
        c.cookies.set("cnsmm_session", session[0])
    path = path.replace("{id}", str(first))
    if method == "GET":
        return c.get(path, follow_redirects=False).status_code
    data = {k: (str(first) if v == "{id}" else v) for k, v in (form or {}).items()}
    data["csrf_token"] = session[1] if session else ""
    return c.post(path, data=data, follow_redirects=False).status_code


@pytest.mark.parametrize(("method", "path", "form", "least"), PAGES,
                         ids=[f"{m} {p} {(f or {}).get('action', '')}" for m, p, f, _ in PAGES])
def test_page_matrix(world: World, sessions: dict[str, tuple[str, str]], method: str, path: str,
                     form: dict[str, Any] | None, least: str) -> None:
    logged_out = _call(world, None, method, path, form)
    assert logged_out in (303, 403), logged_out  # the login page, or refused without a session's CSRF token
    for role, rank in RANK.items():
        code = _call(world, sessions[f"{role}-a"], method, path, form)
        if rank >= RANK[least]:
            assert code in (200, 303), (role, code)
        else:
            assert code == 403, (role, code)
    assert _call(world, sessions["owner-b"], method, path, form) == 403
    assert _call(world, sessions["admin"], method, path, form) in (200, 303)


def test_admin_form_is_for_admins_only(world: World, sessions: dict[str, tuple[str, str]]) -> None:
    form = {"action": "project", "name": "matrix-made"}
    for name in [*(f"{r}-a" for r in RANK), "owner-b"]:
        assert _call(world, sessions[name], "POST", "/", form) == 403, name
    assert _call(world, sessions["admin"], "POST", "/", form) == 303
