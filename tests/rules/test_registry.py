"""Completeness of the rule registry."""

from __future__ import annotations

import re

from cnsmm.rules import all_rules, get_rule
from cnsmm.rules.base import RULE_ID_RE


def requirement_ids() -> set[str]:
    """Requirement ids of the CNMM-TAS model (SUBITEM.L<level>.<n>)."""
    from cnsmm.model import load_model

    return set(load_model().requirements)


def test_ids_are_unique_sorted_and_well_formed() -> None:
    ids = [r.id for r in all_rules()]
    assert ids == sorted(ids)
    assert len(ids) == len(set(ids))
    assert all(RULE_ID_RE.match(i) for i in ids)


def test_names_are_unique_kebab_case() -> None:
    names = [r.meta.name for r in all_rules()]
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", n) for n in names)


def test_every_rule_is_documented_and_mapped() -> None:
    known = requirement_ids()
    for r in all_rules():
        m = r.meta
        assert m.fix.rstrip().endswith("."), m.id
        assert m.what and m.why and m.bad and m.good, m.id
        assert m.references, f"{m.id} has no references"
        assert m.requirements, f"{m.id} evidences no CNMM-TAS requirement"
        unknown = set(m.requirements) - known
        assert not unknown, f"{m.id} maps to unknown requirements {unknown}"


def test_get_rule_is_case_insensitive() -> None:
    first = all_rules()[0]
    assert get_rule(first.id.lower()) is first
    assert get_rule("K8S-999") is None


def test_rule_counts_meet_the_floor() -> None:
    ids = [r.id for r in all_rules()]
    assert sum(i.startswith("K8S-") for i in ids) >= 80


def test_references_are_lists_of_whole_strings() -> None:
    for r in all_rules():
        refs = r.meta.references
        assert isinstance(refs, tuple), f"{r.id}: references must be a tuple, got {type(refs).__name__}"
        assert all(isinstance(x, str) and len(x) > 2 for x in refs), f"{r.id}: references split into letters? {refs}"


PEER_ID_RE = re.compile(r"^(hadolint DL\d{4}( \(retired\))?|Checkov CKV2?_[A-Z0-9]+_\d+|Trivy (AVD-)?DS\d{3})$")


def test_peer_references_are_well_formed() -> None:
    for r in all_rules():
        for ref in r.meta.references:
            if ref.startswith(("hadolint", "Checkov CKV", "Trivy")):
                assert PEER_ID_RE.match(ref), f"{r.id}: peer reference {ref!r} is not '<tool> <id>'"



def test_dockerfile_rule_count_meets_the_floor() -> None:
    assert sum(r.id.startswith("DKR-") for r in all_rules()) >= 60
