"""The webhooks page (owners: list, add, remove, delivery log) and the pages' report import
form as a plain multipart post (no JavaScript): who may use them, what they show, what they
refuse. On SQLite and PostgreSQL."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.web.conftest import PASSWORD, World, bearer

from cnsmm import notify
from cnsmm.accounts.service import login

TRIVY = Path(__file__).resolve().parent.parent / "tracking" / "data" / "trivy-image.json"
HOSTILE_URL = 'https://hooks.example.com/"><script>alert(1)</script>'


def _session(world: World, name: str) -> tuple[TestClient, str]:
    cookie, who = login(world.store, name, PASSWORD, "10.0.0.7")
    c = TestClient(world.client.app)
    c.cookies.set("cnsmm_session", cookie)
    return c, who.csrf_token or ""


def _secret(html: str) -> str:
    found = re.search(r'<code id="new-secret">(whsec_[^<]+)</code>', html)
    assert found, "the new webhook's secret is shown"
    return found.group(1)


def test_owner_adds_lists_and_removes_webhooks(world: World) -> None:
    c, csrf = _session(world, "owner-a")
    page = c.get("/p/alpha/webhooks")
    assert page.status_code == 200
    assert 'id="webhooks-link"' in page.text and 'id="no-webhooks"' in page.text and 'id="no-deliveries"' in page.text

    made = c.post("/p/alpha/webhooks", data={"csrf_token": csrf, "action": "add", "url": HOSTILE_URL,
                                             "events": ["findings.new", "risk.expiring"], "format": "slack"})
    assert made.status_code == 200
    secret = _secret(made.text)
    assert "<script>alert(1)</script>" not in made.text  # the URL is shown as text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in made.text
    (hook,) = [h for h in notify.list_webhooks(world.store, "alpha") if h["url"] == HOSTILE_URL]
    assert (hook["events"], hook["format"], hook["created_by"]) == (["findings.new", "risk.expiring"], "slack",
                                                                    "owner-a")
    table = c.get("/p/alpha/webhooks").text
    assert secret not in table and 'id="new-secret"' not in table  # shown once only
    assert re.search(r'<table class="list" id="webhooks-table"><thead><tr><th scope="col">#</th>', table)
    assert f'data-id="{hook["id"]}"' in table

    removed = c.post("/p/alpha/webhooks", data={"csrf_token": csrf, "action": "remove", "hook_id": str(hook["id"])},
                     follow_redirects=False)
    assert removed.status_code == 303 and removed.headers["location"] == "/p/alpha/webhooks"
    assert all(h["id"] != hook["id"] for h in notify.list_webhooks(world.store, "alpha"))


def test_webhook_form_refusals_keep_what_was_typed(world: World) -> None:
    c, csrf = _session(world, "owner-a")
    bad = c.post("/p/alpha/webhooks", data={"csrf_token": csrf, "action": "add", "url": "ftp://example.com/x",
                                            "events": "findings.new"})
    assert bad.status_code == 422 and "expected an http(s) URL" in bad.text
    assert 'value="ftp://example.com/x"' in bad.text and 'id="new-secret"' not in bad.text
    none = c.post("/p/alpha/webhooks", data={"csrf_token": csrf, "action": "add", "url": "https://example.com/h"})
    assert none.status_code == 422 and "choose at least one event" in none.text
    odd = c.post("/p/alpha/webhooks", data={"csrf_token": csrf, "action": "add", "url": "https://example.com/h",
                                            "events": "everything"})
    assert odd.status_code == 422 and "events.0" in odd.text
    gone = c.post("/p/alpha/webhooks", data={"csrf_token": csrf, "action": "remove", "hook_id": "999999"})
    assert gone.status_code == 404 and "no such webhook in this project" in gone.text
    forged = c.post("/p/alpha/webhooks", data={"action": "add", "url": "https://example.com/h",
                                               "events": "findings.new"})
    assert forged.status_code == 403  # no CSRF token: nothing registered
    assert all(h["url"] != "https://example.com/h" for h in notify.list_webhooks(world.store, "alpha"))


def test_the_delivery_log_is_shown_without_secrets(world: World) -> None:
    hook_id, secret = notify.add_webhook(world.store, "alpha", "http://127.0.0.1:9/nobody", created_by="t")
    scan = world.client.post("/api/v1/projects/alpha/imports?name=trivy.json", content=TRIVY.read_bytes(),
                             headers=bearer(world.tokens["security-a"]))
    assert scan.status_code == 202
    poll = scan.json()["poll"]
    deadline = time.monotonic() + 60
    while world.client.get(poll, headers=bearer(world.tokens["viewer-a"])).json()["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    c, _ = _session(world, "admin")  # admins are owners everywhere
    deadline = time.monotonic() + 60
    while not any(d["attempts"] for d in notify.deliveries(world.store, "alpha")):
        notify.deliver_pending(world.store, project="alpha", timeout=2)
        assert time.monotonic() < deadline
    page = c.get("/p/alpha/webhooks").text
    rows = re.findall(r"<tr><td class=\"num\">\d+</td><td>(\d+)</td><td><code>([^<]+)</code></td><td>(\w+)</td>", page)
    assert (str(hook_id), "findings.new", "pending") in rows
    assert secret not in page
    notify.delete_webhook(world.store, "alpha", hook_id)


@pytest.mark.parametrize("name", ["viewer-a", "developer-a", "security-a", "owner-b"])
def test_only_owners_see_the_webhooks_page(world: World, name: str) -> None:
    c, csrf = _session(world, name)
    assert c.get("/p/alpha/webhooks").status_code == 403
    refused = c.post("/p/alpha/webhooks", data={"csrf_token": csrf, "action": "add", "url": "https://example.com/x",
                                                 "events": "findings.new"})
    assert refused.status_code == 403
    if name != "owner-b":
        assert 'id="webhooks-link"' not in c.get("/p/alpha").text  # the navigation links it for owners only


def _import(c: TestClient, path: str, fields: dict[str, str], content: bytes = b"",
            filename: str = "trivy.json") -> tuple[int, str, str]:
    r = c.post(path, data=fields, files={"report": (filename, content or TRIVY.read_bytes(), "application/json")},
               follow_redirects=False)
    return r.status_code, r.headers.get("location", ""), r.text


def _follow_job(c: TestClient, location: str) -> str:
    deadline = time.monotonic() + 60
    while True:
        page = c.get(location)
        assert page.status_code == 200
        if 'http-equiv="refresh"' not in page.text:
            return page.text
        assert time.monotonic() < deadline, "the import did not finish"
        time.sleep(0.05)


def test_the_import_form_works_as_a_plain_post(world: World) -> None:
    c, csrf = _session(world, "security-a")
    code, location, _ = _import(c, "/p/alpha/import", {"csrf_token": csrf, "scope": "image:shop/web-form"})
    assert code == 303 and re.fullmatch(r"/p/alpha/jobs/[0-9a-f-]{36}", location), location
    job = _follow_job(c, location)
    assert '<td id="job-status">done</td>' in job
    assert re.search(r'<p id="job-summary">trivy.json: \d+ findings \(\d+ new', job)
    assert "<code>image:shop/web-form</code>" in job
    assert 'href="/p/alpha/findings"' in job and 'id="webhooks-link"' not in job  # a security engineer's nav

    # the organisation view's form names the project in a field
    code, location, _ = _import(c, "/org/import", {"csrf_token": csrf, "project": "alpha"}, filename="../../x.json")
    assert code == 303 and location.startswith("/p/alpha/jobs/")
    assert "x.json: " in _follow_job(c, location)  # the file name without its folders


def _jobs(world: World) -> int:
    from sqlalchemy import func, select

    from cnsmm.jobs.models import Job

    with world.store.read() as conn:
        return int(conn.scalar(select(func.count()).select_from(Job)) or 0)


def test_the_import_form_is_authorised_per_project(world: World) -> None:
    before = _jobs(world)
    sec, csrf = _session(world, "security-a")
    # security in alpha, nothing in beta: refused, whichever form is used
    assert _import(sec, "/p/beta/import", {"csrf_token": csrf})[0] == 403
    code, location, text = _import(sec, "/org/import", {"csrf_token": csrf, "project": "beta"})
    assert code == 403 and location == ""
    assert _import(sec, "/org/import", {"csrf_token": csrf, "project": "no such/name"})[0] == 422
    for name in ("viewer-a", "developer-a"):
        c, token = _session(world, name)
        assert _import(c, "/p/alpha/import", {"csrf_token": token})[0] == 403
        assert _import(c, "/org/import", {"csrf_token": token, "project": "alpha"})[0] == 403
    # a forged post (no CSRF token, or another session's) queues nothing
    assert _import(sec, "/p/alpha/import", {})[0] == 403
    _, other_csrf = _session(world, "owner-a")
    assert _import(sec, "/p/alpha/import", {"csrf_token": other_csrf})[0] == 403
    # logged out: to the login page
    anonymous = TestClient(world.client.app)
    code, location, _ = _import(anonymous, "/p/alpha/import", {})
    assert code == 303 and location.startswith("/login")
    # no file, an empty file, a bad scope
    no_file = sec.post("/p/alpha/import", data={"csrf_token": csrf}, follow_redirects=False)
    assert no_file.status_code == 422 and "choose a report file" in no_file.text
    empty = sec.post("/p/alpha/import", data={"csrf_token": csrf},
                     files={"report": ("empty.json", b"", "application/json")}, follow_redirects=False)
    assert empty.status_code == 422 and "the file is empty" in empty.text
    code, _, text = _import(sec, "/p/alpha/import", {"csrf_token": csrf, "scope": "x" * 501})
    assert code == 422 and "scope" in text
    assert 'href="/p/alpha/findings"' in text  # error pages keep the project's navigation
    assert _jobs(world) == before  # nothing refused was queued


def test_overview_and_organisation_offer_the_form_to_whoever_may_import(world: World) -> None:
    sec, csrf = _session(world, "security-a")
    overview = sec.get("/p/alpha").text
    assert re.search(r'<form id="import-form" method="post" action="/p/alpha/import" enctype="multipart/form-data"',
                     overview)
    assert f'<input type="hidden" name="csrf_token" value="{csrf}">' in overview
    org = sec.get("/org").text
    assert 'id="org-import-form"' in org and '<option value="alpha">alpha</option>' in org
    assert '<option value="beta">' not in org
    dev, _ = _session(world, "developer-a")
    assert 'id="import-form"' not in dev.get("/p/alpha").text and 'id="org-import-form"' not in dev.get("/org").text
