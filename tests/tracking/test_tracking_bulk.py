"""Bulk status changes by ids or by filter (rule, path glob, tool, status), dry runs, and
validation messages that name the caller's fields."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cnsmm.errors import WorkflowError
from cnsmm.tracking.listing import FindingFilter
from cnsmm.tracking.queries import findings_page, get_finding, list_findings
from cnsmm.tracking.states import Status
from cnsmm.tracking.store import Store, utcnow
from cnsmm.tracking.workflow import API_NAMES, MAX_BULK, change_many, change_status

from .conftest import Importer, misconfig, vuln


@pytest.fixture
def seeded(do_import: Importer, store: Store, project: str) -> dict[str, int]:
    do_import([
        misconfig("CKV_K8S_20", "charts/legacy/deploy.yaml", 12, "Deployment/legacy", "privileged", tool="checkov"),
        misconfig("CKV_K8S_20", "charts/legacy/cron.yaml", 4, "CronJob/legacy", "privileged", tool="checkov"),
        misconfig("CKV_K8S_20", "charts/web/deploy.yaml", 9, "Deployment/web", "privileged", tool="checkov"),
        misconfig("CKV_K8S_21", "charts/legacy/deploy.yaml", 20, "Deployment/legacy", "default ns", tool="checkov"),
    ], tool="checkov", scope="repo:acme/shop")
    do_import([vuln("CVE-2024-3094", "xz-utils", "5.6.0")])
    return {f"{f.rule}@{f.location}": f.id for f in list_findings(store, project)}


def test_a_filter_by_rule_and_path_glob_moves_exactly_those_findings(
    store: Store, project: str, seeded: dict[str, int]
) -> None:
    flt = FindingFilter(rule=["CKV_K8S_20"], path="charts/legacy/*")
    preview = change_many(store, project, flt, Status.FALSE_POSITIVE, actor="lead", reason="test charts",
                          dry_run=True)
    expected = {seeded["CKV_K8S_20@charts/legacy/deploy.yaml:12"], seeded["CKV_K8S_20@charts/legacy/cron.yaml:4"]}
    assert preview.dry_run and {c[0] for c in preview.changed} == expected and preview.matched == 2
    assert {f.status for f in list_findings(store, project)} == {"open"}  # a dry run writes nothing

    done = change_many(store, project, flt, Status.FALSE_POSITIVE, actor="lead", reason="test charts")
    assert {c[0] for c in done.changed} == expected
    statuses = {f.id: f.status for f in list_findings(store, project)}
    assert {i for i, s in statuses.items() if s == "false_positive"} == expected
    _, history, _ = get_finding(store, min(expected))
    assert (history[-1]["actor"], history[-1]["to"], history[-1]["reason"]) == ("lead", "false_positive",
                                                                                  "test charts")
    again = change_many(store, project, flt, Status.FALSE_POSITIVE, actor="lead", reason="again")
    assert again.changed == [] and set(again.skipped.values()) == {"already false_positive"}


def test_bulk_risk_acceptance_keeps_approver_reason_and_expiry(
    store: Store, project: str, seeded: dict[str, int]
) -> None:
    later = utcnow().date() + timedelta(days=30)
    out = change_many(store, project, FindingFilter(tool="checkov", severity=["medium"]), Status.RISK_ACCEPTED,
                      actor="sec", reason="legacy, retired in Q3", approver="ciso", expires=later)
    assert len(out.changed) == 4
    view, _, _ = get_finding(store, out.changed[0][0])
    assert (view.status, view.extra["risk_approver"], view.extra["risk_expires"]) == ("risk_accepted", "ciso", later)
    # a finding whose status cannot go there is skipped with the reason, the others move
    fixed = seeded["CVE-2024-3094@registry.example.com/shop/web:1.8.2"]
    change_status(store, fixed, Status.FIXED, actor="dev")
    out = change_many(store, project, FindingFilter(ids=[fixed, out.changed[0][0]]), Status.TRIAGED, actor="dev")
    assert out.changed == [] and out.skipped[fixed] == "cannot go from fixed to triaged"


@pytest.mark.parametrize(
    ("kwargs", "fields"),
    [({}, ("approver", "reason", "expires")), ({"approver": "ciso", "reason": "r"}, ("expires",))],
)
def test_validation_names_the_fields_of_the_caller(
    store: Store, project: str, seeded: dict[str, int], kwargs: dict[str, str], fields: tuple[str, ...]
) -> None:
    with pytest.raises(WorkflowError) as api_error:
        change_many(store, project, FindingFilter(rule=["CKV_K8S_21"]), Status.RISK_ACCEPTED, actor="a",
                    names=API_NAMES, **kwargs)  # type: ignore[arg-type]
    assert api_error.value.fields == fields
    assert "--" not in api_error.value.diagnostics() and "`expires`" in api_error.value.diagnostics()
    example = api_error.value.hint or ""
    if "e.g." in example:  # the example date is in the future
        assert example.split('"expires": "')[1][:10] > utcnow().date().isoformat()
    with pytest.raises(WorkflowError, match="--expires"):
        change_many(store, project, FindingFilter(rule=["CKV_K8S_21"]), Status.RISK_ACCEPTED, actor="a",
                    **kwargs)  # type: ignore[arg-type]


def test_a_bulk_change_needs_a_selection_and_stays_bounded(store: Store, project: str, seeded: dict[str, int]) -> None:
    with pytest.raises(WorkflowError, match="needs finding ids or at least one filter"):
        change_many(store, project, FindingFilter(), Status.TRIAGED, actor="a")
    assert MAX_BULK >= 1000


def test_list_pages_by_cursor_with_rule_path_and_text_filters(
    store: Store, project: str, seeded: dict[str, int]
) -> None:
    everything = [f.id for f in list_findings(store, project)]
    first, cursor = findings_page(store, project, FindingFilter(), 2)
    assert [f.id for f in first] == everything[:2] and cursor is not None
    second, cursor2 = findings_page(store, project, FindingFilter(after=cursor), 2)
    third, cursor3 = findings_page(store, project, FindingFilter(after=cursor2), 2)
    assert [f.id for f in first + second + third] == everything and cursor3 is None
    assert [f.rule for f in list_findings(store, project, FindingFilter(path="charts/*/deploy.yaml",
                                                                        rule=["CKV_K8S_20"]))] == ["CKV_K8S_20"] * 2
    assert [f.rule for f in list_findings(store, project, FindingFilter(q="XZ-UTILS"))] == ["CVE-2024-3094"]
    assert list(list_findings(store, project, FindingFilter(path="charts/legacy/deploy.yam?"))) != []
    assert list(list_findings(store, project, FindingFilter(path="charts/%"))) == []  # % is literal in a glob
