"""Every importer sample, and findings with extreme field values, imported and then read back
through every list sort, the detail API, the finding page, the findings page and the overview:
nothing the importers can store may break a page. On SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from tests.conftest import REPO
from tests.web.conftest import World, bearer, logged_in

from cnsmm.accounts.service import Role, create_token
from cnsmm.findings import Finding, Location, Severity
from cnsmm.importers import open_report
from cnsmm.importers.interface import ImportedReport
from cnsmm.tracking.importer import import_report
from cnsmm.tracking.pipeline import file_sha256
from cnsmm.tracking.sla import SlaPolicy
from cnsmm.web.queries import SORT_KEYS

SAMPLES = sorted(p for p in (REPO / "tests" / "importers" / "samples").rglob("*")
                 if p.is_file() and p.parent.name != "malformed" and p.suffix in (".json", ".jsonl", ".xml", ".sarif"))
PROJECT = "roundtrip"
HOSTILE = '<script>alert(1)</script>"\'&\u202e\x07|=cmd|'


def _extreme_findings() -> list[Finding]:
    base = Finding(rule="CVE-2024-0001", severity=Severity.CRITICAL, title="t", message="m",
                   location=Location(image="registry.example.com/x:1"), tool="trivy", category="vulnerability",
                   component="pkg", installed_version="1.0")
    return [
        replace(base, title=HOSTILE * 200, message="long " * 5000, description=HOSTILE * 3000,
                fix=HOSTILE * 100, component="a" * 3000, installed_version="9" * 500, fixed_version="1" * 5000),
        replace(base, rule="CVE-2024-0002", title="nul\x00inside", message="nul\x00", description="\x00",
                location=Location(file="k8s/" + "d/" * 600 + "x.yaml", line=2**40, resource=HOSTILE)),
        replace(base, rule="CVE-2024-0003", title="", message="", component="漏洞" * 600,
                references=("javascript:alert(1)", "https://example.com/" + "p" * 3000), aliases=("GHSA-x",) * 50),
        replace(base, rule="K8S-001", category="misconfiguration", severity=Severity.INFO, component=None,
                location=Location(file="deploy.yaml", line=-5, resource="Deployment/" + HOSTILE), title=HOSTILE),
    ]


@pytest.fixture(scope="module")
def filled(world: World) -> tuple[World, str]:
    for path in SAMPLES:
        import_report(world.store, open_report(path, format=path.parent.name), project=PROJECT,
                      source_name=path.name, source_sha256=file_sha256(path), actor="test")
    report = ImportedReport(format="trivy-json", tool="trivy", tool_version="0.67.2", scope="image:extreme",
                            findings=iter(_extreme_findings()), kind="image-scan")
    import_report(world.store, report, project=PROJECT, source_name="extreme.json", source_sha256="e" * 64,
                  actor="test", sla=SlaPolicy.from_settings({"critical": 3}))
    return world, create_token(world.store, PROJECT, Role.VIEWER, name="rt", created_by="t")[0]


def _all(world: World, token: str, **params: Any) -> list[dict[str, Any]]:
    r = world.client.get(f"/api/v1/projects/{PROJECT}/findings", params={"per_page": 500, **params},
                         headers=bearer(token))
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def test_every_sample_was_imported(filled: tuple[World, str]) -> None:
    world, token = filled
    items = _all(world, token)
    assert len(items) >= 60  # the samples hold dozens of findings; each importer contributes
    tools = {t for i in items for t in i["tools"]}
    assert {"trivy", "grype", "checkov", "gitleaks", "kubescape", "zap"} <= tools


@pytest.mark.parametrize("sort", sorted(SORT_KEYS))
def test_every_sort_lists_and_walks_everything(filled: tuple[World, str], sort: str) -> None:
    world, token = filled
    whole = [i["id"] for i in _all(world, token, sort=sort)]
    walked: list[int] = []
    params: dict[str, Any] = {"sort": sort, "per_page": 7}
    while True:
        r = world.client.get(f"/api/v1/projects/{PROJECT}/findings", params=params, headers=bearer(token))
        assert r.status_code == 200, r.text
        walked += [i["id"] for i in r.json()["items"]]
        if not r.json()["next_cursor"]:
            break
        params["after"] = r.json()["next_cursor"]
    assert walked == whole


def test_every_finding_reads_back_in_the_api_and_the_page(filled: tuple[World, str]) -> None:
    world, token = filled
    with logged_in(world.client, "admin") as c:
        for item in _all(world, token):
            detail = c.get(f"/api/v1/projects/{PROJECT}/findings/{item['id']}", headers=bearer(token))
            assert detail.status_code == 200, detail.text
            page = c.get(f"/p/{PROJECT}/findings/{item['id']}")
            assert page.status_code == 200
            assert "<script>alert" not in page.text
            assert 'href="javascript:' not in page.text
        for path in (f"/p/{PROJECT}", f"/p/{PROJECT}/findings", f"/p/{PROJECT}/findings?sort=title&q=%3Cscript",
                     f"/p/{PROJECT}/findings?sort=due&overdue=1", f"/p/{PROJECT}/maturity", f"/p/{PROJECT}/settings"):
            page = c.get(path)
            assert page.status_code == 200, path
            assert "<script>alert" not in page.text


def test_extreme_values_are_cut_not_lost(filled: tuple[World, str]) -> None:
    world, token = filled
    items = {i["rule"]: i for i in _all(world, token, tool="trivy") if i["rule"].startswith("CVE-2024-000")}
    first = world.client.get(f"/api/v1/projects/{PROJECT}/findings/{items['CVE-2024-0001']['id']}",
                             headers=bearer(token)).json()
    assert first["title"].startswith(HOSTILE) and len(first["title"]) == 1000
    assert first["due"] is not None  # long text never costs the due date
    assert first["description"].startswith(HOSTILE) and len(first["description"]) == 20_000
    second = world.client.get(f"/api/v1/projects/{PROJECT}/findings/{items['CVE-2024-0002']['id']}",
                              headers=bearer(token)).json()
    assert "\x00" not in second["title"] and second["title"] == "nulinside"
    assert second["line"] is None  # beyond what a line number can be
    third = world.client.get(f"/api/v1/projects/{PROJECT}/findings/{items['CVE-2024-0003']['id']}",
                             headers=bearer(token)).json()
    assert third["reference"].startswith("https://example.com/")


def test_csv_export_of_the_samples_is_formula_safe(filled: tuple[World, str],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    import csv
    import io

    from cnsmm._cli import main

    world, _ = filled
    capsys.readouterr()
    try:
        main(["findings", "list", "--project", PROJECT, "--db", world.store.engine.url.render_as_string(False),
              "--format", "csv"])
    except SystemExit as exc:
        assert not exc.code
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) > 60
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell[:40]
