"""Filters by rule and file in the API and on the findings page, the page's bulk change of
every finding the filters match, previewed first, and the severities a project assigns where
the tool gives none, through the API and the settings page (on SQLite and PostgreSQL)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cnsmm.accounts.service import login

from .conftest import PASSWORD, World, bearer

FILES = ["charts/web/deploy.yaml", "charts/web/svc.yaml", "charts/legacy/deploy.yaml", "k8s/api.yaml"]


@pytest.fixture(scope="module")
def configs(world: World) -> Iterator[World]:
    from cnsmm.findings import Finding, Location, Severity
    from cnsmm.importers.interface import ImportedReport
    from cnsmm.tracking.importer import import_report

    findings = [Finding(rule=rule, severity=Severity.MEDIUM, title=f"{rule} in {path}", message=f"{rule} {path}",
                        location=Location(file=path, line=3), tool="checkov", category="config")
                for path in FILES for rule in ("CKV_K8S_20", "CKV_K8S_43")]
    report = ImportedReport(format="checkov-json", tool="checkov", tool_version="3", scope="repo:acme/shop",
                            findings=iter(findings), kind="iac-scan")
    import_report(world.store, report, project="alpha", source_name="checkov.json", source_sha256="1" * 64,
                  actor="test")
    yield world


def _listed(world: World, **params: object) -> list[tuple[str, str]]:
    r = world.client.get("/api/v1/projects/alpha/findings", params={"per_page": 100, **params},
                         headers=bearer(world.tokens["viewer-a"]))
    assert r.status_code == 200, r.text
    return sorted((i["rule"], i["file"]) for i in r.json()["items"])


def test_api_lists_filter_by_rule_and_file_glob(configs: World) -> None:
    assert _listed(configs, rule="CKV_K8S_20", path="charts/web/*") == [
        ("CKV_K8S_20", "charts/web/deploy.yaml"), ("CKV_K8S_20", "charts/web/svc.yaml")]
    assert len(_listed(configs, rule=["CKV_K8S_20", "CKV_K8S_43"], path="*deploy.yaml")) == 4
    assert _listed(configs, path="k8s/api.yaml", rule="CKV_K8S_43") == [("CKV_K8S_43", "k8s/api.yaml")]
    assert _listed(configs, rule="ckv_k8s_20x") == []
    csv = configs.client.get("/api/v1/projects/alpha/findings.csv", params={"rule": "CKV_K8S_43", "path": "charts/*"},
                             headers=bearer(configs.tokens["viewer-a"])).text
    assert len(csv.splitlines()) == 4 and csv.count(",CKV_K8S_43,") == 3 and "CKV_K8S_20" not in csv
    too_long = configs.client.get("/api/v1/projects/alpha/findings", params={"path": "x" * 1001},
                                  headers=bearer(configs.tokens["viewer-a"]))
    assert too_long.status_code == 422


def _session(world: World, name: str) -> tuple[TestClient, str]:
    cookie, who = login(world.store, name, PASSWORD, "10.0.0.8")
    c = TestClient(world.client.app, follow_redirects=False)
    c.cookies.set("cnsmm_session", cookie)
    return c, who.csrf_token or ""


def test_findings_page_filters_by_rule_and_file(configs: World) -> None:
    c, _ = _session(configs, "viewer-a")
    page = c.get("/p/alpha/findings", params={"rule": "CKV_K8S_43", "path": "charts/legacy/*"}).text
    rows = re.findall(r'<tr><td><a href="/p/alpha/findings/\d+">', page)
    assert len(rows) == 1 and "CKV_K8S_43 in charts/legacy/deploy.yaml" in page
    assert 'name="rule" value="CKV_K8S_43"' in page and 'name="path" value="charts/legacy/*"' in page


def test_bulk_change_of_every_matching_finding_is_previewed_then_applied(configs: World) -> None:
    c, csrf = _session(configs, "developer-a")
    back = "rule=CKV_K8S_20&path=charts%2Fweb%2F*&status=open"
    form = {"csrf_token": csrf, "back": back, "scope": "matching", "status": "triaged", "reason": "seen"}
    preview = c.post("/p/alpha/findings/bulk", data={**form, "dry_run": "1"})
    assert preview.status_code == 200
    assert "Dry run: 2 of 2 matching finding(s) would move to triaged" in preview.text
    assert _listed(configs, status="triaged") == []  # nothing changed yet
    confirm = re.search(r'<form method="post" action="/p/alpha/findings/bulk" id="bulk-confirm">(.*?)</form>',
                        preview.text, flags=re.S)
    assert confirm and 'name="dry_run"' not in confirm.group(1)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', confirm.group(1)))
    assert fields["scope"] == "matching" and fields["status"] == "triaged"
    applied = c.post("/p/alpha/findings/bulk", data={**fields, "back": back})
    assert applied.status_code == 303 and applied.headers["location"] == f"/p/alpha/findings?{back}"
    assert _listed(configs, status="triaged", rule="CKV_K8S_20") == [
        ("CKV_K8S_20", "charts/web/deploy.yaml"), ("CKV_K8S_20", "charts/web/svc.yaml")]
    # again: nothing left to move, and the preview says why for each
    again = c.post("/p/alpha/findings/bulk", data={**form, "back": "rule=CKV_K8S_20&path=charts%2Fweb%2F*&status=all",
                                                   "dry_run": "1"})
    assert "Dry run: 0 of 2 matching" in again.text and again.text.count("already triaged") == 2
    assert 'id="bulk-confirm-apply"' not in again.text
    # a viewer may not, whatever the scope
    viewer, vcsrf = _session(configs, "viewer-a")
    assert viewer.post("/p/alpha/findings/bulk", data={**form, "csrf_token": vcsrf}).status_code == 403


CHECKOV = Path(__file__).resolve().parent.parent / "importers" / "samples" / "checkov-json" / "multi-framework.json"


def _wait_job(world: World, poll: str) -> dict[str, object]:
    deadline = time.monotonic() + 60
    while True:
        state = world.client.get(poll, headers=bearer(world.tokens["viewer-a"])).json()
        if state["status"] in ("done", "failed"):
            return dict(state)
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_assigned_severities_through_the_api_and_the_settings_page(configs: World) -> None:
    c = configs.client
    url = "/api/v1/projects/alpha/assigned-severities"
    assert c.get(url, headers=bearer(configs.tokens["viewer-a"])).json() == {"rules": {}}
    assert c.put(url, json={"rules": {"CKV_K8S_20": "low"}},
                 headers=bearer(configs.tokens["developer-a"])).status_code == 403
    bad = c.put(url, json={"rules": {"CKV_K8S_20": "urgent"}}, headers=bearer(configs.tokens["security-a"]))
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "rules"]
    assert "expected one of critical, high, medium, low, info or auto" in bad.text
    ok = c.put(url, json={"rules": {"ckv_k8s_20": "low", "CKV_K8S_43": "info"}},
               headers=bearer(configs.tokens["security-a"]))
    assert ok.status_code == 200 and ok.json() == {"rules": {"CKV_K8S_20": "low", "CKV_K8S_43": "info"}}

    # an import applies it to findings whose tool gives no severity
    job = c.post("/api/v1/projects/alpha/imports?name=checkov.json&scope=repo:acme/other", content=CHECKOV.read_bytes(),
                 headers=bearer(configs.tokens["security-a"]))
    assert _wait_job(configs, job.json()["poll"])["status"] == "done"
    items = c.get("/api/v1/projects/alpha/findings", params={"rule": "CKV_K8S_20", "per_page": 100},
                  headers=bearer(configs.tokens["viewer-a"])).json()["items"]
    imported = [i for i in items if i["file"] not in FILES]
    assert imported and {i["severity"] for i in imported} == {"low"}

    # the settings page shows the table to everyone and lets the security role change it
    viewer, _ = _session(configs, "viewer-a")
    page = viewer.get("/p/alpha/settings").text
    assert re.search(r'<table class="list" id="assigned-table"><thead>', page)
    assert "<code>CKV_K8S_20</code>" in page and 'id="severity-form"' not in page
    sec, csrf = _session(configs, "security-a")
    set_ = sec.post("/p/alpha/settings", data={"csrf_token": csrf, "action": "severity", "rule": "CKV_K8S_21",
                                               "level": "critical"})
    assert set_.status_code == 303
    back = sec.post("/p/alpha/settings", data={"csrf_token": csrf, "action": "severity", "rule": "CKV_K8S_20",
                                               "level": "auto"})
    assert back.status_code == 303
    assert c.get(url, headers=bearer(configs.tokens["viewer-a"])).json() == {
        "rules": {"CKV_K8S_21": "critical", "CKV_K8S_43": "info"}}
    refused = sec.post("/p/alpha/settings", data={"csrf_token": csrf, "action": "severity", "rule": "X",
                                                  "level": "urgent"})
    assert refused.status_code == 422 and "expected one of critical" in refused.text
    dev, dcsrf = _session(configs, "developer-a")
    assert dev.post("/p/alpha/settings", data={"csrf_token": dcsrf, "action": "severity", "rule": "X",
                                               "level": "low"}).status_code == 403
