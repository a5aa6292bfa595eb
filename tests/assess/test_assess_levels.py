"""Practice levels are cumulative, progress is floored, aggregation is the minimum."""

from __future__ import annotations

import pytest
from tests.assess.helpers_assess import MODEL, attest, bundle, check, paths

from cnsmm.assess import AssessOptions, Target, assess
from cnsmm.assess.levels import gate
from cnsmm.errors import ConfigError

STRICT = AssessOptions(level_mode="strict")


def _all(status: str, *, skip: tuple[str, ...] = (), upto: int = 5):  # type: ignore[no-untyped-def]
    return tuple(attest(r.id, status, note="n/a here") for r in MODEL.requirements.values()
                 if r.level <= upto and r.id not in skip)


def test_everything_met_is_level_five() -> None:
    a = assess(bundle(attestations=_all("met")), MODEL, None, paths())
    assert a.overall.level == 5 and a.overall.score == 5.0
    assert all(p.level == 5 and p.progress == 100 for p in a.practices.values())
    assert not a.gaps and not a.plan


def test_levels_are_cumulative_with_the_sub_item_fallback() -> None:
    # all of L1..L3 met except PLT.RUN.L2.2, which only PLT.RUN.POL has at L2
    a = assess(bundle(attestations=_all("met", upto=3, skip=("PLT.RUN.L2.2",))), MODEL, STRICT, paths())
    assert a.practices["PLT.RUN.POL"].level == 1  # L3 met does not count without L2
    assert a.practices["PLT.RUN.ISO"].level == 3  # its own L2 requirement (L2.1) is met
    assert a.practices["PLT.RUN.DET"].level == 1  # no L2 of its own: the sub-item's L2 applies
    assert a.sub_items["PLT.RUN"].level == 1
    assert a.domains["PLT"].level == 1 and a.overall.level == 1
    assert a.overall.score > 1


def test_progress_is_floored_never_rounded_up() -> None:
    # PLT.RUN.POL at L2 has L2.1 and L2.2; L2.1 two thirds met -> credit (2/3 + 0)/2 = 33.3%
    ev = bundle(attestations=_all("met", upto=1), checks=(check("K8S-001", "PLT.RUN.L2.1", 3, 1),))
    p = assess(ev, MODEL, STRICT, paths()).practices["PLT.RUN.POL"]
    assert (p.level, p.progress) == (1, 33)
    ev = bundle(attestations=(*_all("met", upto=1), attest("PLT.RUN.L2.2", "met")),
                checks=(check("K8S-001", "PLT.RUN.L2.1", 1000, 1),))
    p = assess(ev, MODEL, STRICT, paths()).practices["PLT.RUN.POL"]
    assert (p.level, p.progress) == (1, 99)  # 99.95% is not 100%


def test_not_applicable_counts_as_met() -> None:
    sls = tuple(attest(r.id, "not-applicable", note="no serverless") for r in MODEL.sub_items["APP.SLS"].requirements)
    a = assess(bundle(attestations=sls), MODEL, None, paths())
    assert a.practices["APP.SLS.PLT"].level == 5 and a.sub_items["APP.SLS"].level == 5


def test_fallback_gate_uses_sub_item_requirements() -> None:
    reqs, fell_back = gate(MODEL, "PLT.NET.COM", 1)
    assert fell_back and [r.id for r in reqs] == ["PLT.NET.L1.1"]
    reqs, fell_back = gate(MODEL, "PLT.NET.COM", 4)
    assert not fell_back and [r.id for r in reqs] == ["PLT.NET.L4.1"]
    assert 1 in assess(bundle(), MODEL, None, paths()).practices["PLT.NET.COM"].fallback_levels


def test_threshold_mode() -> None:
    # 4 of the 5 L2 requirements of INF.CMP met: strict fails L2, 80% threshold passes
    att = (*_all("met", upto=1), *(attest(f"INF.CMP.L2.{n}", "met") for n in (1, 2, 3, 4)),
           attest("INF.CMP.L2.5", "not-met"))
    strict = assess(bundle(attestations=att), MODEL, STRICT, paths())
    assert strict.practices["INF.CMP.DEF"].level == 1
    loose = assess(bundle(attestations=att), MODEL, AssessOptions(level_mode="threshold", level_share=50), paths())
    assert loose.practices["INF.CMP.HRD"].level >= 2


def test_targets_and_bad_options() -> None:
    a = assess(bundle(), MODEL, AssessOptions(target=Target(3, {"DEV": 2})), paths())
    assert a.domains["DEV"].target == 2 and a.domains["PLT"].target == 3 and a.overall.target == 3
    assert assess(bundle(), MODEL, None, paths()).overall.target == 1
    with pytest.raises(ConfigError, match="target domain 'XYZ' is unknown"):
        assess(bundle(), MODEL, AssessOptions(target=Target(None, {"XYZ": 2})), paths())
    with pytest.raises(ConfigError, match="threshold 0 is out of range"):
        assess(bundle(), MODEL, AssessOptions(threshold=0), paths())
