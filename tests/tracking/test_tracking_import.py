"""Import and deduplication: new, seen again, closed as fixed, reopened, manual decisions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from cnsmm.errors import ReportParseError
from cnsmm.findings import Finding, Severity
from cnsmm.importers.interface import ImportedReport
from cnsmm.tracking.importer import ImportSummary, import_report
from cnsmm.tracking.listing import FindingFilter
from cnsmm.tracking.models import Scan, StatusChange, TrackedFinding
from cnsmm.tracking.owners import OwnerResolver, OwnerRule, glob_to_regex
from cnsmm.tracking.queries import list_findings
from cnsmm.tracking.sla import SlaPolicy
from cnsmm.tracking.states import Status
from cnsmm.tracking.store import Store, utcnow
from cnsmm.tracking.workflow import change_status

from .conftest import Importer, misconfig, report, vuln


def _by_rule(store: Store, project: str) -> dict[str, object]:
    return {f.rule: f for f in list_findings(store, project)}


def test_first_import_creates_findings_and_reimport_sees_them_again(do_import: Importer) -> None:
    findings = [vuln("CVE-2024-0001"), vuln("CVE-2024-0002", "zlib", "1.2.13"), vuln("CVE-2024-0003", "curl")]
    first = do_import(findings)
    assert (first.read, first.unique, first.new, first.seen_again) == (3, 3, 3, 0)
    again = do_import(list(reversed(findings)))
    assert (again.new, again.seen_again, again.closed_fixed, again.reopened) == (0, 3, 0, 0)


def test_duplicates_inside_one_report_are_one_finding(do_import: Importer) -> None:
    summary = do_import([vuln("CVE-2024-0001")] * 3 + [vuln("CVE-2024-0002")])
    assert (summary.read, summary.unique, summary.new) == (4, 2, 2)


def test_gone_finding_is_closed_as_fixed_and_comes_back_as_regression(
    do_import: Importer, store: Store, project: str
) -> None:
    do_import([vuln("CVE-2024-0001"), vuln("CVE-2024-0002")])
    second = do_import([vuln("CVE-2024-0001")])
    assert second.closed_fixed == 1
    fixed = _by_rule(store, project)["CVE-2024-0002"]
    assert fixed.status == "fixed"  # type: ignore[attr-defined]
    with store.read() as conn:
        row = conn.execute(
            select(StatusChange.to_status, StatusChange.scan_id, StatusChange.reason).where(
                StatusChange.finding_id == fixed.id  # type: ignore[attr-defined]
            )
        ).one()
    assert row.to_status == "fixed" and row.scan_id == second.scan_id
    assert f"scan {second.scan_id}" in row.reason

    third = do_import([vuln("CVE-2024-0001"), vuln("CVE-2024-0002")])
    assert (third.reopened, third.new) == (1, 0)
    back = _by_rule(store, project)["CVE-2024-0002"]
    assert back.status == "open" and back.regression  # type: ignore[attr-defined]


def test_only_the_same_tool_and_scope_closes_findings(do_import: Importer, store: Store, project: str) -> None:
    do_import([vuln("CVE-2024-0001")], scope="image:web")
    other_scope = do_import([vuln("CVE-2024-0009", image="registry.example.com/shop/api:2.0")], scope="image:api")
    other_tool = do_import([], tool="grype", scope="image:web")
    assert other_scope.closed_fixed == 0 and other_tool.closed_fixed == 0
    assert _by_rule(store, project)["CVE-2024-0001"].status == "open"  # type: ignore[attr-defined]


def test_trivy_and_grype_reporting_the_same_cve_make_one_finding_with_two_sources(
    do_import: Importer, store: Store, project: str
) -> None:
    do_import([vuln("CVE-2024-0001", image="registry.example.com/shop/web:1.8.2 (debian 12.7)")], tool="trivy")
    grype = do_import([vuln("CVE-2024-0001", image="registry.example.com/shop/web:1.8.2", tool="grype")], tool="grype")
    assert grype.new == 0 and grype.seen_again == 1
    (finding,) = list(list_findings(store, project))
    assert finding.tools == ("grype", "trivy")
    # Trivy no longer sees it, Grype still does: it stays open.
    assert do_import([], tool="trivy").closed_fixed == 0
    assert do_import([], tool="grype").closed_fixed == 1


def test_manual_decisions_survive_reimports(do_import: Importer, store: Store, project: str) -> None:
    do_import([vuln("CVE-2024-0001"), vuln("CVE-2024-0002"), vuln("CVE-2024-0003")])
    ids = {f.rule: f.id for f in list_findings(store, project)}
    change_status(store, ids["CVE-2024-0001"], Status.FALSE_POSITIVE, actor="alice", reason="test fixture")
    expires = utcnow().date() + timedelta(days=30)
    change_status(
        store,
        ids["CVE-2024-0002"],
        Status.RISK_ACCEPTED,
        actor="alice",
        reason="not reachable",
        approver="bob",
        expires=expires,
    )
    do_import([vuln("CVE-2024-0001"), vuln("CVE-2024-0002"), vuln("CVE-2024-0003")])
    gone = do_import([vuln("CVE-2024-0003")])
    assert gone.closed_fixed == 0
    statuses = {f.rule: f.status for f in list_findings(store, project)}
    assert statuses == {"CVE-2024-0001": "false_positive", "CVE-2024-0002": "risk_accepted", "CVE-2024-0003": "open"}


def test_expired_risk_acceptance_reopens_on_next_import(do_import: Importer, store: Store, project: str) -> None:
    do_import([vuln("CVE-2024-0001")])
    (finding,) = list(list_findings(store, project))
    change_status(
        store,
        finding.id,
        Status.RISK_ACCEPTED,
        actor="alice",
        reason="r",
        approver="bob",
        expires=utcnow().date() + timedelta(days=1),
    )
    with store.write() as conn:  # time passes: the acceptance ended yesterday
        conn.execute(
            update(TrackedFinding)
            .where(TrackedFinding.id == finding.id)
            .values(risk_expires=utcnow().date() - timedelta(days=1))
        )
    summary = do_import([vuln("CVE-2024-0001")])
    assert summary.expired == 1
    assert [f.status for f in list_findings(store, project)] == ["open"]


def test_expired_risk_acceptance_reopens_on_listing(do_import: Importer, store: Store, project: str) -> None:
    do_import([vuln("CVE-2024-0001")])
    (finding,) = list(list_findings(store, project))
    change_status(
        store,
        finding.id,
        Status.RISK_ACCEPTED,
        actor="a",
        reason="r",
        approver="b",
        expires=utcnow().date() + timedelta(days=1),
    )
    with store.write() as conn:
        conn.execute(update(TrackedFinding).where(TrackedFinding.id == finding.id).values(risk_expires=utcnow().date()))
    assert [f.status for f in list_findings(store, project)] == ["risk_accepted"]  # expires at the end of the day
    with store.write() as conn:
        conn.execute(
            update(TrackedFinding)
            .where(TrackedFinding.id == finding.id)
            .values(risk_expires=utcnow().date() - timedelta(days=2))
        )
    assert [f.status for f in list_findings(store, project)] == ["open"]


def _failing(findings: list[Finding], at: int) -> Iterator[Finding]:
    for n, finding in enumerate(findings, 1):
        if n == at:
            raise ReportParseError(f"report.json: result #{n}: 'VulnerabilityID' is missing")
        yield finding


def test_report_failing_at_item_500_leaves_no_trace(do_import: Importer, store: Store, project: str) -> None:
    do_import([vuln("CVE-2024-0001")])
    with store.read() as conn:
        before = (
            conn.execute(select(func.count()).select_from(TrackedFinding)).scalar_one(),
            conn.execute(select(func.count()).select_from(Scan)).scalar_one(),
        )
    many = [vuln(f"CVE-2023-{n:05d}") for n in range(1, 1000)]
    bad = ImportedReport(
        format="trivy-json", tool="trivy", tool_version="1", scope="image:web", findings=_failing(many, 500)
    )
    with pytest.raises(ReportParseError, match="result #500"):
        import_report(store, bad, project=project, source_name="bad.json", source_sha256="1" * 64, actor="t")
    with store.read() as conn:
        after = (
            conn.execute(select(func.count()).select_from(TrackedFinding)).scalar_one(),
            conn.execute(select(func.count()).select_from(Scan)).scalar_one(),
        )
    assert after == before
    # the store still works, and the earlier finding was not closed by the failed import
    assert do_import([vuln("CVE-2024-0001")]).seen_again == 1


def test_line_shift_and_reordering_do_not_make_new_findings(do_import: Importer) -> None:
    first = [
        misconfig("KSV012", "deploy/web.yaml", 20, "Deployment/shop/web", "Container 'web' should set runAsNonRoot"),
        misconfig(
            "KSV014", "deploy/web.yaml", 31, "Deployment/shop/web", "Container 'web' should set readOnlyRootFilesystem"
        ),
    ]
    assert do_import(first, scope="config:repo").new == 2
    shifted = [
        misconfig(
            "KSV014",
            "./deploy/web.yaml",
            45,
            "Deployment/shop/web",
            "Container 'web' should set readOnlyRootFilesystem",
        ),
        misconfig("KSV012", "deploy/web.yaml", 34, "Deployment/shop/web", "Container 'web' should set runAsNonRoot"),
    ]
    again = do_import(shifted, scope="config:repo")
    assert (again.new, again.seen_again, again.closed_fixed) == (0, 2, 0)


def test_owner_and_due_date_are_set_from_rules_and_severity(do_import: Importer, store: Store, project: str) -> None:
    owners = OwnerResolver(
        rules=(OwnerRule(owner="team-web", images=("registry.example.com/shop/web:*",)),),
        codeowners="* @org/security\n/services/pay/ @org/payments\n",
    )
    sla = SlaPolicy().with_overrides(["high=14"])
    do_import(
        [
            vuln("CVE-2024-0001", severity=Severity.CRITICAL),
            vuln("CVE-2024-0002", image=None, file="services/pay/package-lock.json", severity=Severity.HIGH),
            vuln("CVE-2024-0003", image=None, file="tools/requirements.txt", severity=Severity.INFO),
        ],
        owners=owners,
        sla=sla,
    )
    today = utcnow().date()
    found = {f.rule: (f.owner, f.due) for f in list_findings(store, project)}
    assert found == {
        "CVE-2024-0001": ("team-web", today + timedelta(days=7)),
        "CVE-2024-0002": ("@org/payments", today + timedelta(days=14)),
        "CVE-2024-0003": ("@org/security", None),
    }
    assert [f.rule for f in list_findings(store, project, FindingFilter(owner="team-web"))] == ["CVE-2024-0001"]
    assert glob_to_regex("/services/pay/").match("services/pay/a/b.json")


def test_filters_by_severity_status_tool_and_overdue(do_import: Importer, store: Store, project: str) -> None:
    do_import([vuln("CVE-2024-0001", severity=Severity.CRITICAL), vuln("CVE-2024-0002", severity=Severity.LOW)])
    do_import([vuln("CVE-2024-0003", tool="grype")], tool="grype")
    with store.write() as conn:
        conn.execute(
            update(TrackedFinding)
            .where(TrackedFinding.rule == "CVE-2024-0001")
            .values(due=utcnow().date() - timedelta(days=3))
        )
    assert [f.rule for f in list_findings(store, project, FindingFilter(severity=["critical"]))] == ["CVE-2024-0001"]
    assert [f.rule for f in list_findings(store, project, FindingFilter(tool="grype"))] == ["CVE-2024-0003"]
    overdue = list(list_findings(store, project, FindingFilter(overdue=True)))
    assert [(f.rule, f.overdue) for f in overdue] == [("CVE-2024-0001", True)]
    assert list(list_findings(store, project, FindingFilter(status=["fixed"]))) == []


def test_reimport_of_the_identical_file_is_the_same_as_a_full_merge(store: Store, project: str) -> None:
    findings = [vuln("CVE-2024-0001"), vuln("CVE-2024-0002"), vuln("CVE-2024-0003")]

    def again(sha: str, items: list[Finding]) -> ImportSummary:
        rep = report(items, scope="image:web")
        return import_report(store, rep, project=project, source_name="t.json", source_sha256=sha, actor="t")

    assert again("a" * 64, findings).new == 3
    (fid,) = [f.id for f in list_findings(store, project) if f.rule == "CVE-2024-0002"]
    change_status(store, fid, Status.FIXED, actor="dev", reason="believed fixed")
    # Same file: its findings are not read again (an empty list stands for them here).
    same = again("a" * 64, [])
    assert (same.new, same.seen_again, same.reopened, same.closed_fixed) == (0, 3, 1, 0)
    assert {f.status for f in list_findings(store, project)} == {"open"}
    # Another file of the same tool and scope is merged in full.
    other = again("b" * 64, findings[:2])
    assert (other.new, other.seen_again, other.reopened, other.closed_fixed) == (0, 2, 0, 1)


def test_first_http_reference_is_kept_and_other_schemes_never(do_import: Importer, store: Store,
                                                               project: str) -> None:
    from dataclasses import replace

    links = ("javascript:alert(1)", "https://avd.aquasec.com/nvd/cve-2024-0001", "https://example.org/second")
    do_import([replace(vuln("CVE-2024-0001"), references=links),
               replace(vuln("CVE-2024-0002"), references=("javascript:alert(1)", "data:text/html,x"))])
    from cnsmm.tracking.models import Project

    with store.read() as conn:
        pid = conn.scalar(select(Project.id).where(Project.name == project))
        kept = dict(conn.execute(select(TrackedFinding.rule, TrackedFinding.reference)
                                 .where(TrackedFinding.project_id == pid)).all())
    assert kept == {"CVE-2024-0001": "https://avd.aquasec.com/nvd/cve-2024-0001", "CVE-2024-0002": None}


def _descriptions(store: Store, project: str) -> tuple[dict[tuple[str, str], str | None], int]:
    """Each finding's description by (rule, package), and how many distinct texts the store has."""
    from cnsmm.tracking.models import Description, Project
    from cnsmm.tracking.queries import get_finding

    with store.read() as conn:
        pid = conn.scalar(select(Project.id).where(Project.name == project))
        ids = conn.execute(select(TrackedFinding.id, TrackedFinding.rule, TrackedFinding.component)
                           .where(TrackedFinding.project_id == pid)).all()
        stored = conn.scalar(select(func.count()).select_from(Description)) or 0
    shown = {(rule, component): get_finding(store, fid)[0].as_dict()["description"] for fid, rule, component in ids}
    return shown, int(stored)


def test_descriptions_are_stored_once_and_shown_with_every_finding(do_import: Importer, store: Store,
                                                                   project: str) -> None:
    from dataclasses import replace

    text = "A heap overflow in X.509 name checks.\nAttackers may crash the process.\x00"
    other = "Inflate reads past the window. " * 2000  # longer than any description is kept
    findings = [replace(vuln("CVE-2024-7001", "openssl"), description=text),
                replace(vuln("CVE-2024-7001", "libssl3"), description=text),  # the same CVE, another package
                replace(vuln("CVE-2024-7002", "zlib"), description=other),
                vuln("CVE-2024-7003", "curl")]
    _, before = _descriptions(store, project)
    do_import(findings)
    shown, after = _descriptions(store, project)
    assert after - before == 2  # one text per distinct description
    assert shown[("CVE-2024-7001", "openssl")] == shown[("CVE-2024-7001", "libssl3")] == text.replace("\x00", "")
    assert shown[("CVE-2024-7002", "zlib")] == other[:20_000]
    assert shown[("CVE-2024-7003", "curl")] is None
    do_import(findings)  # the same texts again: nothing new stored
    assert _descriptions(store, project)[1] == after
    do_import([replace(findings[0], description="Fixed wording."), *findings[1:]])
    shown, _ = _descriptions(store, project)  # the latest report's text wins
    assert shown[("CVE-2024-7001", "openssl")] == "Fixed wording."
    assert shown[("CVE-2024-7001", "libssl3")] == text.replace("\x00", "")


def test_a_finding_with_long_text_keeps_its_due_date(do_import: Importer, store: Store, project: str) -> None:
    from dataclasses import replace

    long = replace(vuln("CVE-2024-8001", severity=Severity.CRITICAL), message="overflow " * 400)  # > 1000 chars
    short = vuln("CVE-2024-8002", severity=Severity.CRITICAL)
    do_import([long, short], sla=SlaPolicy.from_settings({"critical": 7}))
    found = _by_rule(store, project)
    assert found["CVE-2024-8001"].due == found["CVE-2024-8002"].due == (utcnow() + timedelta(days=7)).date()
