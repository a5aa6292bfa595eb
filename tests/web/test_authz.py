"""Every API endpoint as every role, in its own project and across projects: nothing leaks."""

from __future__ import annotations

import re

import pytest
from tests.web.conftest import World, bearer, seed

# (method, path, body, minimal role); "{id}" is a finding of project alpha
ENDPOINTS = [
    ("GET", "/api/v1/projects/alpha/findings", None, "viewer"),
    ("GET", "/api/v1/projects/alpha/findings/{id}", None, "viewer"),
    ("GET", "/api/v1/projects/alpha/findings.csv", None, "viewer"),
    ("GET", "/api/v1/projects/alpha/overview", None, "viewer"),
    ("GET", "/api/v1/projects/alpha/jobs/00000000-0000-0000-0000-000000000000", None, "viewer"),
    ("GET", "/api/v1/projects/alpha/assessments", None, "viewer"),
    ("GET", "/api/v1/projects/alpha/assessments/1", None, "viewer"),
    ("GET", "/api/v1/projects/alpha/attestations", None, "viewer"),
    ("PATCH", "/api/v1/projects/alpha/findings/{id}", {"owner": "team-a"}, "developer"),
    ("POST", "/api/v1/projects/alpha/findings/bulk-status", {"ids": ["{id}"], "status": "triaged"}, "developer"),
    ("POST", "/api/v1/projects/alpha/findings/{id}/comments", {"text": "looking"}, "developer"),
    ("POST", "/api/v1/projects/alpha/assessments", {"overall": {"level": 1}, "practices": []}, "security"),
    ("POST", "/api/v1/projects/alpha/imports?name=report.json", {"SchemaVersion": 2}, "security"),
    ("PUT", "/api/v1/projects/alpha/attestations", {"text": "attestations: []\n"}, "security"),
    ("GET", "/api/v1/projects/alpha/members", None, "owner"),
    ("PUT", "/api/v1/projects/alpha/members", {"user": "viewer-a", "role": "viewer"}, "owner"),
    ("GET", "/api/v1/projects/alpha/tokens", None, "owner"),
    ("POST", "/api/v1/projects/alpha/tokens", {"name": "x", "role": "viewer"}, "owner"),
    ("DELETE", "/api/v1/projects/alpha/tokens/999999", None, "owner"),
]
RANK = {"viewer": 0, "developer": 1, "security": 2, "owner": 3}


def _call(world: World, method: str, path: str, body: object, headers: dict[str, str]) -> int:
    fid = world.client.get("/api/v1/projects/alpha/findings", headers=bearer(world.tokens["owner-a"])).json()
    first = fid["items"][0]["id"]
    path = path.replace("{id}", str(first))
    if isinstance(body, dict) and body.get("ids") == ["{id}"]:
        body = {**body, "ids": [first]}
    return world.client.request(method, path, json=body, headers=headers).status_code


@pytest.fixture(scope="module")
def seeded(world: World) -> World:
    seed(world.store, "alpha", ["openssl overflow", "zlib bug"])
    seed(world.store, "beta", ["beta secret finding"])
    return world


@pytest.mark.parametrize(("method", "path", "body", "minimal"), ENDPOINTS, ids=[f"{m} {p}" for m, p, _, _ in ENDPOINTS])
def test_matrix(seeded: World, method: str, path: str, body: object, minimal: str) -> None:
    assert _call(seeded, method, path, body, {}) == 401
    assert _call(seeded, method, path, body, bearer("cnsmm_not-a-real-token")) == 401
    for role, rank in RANK.items():
        code = _call(seeded, method, path, body, bearer(seeded.tokens[f"{role}-a"]))
        if rank >= RANK[minimal]:
            assert code not in (401, 403) and code < 500, (role, code)
        else:
            assert code == 403, (role, code)
    # the owner of another project gets nothing here
    assert _call(seeded, method, path, body, bearer(seeded.tokens["owner-b"])) == 403


def test_the_matrix_covers_every_project_route(seeded: World) -> None:
    from fastapi.routing import APIRoute

    from cnsmm.web.api import router

    covered = {(m, p.split("?")[0]) for m, p, _, _ in ENDPOINTS}
    checked = 0
    for route in router.routes:
        if not isinstance(route, APIRoute) or not route.path.startswith("/api/v1/projects/{project}"):
            continue
        pattern = re.compile("^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(route.path)) + "$")
        for method in route.methods:
            assert any(m == method and pattern.match(p) for m, p in covered), f"{method} {route.path} not in ENDPOINTS"
            checked += 1
    assert checked == len(ENDPOINTS)


def test_project_listing_and_findings_do_not_leak(seeded: World) -> None:
    c = seeded.client
    listed = c.get("/api/v1/projects", headers=bearer(seeded.tokens["owner-b"])).json()
    assert [p["name"] for p in listed] == ["beta"]
    beta_ids = [f["id"] for f in c.get("/api/v1/projects/beta/findings",
                                        headers=bearer(seeded.tokens["owner-b"])).json()["items"]]
    # a finding of beta is not reachable through alpha's URL, even for alpha's owner
    for fid in beta_ids:
        r = c.get(f"/api/v1/projects/alpha/findings/{fid}", headers=bearer(seeded.tokens["owner-a"]))
        assert r.status_code == 404
        r = c.patch(f"/api/v1/projects/alpha/findings/{fid}", json={"status": "fixed"},
                    headers=bearer(seeded.tokens["owner-a"]))
        assert r.status_code == 404
    r = c.post("/api/v1/projects/alpha/findings/bulk-status", json={"ids": beta_ids, "status": "fixed"},
               headers=bearer(seeded.tokens["owner-a"]))
    assert r.json()["changed"] == []


def test_creating_projects_needs_admin(seeded: World) -> None:
    c = seeded.client
    assert c.post("/api/v1/projects", json={"name": "gamma"}, headers=bearer(seeded.tokens["owner-a"])).status_code == 403
    assert c.post("/api/v1/projects", json={"name": "gamma"}).status_code == 401


def test_developers_cannot_accept_risk(seeded: World) -> None:
    c = seeded.client
    fid = c.get("/api/v1/projects/alpha/findings", headers=bearer(seeded.tokens["viewer-a"])).json()["items"][0]["id"]
    r = c.patch(f"/api/v1/projects/alpha/findings/{fid}",
                json={"status": "risk_accepted", "reason": "x", "approver": "y", "expires": "2030-01-01"},
                headers=bearer(seeded.tokens["developer-a"]))
    assert r.status_code == 403
    r = c.patch(f"/api/v1/projects/alpha/findings/{fid}",
                json={"status": "risk_accepted", "reason": "vendor fix pending", "approver": "ciso",
                      "expires": "2030-01-01"},
                headers=bearer(seeded.tokens["security-a"]))
    assert r.status_code == 200 and r.json()["status"] == "risk_accepted"
