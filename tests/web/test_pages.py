"""Server-rendered pages through TestClient: login with CSRF, logout, rate limiting, cookies,
escaping of hostile strings, what a viewer may see, and the language switch. On SQLite and
PostgreSQL (the ``store`` fixture)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.web.conftest import PASSWORD, World, seed, trend_docs

from cnsmm.accounts.service import MAX_FAILURES_PER_USER, create_user, set_membership
from cnsmm.web.models import WebSession

HOSTILE = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]*)"')


def _client(world: World, base_url: str = "http://testserver") -> TestClient:
    """A fresh browser: its own cookie jar, redirects not followed."""
    return TestClient(world.client.app, base_url=base_url, follow_redirects=False)


def _csrf(html: str) -> str:
    found = CSRF_FIELD.search(html)
    assert found, "no csrf_token field in the page"
    return found.group(1)


def _login(c: TestClient, name: str, password: str = PASSWORD) -> int:
    form = c.get("/login")
    return c.post("/login", data={"csrf_token": _csrf(form.text), "username": name, "password": password,
                                  "next": "/p/alpha"}).status_code


@pytest.fixture(scope="module")
def pages(world: World) -> World:
    seed(world.store, "alpha", ["openssl overflow", *HOSTILE])
    create_user(world.store, "limited", PASSWORD)
    set_membership(world.store, "limited", "alpha", None)
    return world


def test_login_form_needs_its_csrf_token(pages: World) -> None:
    c = _client(pages)
    form = c.get("/login")
    assert form.status_code == 200
    assert "cnsmm_login_csrf" in form.cookies
    data = {"username": "owner-a", "password": PASSWORD, "next": "/"}
    assert c.post("/login", data=data).status_code == 403  # no token
    assert c.post("/login", data={**data, "csrf_token": "forged"}).status_code == 403
    fresh = _client(pages)  # the token of another browser's form does not work without its cookie
    assert fresh.post("/login", data={**data, "csrf_token": _csrf(form.text)}).status_code == 403
    ok = c.post("/login", data={**data, "csrf_token": _csrf(form.text)})
    assert ok.status_code == 303 and ok.headers["location"] == "/"


def test_login_redirects_only_inside_the_site(pages: World) -> None:
    c = _client(pages)
    form = c.get("/login?next=//evil.example/x")
    assert 'value="/"' in form.text
    r = c.post("/login", data={"csrf_token": _csrf(form.text), "username": "owner-a", "password": PASSWORD,
                               "next": "https://evil.example/"})
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_session_cookie_flags(pages: World) -> None:
    c = _client(pages)
    form = c.get("/login")
    r = c.post("/login", data={"csrf_token": _csrf(form.text), "username": "viewer-a", "password": PASSWORD})
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("cnsmm_session="))
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert "httponly" in flags and "samesite=lax" in flags
    assert "secure" not in flags  # plain HTTP in this test
    tls = _client(pages, base_url="https://testserver")
    form = tls.get("/login")
    r = tls.post("/login", data={"csrf_token": _csrf(form.text), "username": "viewer-a", "password": PASSWORD})
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("cnsmm_session="))
    assert "secure" in {part.strip().lower() for part in cookie.split(";")}
    # the stored session is a hash, not the cookie value
    value = cookie.split(";", 1)[0].split("=", 1)[1]
    with pages.store.read() as conn:
        hashes = list(conn.scalars(select(WebSession.token_hash)))
    assert value not in hashes and all(len(h) == 64 for h in hashes)


def test_logout_needs_csrf_and_ends_the_session(pages: World) -> None:
    c = _client(pages)
    assert _login(c, "developer-a") == 303
    page = c.get("/p/alpha/findings")
    assert page.status_code == 200
    assert c.post("/logout").status_code == 403  # no CSRF token: a cross-site form cannot log you out
    assert c.get("/p/alpha/findings").status_code == 200
    old = c.cookies.get("cnsmm_session")
    r = c.post("/logout", data={"csrf_token": _csrf(page.text)})
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert c.get("/p/alpha/findings").status_code == 303
    replay = _client(pages)
    replay.cookies.set("cnsmm_session", old or "")
    assert replay.get("/p/alpha").status_code == 303  # the old cookie no longer opens a session


def test_repeated_wrong_passwords_are_rate_limited(pages: World) -> None:
    c = _client(pages)
    for _ in range(MAX_FAILURES_PER_USER):
        assert _login(c, "limited", "wrong password, try again") == 401
    assert _login(c, "limited", "wrong password, try again") == 429
    assert _login(c, "limited", PASSWORD) == 429  # even the right password, for a while
    page = c.get("/login")
    assert "too many" not in page.text  # the form itself stays usable
    assert _login(_client(pages), "security-a") == 303  # other users are not locked out


def test_pages_escape_hostile_strings(pages: World) -> None:
    c = _client(pages)
    assert _login(c, "owner-a") == 303
    listing = c.get("/p/alpha/findings?sort=title")
    assert listing.status_code == 200
    html = listing.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "default-src 'self'" in listing.headers["content-security-policy"]
    ids = re.findall(r'href="/p/alpha/findings/(\d+)">&#34;&gt;&lt;img', html)
    assert ids, "the hostile title is listed, escaped"
    fid = ids[0]
    detail = c.get(f"/p/alpha/findings/{fid}")
    r = c.post(f"/p/alpha/findings/{fid}", data={"csrf_token": _csrf(detail.text), "action": "comment",
                                                 "text": "</textarea><script>alert(2)</script>"})
    assert r.status_code == 303
    detail = c.get(f"/p/alpha/findings/{fid}").text
    assert "<script>alert(2)" not in detail and "&lt;script&gt;alert(2)&lt;/script&gt;" in detail
    assert "<img src=x" not in detail
    # a hostile project name in the URL is escaped too
    r = c.get("/p/%3Cscript%3Ealert(3)%3C%2Fscript%3E/findings")
    assert "<script>alert(3)" not in r.text


def test_a_viewer_sees_no_edit_forms(pages: World) -> None:
    c = _client(pages)
    assert _login(c, "viewer-a") == 303
    listing = c.get("/p/alpha/findings").text
    assert 'class="pick"' not in listing and 'id="bulk-apply"' not in listing
    fid = re.findall(r'href="/p/alpha/findings/(\d+)"', listing)[0]
    detail = c.get(f"/p/alpha/findings/{fid}")
    assert detail.status_code == 200
    assert 'id="status-form"' not in detail.text and 'id="comment-form"' not in detail.text
    r = c.post(f"/p/alpha/findings/{fid}", data={"csrf_token": _csrf(detail.text), "action": "comment",
                                                 "text": "viewers cannot write"})
    assert r.status_code == 403
    settings = c.get("/p/alpha/settings").text
    assert 'value="token"' not in settings and 'value="attestations"' not in settings
    dev = _client(pages)
    assert _login(dev, "developer-a") == 303
    dev_detail = dev.get(f"/p/alpha/findings/{fid}").text
    assert 'id="status-form"' in dev_detail and 'id="comment-form"' in dev_detail


def test_other_projects_pages_are_forbidden(pages: World) -> None:
    c = _client(pages)
    assert _login(c, "owner-b") == 303
    for path in ("/p/alpha", "/p/alpha/findings", "/p/alpha/maturity", "/p/alpha/settings", "/p/nope/findings"):
        r = c.get(path)
        assert r.status_code == 403, path
        assert "openssl overflow" not in r.text
    home = c.get("/").text
    assert "/p/beta" in home and "/p/alpha" not in home


def test_language_switch(pages: World) -> None:
    c = _client(pages)
    english = c.get("/login")
    assert ">Log in<" in english.text and 'lang="en"' in english.text
    chinese = c.get("/login?lang=zh")
    assert "登录" in chinese.text and 'lang="zh-CN"' in chinese.text
    assert chinese.cookies.get("cnsmm_lang") == "zh"
    assert "登录" in c.get("/login").text  # remembered by the cookie
    assert ">Log in<" in c.get("/login?lang=en").text
    assert ">Log in<" in _client(pages).get("/login?lang=xx").text  # unknown languages fall back to English
    assert _login(c, "owner-a") == 303
    page = c.get("/p/alpha/findings?lang=zh").text
    assert "安全问题" in page and "严重程度" in page
    fid = re.search(r'href="/p/alpha/findings/(\d+)"', page)
    assert fid is not None
    detail = c.get(f"/p/alpha/findings/{fid.group(1)}?lang=zh").text
    for label in ("规则", "组件", "说明", "详细描述", "来源", "修改状态"):
        assert f"{label}<" in detail or f"{label} " in detail, label
    for english in ("<dt>Rule</dt>", "<dt>Message</dt>", "<dt>Description</dt>", ">active<"):
        assert english not in detail


def test_maturity_page_names_and_statuses_follow_the_page_language(pages: World, tmp_path: Path) -> None:
    import json

    from tests.conftest import REPO

    from cnsmm._cli import main
    from cnsmm.model import load_model

    out = tmp_path / "a.json"
    try:
        main(["assess", str(REPO / "examples"), "--format", "json", "--lang", "en", "-o", str(out)])
    except SystemExit as exc:
        assert exc.code in (0, None)
    doc = json.loads(out.read_text())
    r = pages.client.post("/api/v1/projects/alpha/assessments", json=doc,
                          headers={"Authorization": f"Bearer {pages.tokens['security-a']}"})
    assert r.status_code == 201
    c = _client(pages)
    assert _login(c, "viewer-a") == 303
    model = load_model()
    zh = c.get(f"/p/alpha/maturity?id={r.json()['id']}&lang=zh").text
    assert model.domains[0].name.zh in zh and model.domains[0].name.en not in zh
    assert 'id="doc-lang"' in zh  # evidence stays in the assessment's language, and the page says so
    assert "满足" in zh and ">met<" not in zh
    en = c.get(f"/p/alpha/maturity?id={r.json()['id']}&lang=en").text
    assert model.domains[0].name.en in en and 'id="doc-lang"' not in en and ">met<" in en


def test_severities_statuses_and_sorts_are_shown_in_the_page_language(pages: World) -> None:
    c = _client(pages)
    assert _login(c, "owner-a") == 303
    zh = c.get("/p/alpha/findings?lang=zh&status=open").text
    assert '<option value="critical"' in zh and ">严重<" in zh and ">待处理<" in zh
    assert '<option value="-severity"' in zh and "严重程度从低到高" in zh
    assert '<option value="in_progress">处理中<' in zh  # the bulk form sends the code
    en = c.get("/p/alpha/findings?lang=en&status=open").text
    assert ">critical<" in en and ">in progress<" in en and ">严重<" not in en
    filtered = c.get("/p/alpha/findings?lang=zh&severity=critical&status=open")
    assert filtered.status_code == 200 and '<option value="critical" selected' in filtered.text


def _home_csrf(c: TestClient) -> str:
    found = re.search(r'id="new-project">.*?name="csrf_token" value="([^"]+)"', c.get("/").text, re.S)
    assert found is not None
    return found.group(1)


def test_admins_create_projects_and_users_from_the_projects_page(pages: World) -> None:
    c = _client(pages)
    assert _login(c, "admin") == 303
    csrf = _home_csrf(c)
    created = c.post("/", data={"csrf_token": csrf, "action": "project", "name": "payments-api"},
                     follow_redirects=False)
    assert created.status_code == 303 and created.headers["location"] == "/p/payments-api/settings"
    assert 'href="/p/payments-api"' in c.get("/").text
    bad = c.post("/", data={"csrf_token": csrf, "action": "project", "name": "../etc"})
    assert bad.status_code == 422 and "1-100 letters" in bad.text
    user = c.post("/", data={"csrf_token": csrf, "action": "user", "name": "carol", "password": "long enough pass"})
    assert user.status_code == 200 and "Created user carol" in user.text
    assert "long enough pass" not in user.text
    short = c.post("/", data={"csrf_token": csrf, "action": "user", "name": "dave", "password": "short"})
    assert short.status_code == 422 and "password too short" in short.text
    again = c.post("/", data={"csrf_token": csrf, "action": "user", "name": "carol", "password": "another long pass"})
    assert again.status_code == 422 and "already exists" in again.text
    assert c.post("/", data={"action": "project", "name": "no-csrf"}).status_code == 403
    new = _client(pages)
    assert _login(new, "carol", "long enough pass") == 303  # the new user can log in (no project yet)


def test_only_admins_see_and_use_the_admin_forms(pages: World) -> None:
    c = _client(pages)
    assert _login(c, "owner-a") == 303
    home = c.get("/").text
    assert 'id="new-project"' not in home and 'id="new-user"' not in home
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/p/alpha/settings").text)
    assert csrf is not None
    refused = c.post("/", data={"csrf_token": csrf.group(1), "action": "project", "name": "sneaky"})
    assert refused.status_code == 403
    assert 'href="/p/sneaky"' not in _client(pages).get("/").text


def test_maturity_page_draws_levels_over_time(pages: World) -> None:
    from tests.assess.helpers_assess import MODEL, attest, bundle, paths

    from cnsmm.assess import assess
    from cnsmm.report.json_out import to_dict

    auth = {"Authorization": f"Bearer {pages.tokens['security-a']}"}
    answers = tuple(attest(r.id, "met") for r in MODEL.requirements.values() if r.level == 1)
    for ev in (bundle(), bundle(attestations=answers)):
        doc = to_dict(assess(ev, MODEL, None, paths()), MODEL, "en")
        assert pages.client.post("/api/v1/projects/alpha/assessments", json=doc, headers=auth).status_code == 201
    c = _client(pages)
    assert _login(c, "viewer-a") == 303
    page = c.get("/p/alpha/maturity?lang=en").text
    assert 'id="trend"' in page and "<polyline" in page and "Overall level: L1" in page and "Overall level: L0" in page


def test_attestations_are_answered_with_one_field_set_per_question(pages: World) -> None:
    c = _client(pages)
    assert _login(c, "security-a") == 303
    page = c.get("/p/alpha/settings?lang=zh").text
    assert 'id="attest-form"' in page and 'id="q-DEV.REQ.L1.1"' in page and "安全基本需求清单" in page
    assert 'name="status.DEV.REQ.L1.1"' in page and ">满足<" in page
    form = {"csrf_token": _csrf(page), "action": "attestation-form", "q": ["DEV.REQ.L1.1", "DEV.REQ.L1.2"],
            "status.DEV.REQ.L1.1": "met", "owner.DEV.REQ.L1.1": "appsec <team>",
            "evidence.DEV.REQ.L1.1": "https://wiki.example.com/a https://wiki.example.com/b",
            "date.DEV.REQ.L1.1": "2026-05-01", "status.DEV.REQ.L1.2": ""}
    assert c.post("/p/alpha/settings", data=form).status_code == 303
    stored = pages.client.get("/api/v1/projects/alpha/attestations",
                              headers={"Authorization": f"Bearer {pages.tokens['security-a']}"}).json()["text"]
    assert "DEV.REQ.L1.1" in stored and "DEV.REQ.L1.2" not in stored and "https://wiki.example.com/b" in stored
    again = c.get("/p/alpha/settings?lang=en").text
    assert 'value="appsec &lt;team&gt;"' in again and 'value="2026-05-01"' in again
    bad = dict(form, **{"status.DEV.REQ.L1.1": "perhaps", "csrf_token": _csrf(again)})
    assert c.post("/p/alpha/settings", data=bad).status_code == 422


def test_attestation_form_asks_the_open_questions_of_the_latest_assessment(pages: World) -> None:
    """A requirement a component could show (standalone monitoring) is not in the questionnaire,
    but when the latest assessment found no evidence for it, the form asks it, saying why."""
    from tests.assess.helpers_assess import MODEL, bundle, paths

    from cnsmm.assess import assess
    from cnsmm.report.json_out import to_dict

    c = _client(pages)
    assert _login(c, "security-a") == 303
    doc = to_dict(assess(bundle(), MODEL, None, paths()), MODEL, "en")
    assert next(r for r in doc["requirements"] if r["id"] == "OPS.SOC.L1.1")["status"] == "unknown"
    auth = {"Authorization": f"Bearer {pages.tokens['security-a']}"}
    assert pages.client.post("/api/v1/projects/alpha/assessments", json=doc, headers=auth).status_code == 201
    page = c.get("/p/alpha/settings?lang=en").text
    asked = page[page.index('id="q-OPS.SOC.L1.1"'):]
    assert "open question of the latest assessment" in asked[:asked.index("</legend>")]
    plain = page[page.index('id="q-DEV.REQ.L1.1"'):]
    assert "open question of the latest assessment" not in plain[:plain.index("</legend>")]


def test_trend_shows_every_domain_over_time(pages: World) -> None:
    from cnsmm.model import load_model

    auth = {"Authorization": f"Bearer {pages.tokens['owner-b']}"}
    docs = trend_docs(HOSTILE[0])
    for doc in docs:
        assert pages.client.post("/api/v1/projects/beta/assessments", json=doc, headers=auth).status_code == 201
    trend = pages.client.get("/api/v1/projects/beta/overview", headers=auth).json()["maturity_trend"]
    assert [p["domains"] for p in trend[:2]] == [{d["id"]: d["level"] for d in doc["domains"]} for doc in docs[:2]]
    assert trend[2]["domains"][HOSTILE[0]] == 2 and len(trend[2]["domains"]) == 6  # the malformed entry is left out
    model = load_model()
    c = _client(pages)
    assert _login(c, "owner-b") == 303
    for path in ("/p/beta/maturity?lang=en", "/p/beta?lang=en"):
        html = c.get(path).text
        svg = html[html.index('class="trend"'):html.index("</svg>", html.index('class="trend"'))]
        assert svg.count("<polyline") == 7  # overall, five domains, and the odd one
        for d in model.domains:
            assert f"{d.id} {d.name.en}: L" in svg  # each dot names its domain and level
        assert "&lt;script&gt;alert(1)&lt;/script&gt;: L2" in svg and "<script>alert(1)" not in html
    zh = c.get("/p/beta/maturity?lang=zh").text
    assert f"{model.domains[0].id} {model.domains[0].name.zh}: L" in zh
    # the latest assessment's verdict and plan total, and commands shown as code, not Markdown backticks
    html = c.get("/p/beta/maturity?lang=en").text
    verdict = html[html.index('id="verdict"'):html.index("</ul>", html.index('id="verdict"'))]
    last = docs[-1]
    assert f"Evidence covers {last['overall']['coverage']}% of the requirements up to L2" in verdict
    assert f"{last['plan_summary']['effort_days']:g} person-days in total" in verdict
    plan = html[html.index('id="plan"'):]
    assert "<code>cnsmm attest init</code>" in plan and "`" not in plan


NAV = '<a href="/p/alpha/findings">'


def test_unknown_pages_and_bad_ids_keep_the_navigation(pages: World) -> None:
    c = _client(pages)
    assert _login(c, "viewer-a") == 303
    for path in ("/p/alpha/findings/999999999", "/p/alpha/findings/abc", "/p/alpha/findings/0", "/p/alpha/nope",
                 "/p/alpha/jobs/00000000-0000-0000-0000-000000000000"):
        r = c.get(path)
        assert r.status_code == 404, path
        assert r.headers["content-type"].startswith("text/html"), path
        assert NAV in r.text and 'id="org-link"' in r.text, path  # the project's and the site's navigation
    other = c.get("/p/beta/nope")  # a project the caller may not see is not linked
    assert other.status_code == 404 and 'href="/p/beta' not in other.text
    assert 'id="org-link"' in c.get("/nothing-here").text
    assert c.post("/p/alpha/nope", data={}).status_code in (404, 405)
    # the API keeps its JSON answers
    api = c.get("/api/v1/projects/alpha/nope")
    assert api.status_code == 404 and api.json() == {"detail": "Not Found"}
    assert c.get("/api/v1/projects/alpha/findings/abc").json()["detail"][0]["loc"] == ["path", "finding_id"]
    anonymous = _client(pages)
    r = anonymous.get("/p/alpha/nope")
    assert r.status_code == 404 and NAV not in r.text and 'id="org-link"' not in r.text


def test_empty_states_keep_the_navigation_and_tables_have_headers(pages: World) -> None:
    c = _client(pages)
    assert _login(c, "owner-a") == 303
    empty = c.get("/p/alpha/findings", params={"q": "no finding has this text"}).text
    assert 'id="no-findings"' in empty and NAV in empty
    assert "<thead>" in empty
    for path in ("/p/alpha", "/p/alpha/settings", "/p/alpha/webhooks", "/org", "/p/alpha/maturity"):
        html = c.get(path).text
        assert NAV in html or path == "/org", path
        for table in re.findall(r"<table\b.*?</table>", html, flags=re.S):
            assert "<thead>" in table or 'scope="row"' in table, (path, table[:120])
            assert "<th></th>" not in table, (path, table[:120])  # every column is named
    settings = c.get("/p/alpha/settings").text
    member_form = re.search(r'<form method="post" id="member-form">.*?</form>', settings, flags=re.S)
    assert member_form and 'value="member"' in member_form.group(0) and "remove" not in member_form.group(0)
    assert re.search(r"<option selected>viewer</option>", member_form.group(0))  # the least role by default
