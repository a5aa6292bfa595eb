"""Completeness of the DKR rules' fixtures; tests/rules/test_fixtures.py runs them (once, for every rule)."""

from __future__ import annotations

from tests.markers import FIXTURES

from cnsmm.rules import all_rules


def test_every_rule_has_pass_and_fail_fixtures() -> None:
    ids = sorted(r.id for r in all_rules() if r.id.startswith("DKR-"))
    assert len(ids) >= 35
    for rule_id in ids:
        for kind in ("pass", "fail"):
            folder = FIXTURES / rule_id / kind
            assert folder.is_dir() and any(folder.iterdir()), f"{rule_id} has no {kind} fixtures"
