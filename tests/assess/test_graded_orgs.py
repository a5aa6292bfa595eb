"""The graded example organisations of examples/orgs land in their expected ranges, in order,
and levels are monotone: adding a capability or an answer, or fixing a failing object, never
lowers a level."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from cnsmm.assess import AssessOptions, EvidenceBundle, Target, assess
from cnsmm.assess.gather import gather
from cnsmm.assess.paths import default_paths
from cnsmm.assess.result import Assessment
from cnsmm.model import load_model

ORGS = Path(__file__).resolve().parents[2] / "examples" / "orgs"
NAMES = ("startup", "basic", "mature", "lopsided")
NOW = datetime(2026, 12, 1, tzinfo=UTC)
MODEL = load_model()
PATHS = default_paths(MODEL)
OPTIONS = AssessOptions(target=Target(3))


@cache
def _bundle(name: str) -> EvidenceBundle:
    org = ORGS / name
    att = org / "attestations.yaml"
    return gather(MODEL, [str(org)], attestations=str(att) if att.exists() else None, now=NOW)


def _assess(bundle: EvidenceBundle) -> Assessment:
    return assess(bundle, MODEL, OPTIONS, PATHS)


def _levels(a: Assessment) -> dict[str, int]:
    return {d: r.level for d, r in a.domains.items()}


@pytest.mark.parametrize("name", NAMES)
def test_each_organisation_lands_in_its_expected_ranges(name: str) -> None:
    spec = yaml.safe_load((ORGS / name / "expected.yaml").read_text(encoding="utf-8"))
    bundle = _bundle(name)
    assert not bundle.input_errors and not bundle.attestation_problems
    a = _assess(bundle)
    assert set(spec["expected"]) == {d.id for d in MODEL.domains}
    for domain, exp in spec["expected"].items():
        low, high = exp["range"]
        assert exp["why"].strip()
        assert low <= a.domains[domain].level <= high, (name, domain, a.domains[domain], a.domains[domain].blockers)
        # every level shown is explained: below L5 there are blockers for the next level
        assert a.domains[domain].level == 5 or a.domains[domain].blockers


def test_levels_separate_the_organisations() -> None:
    levels = {n: _levels(_assess(_bundle(n))) for n in NAMES}
    total = {n: sum(v.values()) for n, v in levels.items()}
    assert total["startup"] < total["basic"] < total["mature"]
    assert all(levels["startup"][d] <= levels["basic"][d] <= levels["mature"][d] for d in levels["mature"])
    # lopsided: a strong platform and no DevSecOps
    assert levels["lopsided"]["DEV"] < levels["basic"]["DEV"]
    assert levels["lopsided"]["PLT"] > levels["basic"]["PLT"]
    assert _assess(_bundle("lopsided")).overall.level == 0


def _not_lower(before: Assessment, after: Assessment) -> None:
    assert after.overall.level >= before.overall.level
    for did, dom in before.domains.items():
        assert after.domains[did].level >= dom.level, did
    for sid, sub in before.sub_items.items():
        assert after.sub_items[sid].level >= sub.level, sid


@settings(max_examples=15, deadline=None)
@given(st.sampled_from(("basic", "mature", "lopsided")), st.data())
def test_adding_capabilities_or_answers_never_lowers_a_level(name: str, data: st.DataObject) -> None:
    full = _bundle(name)
    caps = data.draw(st.sets(st.integers(0, max(len(full.capabilities) - 1, 0))), label="dropped capabilities")
    atts = data.draw(st.sets(st.integers(0, max(len(full.attestations) - 1, 0))), label="dropped answers")
    fewer = dataclasses.replace(
        full,
        capabilities=tuple(c for i, c in enumerate(full.capabilities) if i not in caps),
        attestations=tuple(x for i, x in enumerate(full.attestations) if i not in atts),
    )
    _not_lower(_assess(fewer), _assess(full))


@settings(max_examples=15, deadline=None)
@given(st.sampled_from(("startup", "basic")), st.data())
def test_fixing_failing_objects_never_lowers_a_level(name: str, data: st.DataObject) -> None:
    before = _bundle(name)
    failing = sorted({s for c in before.checks for s in c.failed})
    if not failing:
        return
    fixed = set(data.draw(st.sets(st.sampled_from(failing), min_size=1), label="fixed objects"))
    checks = tuple(dataclasses.replace(c, failed=tuple(s for s in c.failed if s not in fixed)) for c in before.checks)
    _not_lower(_assess(before), _assess(dataclasses.replace(before, checks=checks)))
