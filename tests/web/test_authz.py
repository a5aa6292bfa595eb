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
    ("GET", "/api/v1/projects/alpha/assigned-severities", None, "viewer"),
    ("PUT", "/api/v1/projects/alpha/assigned-severities", {"rules": {"CKV_K8S_21": "low"}}, "security"),
    ("GET", "/api/v1/projects/alpha/members", None, "owner"),
    ("PUT", "/api/v1/projects/alpha/members", {"user": "viewer-a", "role": "viewer"}, "owner"),
    ("GET", "/api/v1/projects/alpha/tokens", None, "owner"),
    ("POST", "/api/v1/projects/alpha/tokens", {"name": "x", "role": "viewer"}, "owner"),
    ("DELETE", "/api/v1/projects/alpha/tokens/999999", None, "owner"),
    ("GET", "/api/v1/projects/alpha/webhooks", None, "owner"),
    ("POST", "/api/v1/projects/alpha/webhooks", {"url": "https://hooks.example.com/cnsmm"}, "owner"),
    ("DELETE", "/api/v1/projects/alpha/webhooks/999999", None, "owner"),
    ("GET", "/api/v1/projects/alpha/webhook-deliveries", None, "owner"),
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


ORG_ENDPOINTS = ["/api/v1/org/projects", "/api/v1/org/search?q=CVE-2024-1000&all=true"]


@pytest.mark.parametrize("path", ORG_ENDPOINTS)
def test_organisation_view_shows_each_caller_only_their_projects(seeded: World, path: str) -> None:
    c = seeded.client
    assert c.get(path).status_code == 401
    assert c.get(path, headers=bearer("cnsmm_not-a-real-token")).status_code == 401
    for who, allowed in [*((f"{role}-a", {"alpha"}) for role in RANK), ("owner-b", {"beta"})]:
        r = c.get(path, headers=bearer(seeded.tokens[who]))
        assert r.status_code == 200, (who, r.status_code)
        body = r.json()
        seen = {p["project"] for p in body} if isinstance(body, list) else \
            set(body["counts"]) | {f["project"] for f in body["findings"]}
        assert seen == allowed, (who, seen)  # the same CVE in beta stays out of alpha's view


def test_organisation_view_counts_and_search(seeded: World) -> None:
    from tests.web.conftest import login_as

    c = seeded.client
    rows = {p["project"]: p for p in c.get("/api/v1/org/projects", headers=bearer(seeded.tokens["viewer-a"])).json()}
    alpha = rows["alpha"]
    assert alpha["role"] == "viewer" and alpha["open"] == sum(alpha["open_by_severity"].values())
    assert set(alpha["open_by_severity"]) == {"critical", "high", "medium", "low", "info"}
    beta = c.get("/api/v1/org/projects", headers=bearer(seeded.tokens["owner-b"])).json()[0]
    assert (beta["project"], beta["open"], beta["open_by_severity"]["critical"], beta["overdue"]) == ("beta", 1, 1, 0)
    assert beta["maturity"] is None and beta["maturity_change"] is None
    hit = c.get("/api/v1/org/search", params={"q": "cve-2024-1001", "all": "true"},
                headers=bearer(seeded.tokens["viewer-a"])).json()
    assert hit["counts"] == {"alpha": 1} and hit["findings"][0]["title"] == "zlib bug"
    assert c.get("/api/v1/org/search", params={"q": "CVE-2099-0001"},
                 headers=bearer(seeded.tokens["viewer-a"])).json()["counts"] == {}
    assert c.get("/api/v1/org/search", params={"q": ""}, headers=bearer(seeded.tokens["viewer-a"])).status_code == 422

    # an administrator's page lists every project, with the search across them
    login_as(c, "admin")
    page = c.get("/org", params={"q": "CVE-2024-1000", "all": "1"})
    assert page.status_code == 200
    assert 'data-project="alpha"' in page.text and 'data-project="beta"' in page.text
    assert 'id="org-hits"' in page.text and "beta secret finding" in page.text
    c.post("/logout", data={"csrf_token": ""})
    c.cookies.clear()
    login_as(c, "viewer-a")
    page = c.get("/org", params={"q": "CVE-2024-1000", "all": "1"})
    assert 'data-project="beta"' not in page.text and "beta secret finding" not in page.text
    c.cookies.clear()
    assert c.get("/org", follow_redirects=False).status_code == 303


def test_webhook_secrets_are_shown_once(seeded: World) -> None:
    c = seeded.client
    owner = bearer(seeded.tokens["owner-a"])
    made = c.post("/api/v1/projects/alpha/webhooks", json={"url": "https://hooks.example.com/x", "format": "slack"},
                  headers=owner)
    assert made.status_code == 201 and made.json()["secret"].startswith("whsec_")
    listed = c.get("/api/v1/projects/alpha/webhooks", headers=owner).json()
    assert made.json()["id"] in [h["id"] for h in listed] and made.json()["secret"] not in str(listed)
    bad = c.post("/api/v1/projects/alpha/webhooks", json={"url": "file:///etc/passwd"}, headers=owner)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "url"]
    # beta's owner can neither see nor remove alpha's webhooks
    assert c.get("/api/v1/projects/alpha/webhooks", headers=bearer(seeded.tokens["owner-b"])).status_code == 403
    assert c.delete(f"/api/v1/projects/beta/webhooks/{made.json()['id']}",
                    headers=bearer(seeded.tokens["owner-b"])).status_code == 404
    assert c.delete(f"/api/v1/projects/alpha/webhooks/{made.json()['id']}", headers=owner).status_code == 200
