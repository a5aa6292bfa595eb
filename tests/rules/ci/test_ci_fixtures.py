"""Completeness of the CI rules' fixtures; tests/rules/test_fixtures.py runs them (once, for every rule)."""

from __future__ import annotations

from tests.markers import FIXTURES

from cnsmm.rules import all_rules


def test_every_ci_rule_has_fixtures_and_there_are_at_least_15() -> None:
    ids = [r.id for r in all_rules() if r.id.startswith("CI-")]
    assert len(ids) >= 15
    for rid in ids:
        for outcome in ("pass", "fail"):
            assert any((FIXTURES / rid / outcome).glob("*")), f"{rid}/{outcome} missing"
