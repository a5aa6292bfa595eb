"""Auto-close only inside what a scan covered; paths stored relative to the checkout."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from cnsmm.coverage import Coverage
from cnsmm.findings import Finding, Location, Severity
from cnsmm.tracking.importer import ImportOptions, import_report
from cnsmm.tracking.models import Project, Scan, TrackedFinding
from cnsmm.tracking.store import Store

from .conftest import report


def _cfg(rule: str, file: str) -> Finding:
    return Finding(rule=rule, severity=Severity.HIGH, title=f"{rule} check", message=f"{rule} fails",
                   location=Location(file=file, line=3, resource="Deployment/shop/web"), tool="cnsmm",
                   category="misconfiguration")


def _import(store: Store, project: str, findings: list[Finding], *, coverage: Coverage | None = None,
            root: str | None = None, cwd: str | None = None, options: ImportOptions | None = None,
            partial_scope: str = "cnsmm:github.com/acme/shop"):  # type: ignore[no-untyped-def]
    rep = report(findings, tool="cnsmm", scope=partial_scope)
    if coverage is not None:
        rep.coverage = coverage
    rep.root, rep.cwd = root, cwd
    return import_report(store, rep, project=project, source_name="cnsmm-scan.json",
                         source_sha256=uuid.uuid4().hex * 2, actor="ci", options=options)


def _status(store: Store, project: str) -> dict[tuple[str, str | None], str]:
    with store.read() as conn:
        rows = conn.execute(select(TrackedFinding.rule, TrackedFinding.file, TrackedFinding.status)
                            .join(Project, Project.id == TrackedFinding.project_id)
                            .where(Project.name == project).order_by(TrackedFinding.id)).all()
    return {(r.rule, r.file): r.status for r in rows}


ALL = [_cfg("K8S-001", "charts/web/deploy.yaml"), _cfg("K8S-001", "charts/legacy/deploy.yaml"),
       _cfg("K8S-002", "charts/web/deploy.yaml"), _cfg("DKR-001", "src/Dockerfile")]


def test_findings_outside_an_excluding_scan_stay_open(store: Store, project: str) -> None:
    _import(store, project, ALL)
    # the same stream scans again with --exclude legacy: the legacy finding was not looked at
    narrow = _import(store, project, [f for f in ALL if "legacy" not in (f.location.file or "")][:-1],
                     coverage=Coverage.make(["."], ["legacy"]))
    assert (narrow.closed_fixed, narrow.not_covered) == (1, 1)
    status = _status(store, project)
    assert status[("K8S-001", "charts/legacy/deploy.yaml")] == "open"
    assert status[("DKR-001", "src/Dockerfile")] == "fixed"  # covered, not reported: fixed


def test_a_scan_of_one_folder_closes_only_inside_it(store: Store, project: str) -> None:
    _import(store, project, ALL)
    web = _import(store, project, [], coverage=Coverage.make(["charts/web"]))
    assert (web.closed_fixed, web.not_covered) == (2, 2)
    status = _status(store, project)
    assert status[("K8S-001", "charts/web/deploy.yaml")] == "fixed"
    assert status[("K8S-002", "charts/web/deploy.yaml")] == "fixed"
    assert status[("K8S-001", "charts/legacy/deploy.yaml")] == "open"
    assert status[("DKR-001", "src/Dockerfile")] == "open"
    # a later full scan that no longer reports them closes what the narrow scan left open
    full = _import(store, project, [ALL[3]])
    assert (full.closed_fixed, full.not_covered) == (1, 0)
    assert _status(store, project)[("K8S-001", "charts/legacy/deploy.yaml")] == "fixed"
    assert _status(store, project)[("DKR-001", "src/Dockerfile")] == "open"


def test_a_scan_running_some_rules_closes_only_their_findings(store: Store, project: str) -> None:
    _import(store, project, ALL)
    only = _import(store, project, [], coverage=Coverage.make(rules=["K8S-002"]))
    assert (only.closed_fixed, only.not_covered) == (1, 3)
    assert [k for k, v in _status(store, project).items() if v == "fixed"] == [("K8S-002", "charts/web/deploy.yaml")]


def test_files_the_scan_could_not_read_stay_open(store: Store, project: str) -> None:
    _import(store, project, ALL)
    unread = _import(store, project, ALL[1:], coverage=Coverage.make(unread=["charts/web/deploy.yaml"]))
    assert (unread.closed_fixed, unread.not_covered) == (0, 1)
    assert _status(store, project)[("K8S-001", "charts/web/deploy.yaml")] == "open"


def test_coverage_repository_and_commit_are_recorded_per_scan(store: Store, project: str) -> None:
    opts = ImportOptions(repository="https://ci:secret@github.com/acme/shop.git", commit="A" * 40,
                         covers=("charts",), excluded=("*.tmp",))
    summary = _import(store, project, ALL[:1], options=opts)
    with store.read() as conn:
        scan = conn.execute(select(Scan.coverage, Scan.repository, Scan.commit)
                            .where(Scan.id == summary.scan_id)).one()
    assert scan.coverage == {"paths": ["charts"], "exclude": ["*.tmp"]}
    assert (scan.repository, scan.commit) == ("github.com/acme/shop", "a" * 40)  # no credentials kept


def test_two_checkouts_of_one_repository_make_one_finding(store: Store, project: str) -> None:
    first = [_cfg("K8S-001", "/home/runner/work/shop/shop/charts/web/deploy.yaml")]
    a = _import(store, project, first, root="/home/runner/work/shop/shop")
    # another runner, another folder, paths relative to where the scan ran
    b = _import(store, project, [_cfg("K8S-001", "web/deploy.yaml")], root="/builds/acme/shop",
                cwd="/builds/acme/shop/charts")
    # a report made elsewhere that names no checkout: the hosted runner's folder is recognised
    c = _import(store, project, first)
    assert (a.new, b.new, b.seen_again, c.new, c.seen_again) == (1, 0, 1, 0, 1)
    assert list(_status(store, project)) == [("K8S-001", "charts/web/deploy.yaml")]


def test_import_option_roots_strip_the_checkout(store: Store, project: str) -> None:
    opts = ImportOptions(roots=("/srv/ci/checkout",))
    _import(store, project, [_cfg("K8S-003", "/srv/ci/checkout/k8s/app.yaml"), _cfg("K8S-004", "/etc/other.yaml")],
            options=opts)
    assert set(_status(store, project)) == {("K8S-003", "k8s/app.yaml"), ("K8S-004", "/etc/other.yaml")}
