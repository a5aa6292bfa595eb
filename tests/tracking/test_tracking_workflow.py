"""Status workflow, assignment and comments."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cnsmm.errors import FindingNotFoundError, WorkflowError
from cnsmm.tracking.queries import get_finding, list_findings
from cnsmm.tracking.states import Status
from cnsmm.tracking.store import Store, utcnow
from cnsmm.tracking.workflow import add_comment, assign, change_status

from .conftest import Importer, vuln


@pytest.fixture
def ids(do_import: Importer, store: Store, project: str) -> list[int]:
    do_import([vuln("CVE-2024-0001"), vuln("CVE-2024-0002")])
    return sorted(f.id for f in list_findings(store, project))


def test_happy_path_records_who_when_from_to_and_why(store: Store, ids: list[int]) -> None:
    fid = ids[0]
    for status in (Status.TRIAGED, Status.IN_PROGRESS, Status.FIXED):
        change_status(store, fid, status, actor="alice", reason=f"step {status.value}")
    view, history, _ = get_finding(store, fid)
    assert view.status == "fixed"
    assert [(h["actor"], h["from"], h["to"], h["reason"]) for h in history] == [
        ("alice", "open", "triaged", "step triaged"),
        ("alice", "triaged", "in_progress", "step in_progress"),
        ("alice", "in_progress", "fixed", "step fixed"),
    ]
    assert view.extra["fixed_at"] is not None


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ((Status.FIXED, Status.TRIAGED), "cannot go from fixed to triaged"),
        ((Status.OPEN,), "already open"),
        ((Status.FALSE_POSITIVE,), "needs --reason"),
        ((Status.RISK_ACCEPTED,), "needs --approver, --reason and --expires"),
        ((Status.DUPLICATE,), "needs --duplicate-of"),
    ],
)
def test_invalid_transitions_are_clear_errors(
    store: Store, ids: list[int], path: tuple[Status, ...], message: str
) -> None:
    *before, last = path
    for status in before:
        change_status(store, ids[0], status, actor="a")
    with pytest.raises(WorkflowError, match=message):
        change_status(store, ids[0], last, actor="a")


def test_risk_acceptance_needs_a_future_expiry_and_is_revocable(store: Store, ids: list[int]) -> None:
    with pytest.raises(WorkflowError, match="not in the future"):
        change_status(store, ids[0], Status.RISK_ACCEPTED, actor="a", reason="r", approver="b", expires=utcnow().date())
    later = utcnow().date() + timedelta(days=90)
    change_status(store, ids[0], Status.RISK_ACCEPTED, actor="a", reason="behind WAF", approver="ciso", expires=later)
    view, _, _ = get_finding(store, ids[0])
    assert (view.extra["risk_approver"], view.extra["risk_reason"], view.extra["risk_expires"]) == (
        "ciso",
        "behind WAF",
        later,
    )
    change_status(store, ids[0], Status.OPEN, actor="a", reason="WAF removed")
    view, _, _ = get_finding(store, ids[0])
    assert view.status == "open" and view.extra["risk_approver"] is None


def test_duplicate_points_to_another_finding_of_the_project(store: Store, ids: list[int]) -> None:
    with pytest.raises(WorkflowError, match="another finding"):
        change_status(store, ids[0], Status.DUPLICATE, actor="a", duplicate_of=ids[0])
    change_status(store, ids[0], Status.DUPLICATE, actor="a", duplicate_of=ids[1])
    assert get_finding(store, ids[0])[0].extra["duplicate_of"] == ids[1]
    with pytest.raises(WorkflowError, match=f"itself a duplicate of {ids[1]}"):
        change_status(store, ids[1], Status.DUPLICATE, actor="a", duplicate_of=ids[0])


def test_assign_and_comment_are_recorded(store: Store, ids: list[int]) -> None:
    assign(store, ids[0], "team-web", actor="lead")
    add_comment(store, ids[0], '=HYPERLINK("http://evil.example")', actor="dev")
    view, _, comments = get_finding(store, ids[0])
    assert view.owner == "team-web"
    assert [(c["author"], c["text"]) for c in comments] == [
        ("lead", "assigned to team-web (was nobody)"),
        ("dev", '=HYPERLINK("http://evil.example")'),
    ]
    with pytest.raises(WorkflowError, match="empty"):
        add_comment(store, ids[0], "   ", actor="dev")


def test_unknown_finding_and_status_names(store: Store) -> None:
    with pytest.raises(FindingNotFoundError, match="no finding with id 987654"):
        change_status(store, 987654, Status.TRIAGED, actor="a")
    with pytest.raises(WorkflowError, match="expected one of open, triaged"):
        Status.parse("closed")
    assert Status.parse("In-Progress") is Status.IN_PROGRESS
