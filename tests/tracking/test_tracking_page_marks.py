"""Deep pages by number start at a remembered row: the same rows as skipping, at cursor cost."""

from __future__ import annotations

from dataclasses import replace

import pytest

from cnsmm.findings import Severity
from cnsmm.tracking.listing import MARK_FROM, FindingFilter, forget_marks, list_page
from cnsmm.tracking.store import Store

from .conftest import vuln

SEVERITIES = list(Severity)


@pytest.fixture(scope="module")
def big(store: Store) -> tuple[str, int]:
    from cnsmm.tracking.importer import import_report
    from cnsmm.tracking.projects import project_id

    from .conftest import report

    findings = [vuln(f"CVE-2025-{i:05d}", f"pkg{i % 37}", severity=SEVERITIES[i % 5]) for i in range(1300)]
    import_report(store, report(findings), project="marks", source_name="t.json", source_sha256="1" * 64, actor="t")
    with store.read() as conn:
        return "marks", project_id(conn, "marks")


def _walk(store: Store, pid: int, flt: FindingFilter) -> list[int]:
    """Every id of the list, by cursor."""
    ids: list[int] = []
    after = None
    while True:
        page = list_page(store, pid, replace(flt, per_page=200, after=after, page=1))
        ids += [item["id"] for item in page.items]
        if page.next_cursor is None:
            return ids
        after = page.next_cursor


@pytest.mark.parametrize("flt", [FindingFilter(), FindingFilter(sort="title"), FindingFilter(sort="due"),
                                 FindingFilter(severity=["high", "low", "info"], sort="-severity")],
                         ids=["severity", "title", "due", "filtered"])
def test_pages_by_number_match_the_list(store: Store, big: tuple[str, int], flt: FindingFilter) -> None:
    _, pid = big
    forget_marks(store, pid)
    expected = _walk(store, pid, flt)
    # deep pages in any order: the first one finds its row once, later ones reuse the nearest row
    for number in (15, 16, 12, 25, 11, 30, 100):
        page = list_page(store, pid, replace(flt, page=number, per_page=50))
        start = (number - 1) * 50
        assert [item["id"] for item in page.items] == expected[start:start + 50], number
        assert page.has_more is (start + 50 < len(expected))
    held = store.memo[("page-marks", pid)][1]
    assert any(marks for marks in held.values())
    assert all(at >= MARK_FROM for marks in held.values() for at in marks)
    forget_marks(store, pid)
    assert ("page-marks", pid) not in store.memo


def test_a_remembered_row_is_reused(store: Store, big: tuple[str, int]) -> None:
    _, pid = big
    forget_marks(store, pid)
    list_page(store, pid, FindingFilter(page=21, per_page=50))  # offset 1000: remembered
    marks = next(iter(store.memo[("page-marks", pid)][1].values()))
    assert list(marks) == [1000]
    list_page(store, pid, FindingFilter(page=22, per_page=50))  # 50 rows after it: no new row to find
    assert list(marks) == [1000]
