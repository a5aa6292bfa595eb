"""Bulk triage through the API and the findings page, open work by default, settings forms,
and the web hardening of login and uploads (on SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from cnsmm.accounts import service
from cnsmm.accounts.service import login
from cnsmm.errors import AuthError
from cnsmm.tracking.store import Store, utcnow
from cnsmm.web.app import create_app

from .conftest import PASSWORD, World, bearer, logged_in, seed


@pytest.fixture(scope="module")
def triage(world: World) -> Iterator[World]:
    seed(world.store, "alpha", [f"triage finding {n}" for n in range(6)])
    yield world


def _ids(world: World, token: str, **params: str) -> list[int]:
    r = world.client.get("/api/v1/projects/alpha/findings", params={"per_page": "100", **params},
                         headers=bearer(token))
    return [i["id"] for i in r.json()["items"]]


def test_api_bulk_risk_acceptance_applies_approver_reason_and_expiry(triage: World) -> None:
    sec = triage.tokens["security-a"]
    ids = _ids(triage, sec, q="triage finding", status="open")[:2]
    later = (utcnow().date() + timedelta(days=60)).isoformat()
    body = {"ids": ids, "status": "risk_accepted", "reason": "behind the WAF", "approver": "ciso", "expires": later}
    dry = triage.client.post("/api/v1/projects/alpha/findings/bulk-status", json={**body, "dry_run": True},
                             headers=bearer(sec))
    assert dry.status_code == 200 and dry.json()["dry_run"] and sorted(dry.json()["changed"]) == sorted(ids)
    assert all(triage.client.get(f"/api/v1/projects/alpha/findings/{i}", headers=bearer(sec)).json()["status"]
               == "open" for i in ids)
    r = triage.client.post("/api/v1/projects/alpha/findings/bulk-status", json=body, headers=bearer(sec))
    assert r.status_code == 200 and sorted(r.json()["changed"]) == sorted(ids) and r.json()["failed"] == {}
    shown = triage.client.get(f"/api/v1/projects/alpha/findings/{ids[0]}", headers=bearer(sec)).json()
    assert (shown["status"], shown["risk_approver"], shown["risk_reason"], shown["risk_expires"]) == (
        "risk_accepted", "ciso", "behind the WAF", later)


def test_api_bulk_errors_name_api_fields_not_cli_flags(triage: World) -> None:
    sec = triage.tokens["security-a"]
    ids = _ids(triage, sec, q="triage finding", status="open")[:1]
    r = triage.client.post("/api/v1/projects/alpha/findings/bulk-status",
                           json={"ids": ids, "status": "risk_accepted", "reason": "r"}, headers=bearer(sec))
    assert r.status_code == 422
    locs = {tuple(d["loc"]) for d in r.json()["detail"]}
    assert locs == {("body", "approver"), ("body", "expires")}
    assert "--" not in r.text
    example = re.search(r'"expires\\": \\"(\d{4}-\d\d-\d\d)', r.text)
    assert example is not None and example.group(1) > utcnow().date().isoformat()
    r = triage.client.patch(f"/api/v1/projects/alpha/findings/{ids[0]}", json={"status": "false_positive"},
                            headers=bearer(sec))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "reason"] and "--" not in r.text
    r = triage.client.post("/api/v1/projects/alpha/findings/bulk-status", json={"status": "triaged"},
                           headers=bearer(sec))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "ids"]
    r = triage.client.post("/api/v1/projects/alpha/findings/bulk-status",
                           json={"filter": {"q": "triage finding", "status": ["open"]}, "status": "triaged",
                                 "dry_run": True}, headers=bearer(triage.tokens["developer-a"]))
    assert r.status_code == 200 and r.json()["matched"] >= 1 and r.json()["dry_run"]


def test_findings_page_shows_open_work_by_default_with_a_status_filter(triage: World) -> None:
    sec = triage.tokens["security-a"]
    fixed = _ids(triage, sec, q="triage finding", status="open")[0]
    triage.client.patch(f"/api/v1/projects/alpha/findings/{fixed}", json={"status": "fixed"}, headers=bearer(sec))
    with logged_in(triage.client, "viewer-a") as c:
        page = c.get("/p/alpha/findings?q=triage+finding").text
        assert 'id="status-filter"' in page and '<option value="open" selected>' in page
        assert f'/p/alpha/findings/{fixed}"' not in page
        every = c.get("/p/alpha/findings?q=triage+finding&status=all").text
        assert f'/p/alpha/findings/{fixed}"' in every
        total = re.search(r'id="total">(\d+)<', every)
        assert total is not None and int(total.group(1)) == 6  # an exact count


def test_page_bulk_form_accepts_a_risk_with_its_details_and_shows_errors(triage: World) -> None:
    ids = _ids(triage, triage.tokens["security-a"], q="triage finding", status="open")[:1]
    with logged_in(triage.client, "security-a") as c:
        page = c.get("/p/alpha/findings").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert csrf is not None and 'name="approver"' in page and 'name="expires"' in page
        missing = c.post("/p/alpha/findings/bulk", data={"csrf_token": csrf.group(1), "ids": str(ids[0]),
                                                        "status": "risk_accepted", "reason": "r"})
        assert missing.status_code == 422 and "`approver`" in missing.text and 'href="/p/alpha/findings"' in missing.text
        later = (utcnow().date() + timedelta(days=10)).isoformat()
        ok = c.post("/p/alpha/findings/bulk", data={"csrf_token": csrf.group(1), "ids": str(ids[0]),
                                                   "status": "risk_accepted", "reason": "r", "approver": "ciso",
                                                   "expires": later}, follow_redirects=False)
        assert ok.status_code == 303
        assert c.get(f"/api/v1/projects/alpha/findings/{ids[0]}").json()["risk_approver"] == "ciso"


def test_settings_tables_have_headers_and_the_member_form_never_removes_by_default(triage: World) -> None:
    with logged_in(triage.client, "owner-a") as c:
        page = c.get("/p/alpha/settings").text
        assert '<table class="list" id="members-table"><thead>' in page and 'id="tokens-table"><thead>' in page
        form = page.split('id="member-form"')[1].split("</form>")[0]
        assert '<option value="">' not in form and "<option selected>viewer</option>" in form
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert csrf is not None
        r = c.post("/p/alpha/settings", data={"csrf_token": csrf.group(1), "action": "member", "user": "viewer-a",
                                              "role": ""})
        assert r.status_code == 422 and "choose a role" in r.text
        assert "viewer-a" in c.get("/p/alpha/settings").text.split('id="members-table"')[1].split("</table>")[0]
        missing = c.get("/p/alpha/findings/2147483000")
        assert missing.status_code == 404 and 'href="/p/alpha/findings"' in missing.text  # navigation stays


def test_failed_logins_from_one_address_do_not_lock_the_user_out_elsewhere(store: Store, world: World) -> None:
    for _ in range(service.MAX_FAILURES_PER_USER):
        with pytest.raises(AuthError, match="wrong"):
            login(store, "admin", "not the password at all", "203.0.113.9")
    with pytest.raises(AuthError, match="too many"):
        login(store, "admin", PASSWORD, "203.0.113.9")
    cookie, who = login(store, "admin", PASSWORD, "198.51.100.7")
    assert cookie and who.is_admin
    with pytest.raises(AuthError, match="wrong"):
        login(store, "no\x00body", "x" * 12, "198.51.100.7")  # a NUL never reaches the database


def test_unknown_user_names_cost_a_password_check(store: Store, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    checked: list[str] = []
    real = service._hasher

    class Counting:
        def __getattr__(self, name: str) -> object:
            return getattr(real, name)

        def verify(self, hashed: str, password: str) -> bool:
            checked.append(hashed)
            return bool(real.verify(hashed, password))

    monkeypatch.setattr(service, "_hasher", Counting())
    with pytest.raises(AuthError):
        login(store, "nobody-by-that-name", "whatever password", "192.0.2.1")
    assert len(checked) == 1 and checked[0].startswith("$argon2")


def test_upload_refuses_nul_in_name_and_a_bad_scope_before_reading(world: World) -> None:
    sec = bearer(world.tokens["security-a"])
    r = world.client.post("/api/v1/projects/alpha/imports", params={"name": "a\x00b"}, content=b"{}", headers=sec)
    assert r.status_code == 400 and "NUL" in r.json()["detail"]  # no URL may hold one
    r = world.client.post("/api/v1/projects/alpha/imports", params={"scope": " "}, content=b"{}", headers=sec)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "scope"]


def test_service_app_imports_without_the_accounts_needing_it() -> None:
    import subprocess
    import sys

    code = ("import sys; import cnsmm.accounts; "
            "assert not any(m.startswith(('cnsmm.web.app', 'cnsmm.web.api', 'fastapi')) for m in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
    assert create_app is not None and TestClient is not None


def test_tokens_created_through_the_api_always_expire(world: World) -> None:
    owner = bearer(world.tokens["owner-a"])
    r = world.client.post("/api/v1/projects/alpha/tokens", json={"name": "forever", "role": "viewer", "days": None},
                          headers=owner)
    assert r.status_code == 422
    r = world.client.post("/api/v1/projects/alpha/tokens", json={"name": "default", "role": "viewer"}, headers=owner)
    assert r.status_code == 201 and r.json()["expires_at"] is not None
