"""The fixture marker parser, on the marker shapes the fixtures use and on malformed ones."""

from __future__ import annotations

import pytest
from tests.markers import expected_marks, fixture_cases, marks_in_text


@pytest.mark.parametrize(("text", "marks"), [
    ("a: 1  # expect: K8S-001\n", {("K8S-001", 1)}),
    ("RUN x  # expect: DKR-003, DKR-010\n", {("DKR-003", 1), ("DKR-010", 1)}),
    ("steps:\n  - run: x  // expect: CI-002\n", {("CI-002", 2)}),
    ("# expect-next: DKR-001\n\n# a comment\nFROM ubuntu\n", {("DKR-001", 4)}),
    ("# covers nothing\nFROM alpine:3.20\n", set()),
    ("# the expected value: 3\n", set()),
])
def test_markers_name_the_rule_and_line(text: str, marks: set[tuple[str, int]]) -> None:
    assert marks_in_text(text) == marks


@pytest.mark.parametrize(("text", "problem"), [
    ("a: 1  # expect: k8s-001\n", "f.yaml:1: malformed expect marker"),
    ("a: 1  # expect: K8S-001 K8S-002\n", "f.yaml:1: malformed expect marker"),
    ("a: 1\n# expect-next: K8S-001\n# nothing after\n", "f.yaml:2: expect-next has no following line"),
])
def test_a_malformed_marker_is_an_error_not_an_empty_expectation(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        marks_in_text(text, "f.yaml")


def test_every_fixture_entry_parses_and_fail_entries_expect_their_rule() -> None:
    cases = fixture_cases()
    assert len(cases) > 300
    for rule_id, outcome, entry in cases:
        ids = {m[0] for m in expected_marks(entry)}
        assert (rule_id in ids) == (outcome == "fail"), entry
