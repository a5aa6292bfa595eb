"""The service in a real headless Chromium: log in, upload from the CLI, triage, view the assessment.

The service runs with uvicorn in a thread on 127.0.0.1 over a temporary SQLite store; the CLI
runs in subprocesses as a CI job would. Screenshots go to pytest's tmp_path.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest
from tests.conftest import REPO, free_port, require_service
from tests.web.conftest import PASSWORD, seed, trend_docs

pytestmark = pytest.mark.browser
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]
HOSTILE = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']


@dataclass
class Service:
    """A running service and its store URL."""

    base: str
    db_url: str


def _cli(*args: str, stdin: str | None = None, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cnsmm", *args], input=stdin, capture_output=True, text=True,
                          cwd=REPO, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    if not CHROMIUM.exists():
        require_service("Chromium (/usr/bin/chromium; apt-get install chromium)")
    import uvicorn

    from cnsmm.web.app import create_app

    db_url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'service.db'}"
    created = _cli("user", "create", "admin", "--admin", "--password-stdin", "--db", db_url, stdin=PASSWORD + "\n")
    assert created.returncode == 0, created.stderr
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(db_url), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the service did not start"
    yield Service(f"http://127.0.0.1:{port}", db_url)
    server.should_exit = True
    thread.join(timeout=30)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        require_service("Chromium (/usr/bin/chromium; apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def dialogs() -> list[str]:
    """Messages of every alert/confirm a page opened; a hostile string must never open one."""
    return []


@pytest.fixture
def page(browser: Any, dialogs: list[str]) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    yield pg
    context.close()


def _login(page: Any, base: str) -> None:
    page.goto(f"{base}/")
    assert "/login" in page.url  # anonymous visitors are sent to the login form
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{base}/")


def _rows(page: Any) -> list[list[str]]:
    return [[c.strip() for c in row.locator("td").all_inner_texts()]
            for row in page.locator("#findings-table tbody tr").all()]


def test_login_upload_triage_and_assessment(service: Service, page: Any, dialogs: list[str], tmp_path: Path,
                                            request: pytest.FixtureRequest) -> None:
    base = service.base
    _login(page, base)
    page.screenshot(path=str(tmp_path / "01-projects.png"))

    # a token for CI, created in Settings and read once from the page
    page.goto(f"{base}/p/shop/settings")
    token_form = page.locator("form:has(input[name=action][value=token])")
    token_form.locator("input[name=name]").fill("ci")
    token_form.locator("select[name=role]").select_option("security")
    token_form.locator("button[type=submit]").click()
    token = page.locator("#new-token").inner_text().strip()
    assert token.startswith("cnsmm_")
    page.screenshot(path=str(tmp_path / "01-settings-token.png"), full_page=True)
    page.goto(f"{base}/p/shop/settings")
    assert page.locator("#new-token").count() == 0  # shown once only
    assert token not in page.content()

    # upload a scan from the CLI, as a CI job does
    scan = _cli("scan", str(REPO / "examples"), "--upload", base, "--token", token, "--project", "shop",
                "--fail-on", "never", "--format", "json", "-o", str(tmp_path / "scan.json"))
    assert scan.returncode == 0, scan.stderr
    assert "uploaded to" in scan.stderr
    uploaded = json.loads((tmp_path / "scan.json").read_text())
    assert uploaded["findings"]

    # the list shows the uploaded findings
    page.goto(f"{base}/p/shop/findings")
    rows = _rows(page)
    assert len(rows) == min(50, len(uploaded["findings"]))
    severities = {r[2] for r in rows}
    assert severities <= {"critical", "high", "medium", "low", "info"}
    page.screenshot(path=str(tmp_path / "02-findings.png"), full_page=True)

    # filter by severity through the form
    page.select_option("select[name=severity]", ["high"])
    page.click("#filters button[type=submit]")
    page.wait_for_url("**severity=high**")
    high = _rows(page)
    assert high and {r[2] for r in high} == {"high"}
    assert len(high) < len(rows)

    # open a finding, triage it and comment
    page.locator("#findings-table tbody tr").first.locator("a").first.click()
    page.wait_for_url("**/findings/*")
    assert page.locator("#status").inner_text().startswith("open")
    status_form = page.locator("#status-form")
    status_form.locator("select[name=status]").select_option("triaged")
    status_form.locator("input[name=reason]").fill("confirmed on the staging cluster")
    with page.expect_navigation():  # the form posts, then the service redirects back here
        status_form.locator("button[type=submit]").click()
    assert page.locator("#status").inner_text().startswith("triaged")
    assert "confirmed on the staging cluster" in page.locator("#history").inner_text()
    page.fill("#comment-form textarea[name=text]", "Platform team will patch the base image this sprint.")
    with page.expect_navigation():
        page.click("#comment-form button[type=submit]")
    assert "Platform team will patch the base image this sprint." in page.locator("#comments").inner_text()
    assert "admin" in page.locator("#comments").inner_text()
    page.screenshot(path=str(tmp_path / "03-finding.png"), full_page=True)

    # bulk status change of two findings from the list
    page.goto(f"{base}/p/shop/findings?status=open&sort=title")
    picks = page.locator("#findings-table input.pick")
    ids = [picks.nth(0).get_attribute("value"), picks.nth(1).get_attribute("value")]
    picks.nth(0).check()
    picks.nth(1).check()
    page.select_option("#bulk-status", "in_progress")
    with page.expect_navigation():
        page.click("#bulk-apply")
    api = httpx2.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    request.addfinalizer(api.close)
    for fid in ids:
        assert api.get(f"/api/v1/projects/shop/findings/{fid}").json()["status"] == "in_progress"
    remaining = {r[1] for r in _rows(page)}
    assert not remaining & set(ids)  # the list (still filtered on open) no longer shows them

    # an assessment, as `cnsmm assess --format json` writes it, stored through the API
    assess = _cli("assess", str(REPO / "examples"), "--format", "json")
    assert assess.returncode == 0, assess.stderr
    doc = json.loads(assess.stdout)
    stored = api.post("/api/v1/projects/shop/assessments", json=doc)
    assert stored.status_code == 201, stored.text
    assert stored.json()["overall"] == doc["overall"]["level"]

    page.goto(f"{base}/p/shop/maturity")
    assert page.locator("#overall-level").inner_text() == f"L{doc['overall']['level']}"
    assert page.locator("svg.radar").is_visible()
    first_domain = doc["domains"][0]
    assert first_domain["id"] in page.locator("#drilldown").inner_text()
    page.screenshot(path=str(tmp_path / "04-maturity.png"), full_page=True)

    page.goto(f"{base}/p/shop")
    assert page.locator("svg.radar").is_visible()
    assert page.locator("svg.radar polygon").count() >= 3
    open_counts = page.locator("#open-by-severity td.num").all_inner_texts()
    assert sum(int(n) for n in open_counts) > 0
    page.screenshot(path=str(tmp_path / "05-overview.png"), full_page=True)

    # Chinese, switched from the header, and kept on the next page
    page.click("#lang-switch")
    page.wait_for_url("**lang=zh**")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    nav = page.locator("header.top nav").inner_text()
    assert "概览" in nav and "安全问题" in nav and "成熟度" in nav
    assert "按严重程度统计的未关闭问题" in page.content()
    page.goto(f"{base}/p/shop/findings")
    assert "严重程度" in page.locator("#findings-table thead").inner_text()
    page.screenshot(path=str(tmp_path / "06-findings-zh.png"), full_page=True)
    assert dialogs == []


def test_hostile_titles_render_as_text(service: Service, page: Any, dialogs: list[str], tmp_path: Path) -> None:
    from cnsmm.web.db import open_web_store

    store = open_web_store(service.db_url)
    try:
        seed(store, "hostile", HOSTILE, tool="<b>tool</b>")
    finally:
        store.dispose()
    _login(page, service.base)
    page.goto(f"{service.base}/p/hostile/findings")
    table = page.locator("#findings-table")
    for title in HOSTILE:
        assert table.get_by_text(title, exact=True).is_visible()
    assert table.locator("img, script").count() == 0
    assert "<b>tool</b>" in table.inner_text()
    page.screenshot(path=str(tmp_path / "hostile-list.png"), full_page=True)
    table.get_by_text(HOSTILE[1], exact=True).click()
    page.wait_for_url("**/findings/*")
    assert page.locator("h1").inner_text().endswith(HOSTILE[1])
    assert page.locator("main img, main script").count() == 0
    assert dialogs == []


def test_maturity_trend_draws_every_domain(service: Service, page: Any, dialogs: list[str], tmp_path: Path) -> None:
    from cnsmm.accounts.service import Role, create_token
    from cnsmm.model import load_model
    from cnsmm.web import records
    from cnsmm.web.db import open_web_store

    store = open_web_store(service.db_url)
    try:
        records.create_project(store, "trend")
        token = create_token(store, "trend", Role.SECURITY, name="ci", created_by="t")[0]
    finally:
        store.dispose()
    with httpx2.Client(base_url=service.base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as api:
        for doc in trend_docs(HOSTILE[0]):
            assert api.post("/api/v1/projects/trend/assessments", json=doc).status_code == 201
    _login(page, service.base)
    model = load_model()
    for lang in ("en", "zh"):
        page.goto(f"{service.base}/p/trend/maturity?lang={lang}")
        chart = page.locator("#trend svg.trend")
        assert chart.is_visible()
        assert chart.locator("polyline").count() == 7  # overall, the five domains, the odd upload's extra one
        legend = page.locator("#trend .legend").inner_text()
        for d in model.domains:
            assert f"{d.id} {d.name.get(lang)}" in legend
        assert HOSTILE[0] in legend  # shown as text
        assert chart.locator("script, img").count() == 0
        page.screenshot(path=str(tmp_path / f"trend-{lang}.png"), full_page=True)
    page.goto(f"{service.base}/p/trend")
    assert page.locator("#trend svg.trend polyline").count() == 7
    assert dialogs == []


def test_organisation_view_search_and_assigned_severity(service: Service, page: Any, dialogs: list[str],
                                                        tmp_path: Path) -> None:
    # a Checkov report without severities, imported by a CI job that names its checkout
    sample = REPO / "tests" / "importers" / "samples" / "checkov-json" / "multi-framework.json"
    imported = _cli("import", str(sample), "-p", "org-web", "--db", service.db_url,
                    "--repo", "https://github.com/acme/shop", "--commit", "0123456789abcdef" * 2 + "01234567")
    assert imported.returncode == 0, imported.stderr
    from cnsmm.web.db import open_web_store

    store = open_web_store(service.db_url)
    try:
        seed(store, "org-api", ["openssl overflow"])
    finally:
        store.dispose()
    _login(page, service.base)
    page.click("#org-link")
    page.wait_for_url("**/org")
    rows = {r.get_attribute("data-project"): r for r in page.locator("#org-projects tbody tr").all()}
    assert {"org-web", "org-api"} <= set(rows)
    headers = page.locator("#org-projects thead th").all_inner_texts()
    assert "critical" in headers and any("SLA" in h for h in headers)
    web_cells = rows["org-web"].locator("td").all_inner_texts()
    assert web_cells[2] == "3"  # high: two checks graded by cnsmm, one by the report
    page.screenshot(path=str(tmp_path / "org.png"), full_page=True)

    # where is the privilege escalation check failing? the search lists it, the hit opens it
    page.fill("#org-search input[name=q]", "ckv_k8s_20")
    with page.expect_navigation():
        page.click("#org-search button[type=submit]")
    assert "org-web: 1" in page.locator("#org-counts").inner_text()
    assert "org-api" not in page.locator("#org-counts").inner_text()
    page.locator("#org-hits tbody tr a").first.click()
    page.wait_for_url("**/p/org-web/findings/*")
    assert page.locator("#severity-source").inner_text().startswith("severity assigned by cnsmm")
    sources = page.locator("#sources")
    assert sources.locator("thead th").count() == 5
    assert "github.com/acme/shop@0123456789ab" in sources.locator("tbody").inner_text()
    assert page.locator("header.top nav").is_visible()  # the finding page keeps the project navigation
    page.screenshot(path=str(tmp_path / "org-finding.png"), full_page=True)
    assert dialogs == []


def test_import_a_report_from_the_overview_page(service: Service, page: Any, dialogs: list[str],
                                               tmp_path: Path) -> None:
    from cnsmm.web import records
    from cnsmm.web.db import open_web_store

    store = open_web_store(service.db_url)
    try:
        records.create_project(store, "upload-web")
    finally:
        store.dispose()
    _login(page, service.base)
    page.goto(f"{service.base}/p/upload-web")
    form = page.locator("#import-form")
    assert form.is_visible()  # with the script, the form uploads in place and shows the summary
    form.locator("input[type=file]").set_input_files(str(REPO / "tests" / "tracking" / "data" / "trivy-image.json"))
    form.locator("input[name=scope]").fill("image:registry.example.com/shop/web")
    form.locator("button[type=submit]").click()
    import re

    from playwright.sync_api import expect

    expect(page.locator("#import-result")).to_have_text(re.compile(r"^(done|failed|refused)"), timeout=120_000)
    assert "trivy-image.json: 3 new" in page.locator("#import-result").inner_text()
    page.screenshot(path=str(tmp_path / "import.png"), full_page=True)
    page.goto(f"{service.base}/p/upload-web/findings")
    assert len(_rows(page)) == 3
    assert dialogs == []


def test_webhooks_page_adds_shows_the_log_and_removes(service: Service, page: Any, dialogs: list[str],
                                                      tmp_path: Path) -> None:
    from tests.notify.receiver import Receiver

    from cnsmm.web import records
    from cnsmm.web.db import open_web_store

    store = open_web_store(service.db_url)
    try:
        records.create_project(store, "hooks-web")
    finally:
        store.dispose()
    receiver = Receiver()
    try:
        _login(page, service.base)
        page.goto(f"{service.base}/p/hooks-web")
        with page.expect_navigation():
            page.click("#webhooks-link")  # owners (and admins) find it in the project's navigation
        assert page.locator("#no-webhooks").is_visible() and page.locator("#no-deliveries").is_visible()
        form = page.locator("#webhook-form")
        form.locator("input[name=url]").fill(receiver.url + '?x="><svg/onload=alert(1)>')
        form.locator("input[value='sla.breached']").uncheck()
        form.locator("input[value='risk.expiring']").uncheck()
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        secret = page.locator("#new-secret").inner_text().strip()
        assert secret.startswith("whsec_")
        row = page.locator("#webhooks-table tbody tr")
        assert row.count() == 1 and "findings.new" in row.inner_text() and "sla.breached" not in row.inner_text()
        assert '"><svg/onload=alert(1)>' in row.locator("td code").inner_text()  # the URL is shown as text
        assert page.locator("main svg").count() == 0
        page.screenshot(path=str(tmp_path / "webhooks-added.png"), full_page=True)
        page.goto(f"{service.base}/p/hooks-web/webhooks")
        assert page.locator("#new-secret").count() == 0 and secret not in page.content()  # shown once

        # an import into the same store sends the event at once; the log shows it
        imported = _cli("import", str(REPO / "tests" / "tracking" / "data" / "trivy-image.json"), "-p", "hooks-web",
                        "--db", service.db_url)
        assert imported.returncode == 0, imported.stderr
        assert len(receiver.received) == 1 and receiver.received[0]["headers"]["X-Cnsmm-Event"] == "findings.new"
        page.reload()
        cells = page.locator("#deliveries-table tbody tr").first.locator("td").all_inner_texts()
        assert cells[2:6] == ["findings.new", "delivered", "1", "204"]
        headers = page.locator("#deliveries-table thead th").all_inner_texts()
        assert "Attempts" in headers and "HTTP status" in headers
        page.screenshot(path=str(tmp_path / "webhooks-log.png"), full_page=True)

        with page.expect_navigation():
            page.locator("#webhooks-table button.danger").click()
        assert page.locator("#no-webhooks").is_visible() and page.locator("#no-deliveries").is_visible()
    finally:
        receiver.close()
    assert dialogs == []


def test_import_form_works_without_javascript(service: Service, browser: Any, dialogs: list[str],
                                              tmp_path: Path) -> None:
    from cnsmm.web import records
    from cnsmm.web.db import open_web_store

    store = open_web_store(service.db_url)
    try:
        records.create_project(store, "nojs-a")
        records.create_project(store, "nojs-b")
    finally:
        store.dispose()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        _login(page, service.base)
        report = str(REPO / "tests" / "tracking" / "data" / "trivy-image.json")

        page.goto(f"{service.base}/p/nojs-a")
        form = page.locator("#import-form")
        assert form.is_visible()  # no script needed to show it
        form.locator("input[type=file]").set_input_files(report)
        form.locator("input[name=scope]").fill("image:registry.example.com/shop/web")
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        assert "/p/nojs-a/jobs/" in page.url
        page.wait_for_url("**/jobs/*", timeout=5_000)
        from playwright.sync_api import expect

        # the job page reloads itself (a meta refresh, no script) until the import is done
        expect(page.locator("#job-status")).to_have_text("done", timeout=120_000)
        summary = page.locator("#job-summary").inner_text()
        assert summary.startswith("trivy-image.json: 3 findings (3 new")
        assert page.locator("header.top nav").is_visible()
        page.screenshot(path=str(tmp_path / "nojs-job.png"), full_page=True)
        page.goto(f"{service.base}/p/nojs-a/findings")
        assert len(_rows(page)) == 3

        # the organisation view's form: choose the project
        page.goto(f"{service.base}/org")
        org_form = page.locator("#org-import-form")
        org_form.locator("select[name=project]").select_option("nojs-b")
        org_form.locator("input[type=file]").set_input_files(report)
        with page.expect_navigation():
            org_form.locator("button[type=submit]").click()
        assert "/p/nojs-b/jobs/" in page.url
        expect(page.locator("#job-status")).to_have_text("done", timeout=120_000)
        page.goto(f"{service.base}/p/nojs-b/findings")
        assert len(_rows(page)) == 3
    finally:
        context.close()
    assert dialogs == []


def test_rule_filter_bulk_preview_and_assigned_severity(service: Service, page: Any, dialogs: list[str],
                                                        tmp_path: Path) -> None:
    sample = REPO / "tests" / "importers" / "samples" / "checkov-json" / "multi-framework.json"
    imported = _cli("import", str(sample), "-p", "bulk-web", "--db", service.db_url)
    assert imported.returncode == 0, imported.stderr
    _login(page, service.base)
    page.goto(f"{service.base}/p/bulk-web/findings")
    page.fill("#filters input[name=rule]", "CKV_K8S_20")
    with page.expect_navigation():
        page.click("#filters button[type=submit]")
    rows = _rows(page)
    assert rows and all("CKV_K8S_20" in r[4] for r in rows)
    page.select_option("#bulk-scope", "matching")
    page.select_option("#bulk-status", "triaged")
    with page.expect_navigation():
        page.click("#bulk-preview")
    assert page.locator("#preview-summary").inner_text().startswith(f"Dry run: {len(rows)} of {len(rows)} matching")
    page.screenshot(path=str(tmp_path / "bulk-preview.png"), full_page=True)
    with page.expect_navigation():
        page.click("#bulk-confirm-apply")
    assert "rule=CKV_K8S_20" in page.url
    assert {r[3] for r in _rows(page)} == {"triaged"} and len(_rows(page)) == len(rows)

    page.goto(f"{service.base}/p/bulk-web/settings")
    assert page.locator("#no-assigned").is_visible()
    form = page.locator("#severity-form")
    form.locator("input[name=rule]").fill("ckv_k8s_43")
    form.locator("select[name=level]").select_option("info")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    cells = page.locator("#assigned-table tbody tr").first.locator("td").all_inner_texts()
    assert cells[:2] == ["CKV_K8S_43", "info"]
    page.screenshot(path=str(tmp_path / "assigned-severity.png"), full_page=True)
    assert dialogs == []
