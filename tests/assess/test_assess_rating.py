"""The default level rule: fully/largely/partially/not implemented, severity weighting,
expected exceptions, inherited gates, coverage, level if answered and blockers."""

from __future__ import annotations

from tests.assess.helpers_assess import MODEL, attest, bundle, check, paths

from cnsmm.assess import AssessOptions, PipelineEvidence, assess


def _met_upto(level: int, skip: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    return tuple(attest(r.id, "met") for r in MODEL.requirements.values() if r.level <= level and r.id not in skip)


def test_one_low_severity_failure_in_many_objects_is_largely_met() -> None:
    ev = bundle(attestations=_met_upto(1, skip=("PLT.RUN.L1.2",)), checks=(check("K8S-010", "PLT.RUN.L1.2", 100, 1, "low"),))
    a = assess(ev, MODEL, None, paths())
    r = a.requirements["PLT.RUN.L1.2"]
    assert r.status == "partial" and r.rating == "largely"
    assert a.practices["PLT.RUN.ISO"].level >= 1 and a.sub_items["PLT.RUN"].level >= 1
    strict = assess(ev, MODEL, AssessOptions(level_mode="strict"), paths())
    assert strict.practices["PLT.RUN.ISO"].level == 0


def test_a_critical_failure_is_not_offset_by_clean_objects() -> None:
    ev = bundle(attestations=_met_upto(1, skip=("PLT.RUN.L1.2",)),
                checks=(check("K8S-010", "PLT.RUN.L1.2", 100, 1, "critical"),))
    a = assess(ev, MODEL, None, paths())
    r = a.requirements["PLT.RUN.L1.2"]
    assert r.rating == "partially" and r.blocking == ("k8s/shop::Deployment/shop/app0",)
    assert a.practices["PLT.RUN.ISO"].level == 0
    assert "PLT.RUN.L1.2" in a.practices["PLT.RUN.ISO"].blockers
    assert "PLT.RUN.L1.2" in a.domains["PLT"].blockers and "PLT.RUN.L1.2" in a.overall.blockers


def test_high_severity_weighs_more_than_low() -> None:
    # 10 failing of 50: low costs 0.5 each -> 40/45 = 89% (largely); high costs 3 -> 40/70 = 57%
    low = assess(bundle(checks=(check("K8S-010", "PLT.RUN.L1.2", 50, 10, "low"),)), MODEL, None, paths())
    high = assess(bundle(checks=(check("K8S-010", "PLT.RUN.L1.2", 50, 10, "high"),)), MODEL, None, paths())
    assert low.requirements["PLT.RUN.L1.2"].rating == "largely"
    assert high.requirements["PLT.RUN.L1.2"].rating == "partially"
    # the share is configurable
    loose = assess(bundle(checks=(check("K8S-010", "PLT.RUN.L1.2", 50, 10, "high"),)), MODEL,
                   AssessOptions(level_share=50), paths())
    assert loose.requirements["PLT.RUN.L1.2"].rating == "largely"


def test_expected_exceptions_pass_and_are_shown_as_accepted() -> None:
    ev = bundle(checks=(check("K8S-010", "PLT.RUN.L1.2", 5, 1, "high", accepted=1),))
    r = assess(ev, MODEL, None, paths()).requirements["PLT.RUN.L1.2"]
    assert r.status == "met" and r.coverage == (5, 5)
    accepted = [i for i in r.evidence if i.accepted_exception]
    assert len(accepted) == 1 and "node agent needs host access" in accepted[0].text.en
    assert accepted[0].verdict == "met" and "app0" in accepted[0].where[0]


def test_a_met_answer_is_honoured_unless_a_critical_rule_fails() -> None:
    ev = bundle(checks=(check("K8S-010", "PLT.RUN.L1.2", 4, 1, "high"),),
                attestations=(attest("PLT.RUN.L1.2", "met", note="node agents, see wiki"),))
    r = assess(ev, MODEL, None, paths()).requirements["PLT.RUN.L1.2"]
    assert r.status == "met" and r.automated == "partial" and r.disagreement is not None
    assert "attestation" in r.disagreement.en
    strict = assess(ev, MODEL, AssessOptions(level_mode="strict"), paths()).requirements["PLT.RUN.L1.2"]
    assert strict.status == "partial"


def test_a_sibling_shortfall_does_not_close_the_level_of_every_practice() -> None:
    # PLT.RUN L1 has L1.1 (health, PLT.RUN.DET) and L1.2 (limits, PLT.RUN.ISO); POL and ENC
    # have no L1 requirement of their own. L1.2 is only partially implemented.
    ev = bundle(attestations=_met_upto(1, skip=("PLT.RUN.L1.2",)),
                checks=(check("K8S-010", "PLT.RUN.L1.2", 10, 6, "high"),))
    a = assess(ev, MODEL, None, paths())
    assert a.requirements["PLT.RUN.L1.2"].rating == "partially"
    assert a.practices["PLT.RUN.ISO"].level == 0  # the owner is held
    assert a.practices["PLT.RUN.POL"].level >= 1 and a.practices["PLT.RUN.ENC"].level >= 1
    assert a.sub_items["PLT.RUN"].level == 0  # and so is the sub-item: not inflated
    # with no evidence at all the inherited gate does not pass either
    bare = assess(bundle(attestations=_met_upto(1, skip=("PLT.RUN.L1.2",))), MODEL, None, paths())
    assert bare.practices["PLT.RUN.POL"].level == 0


def test_coverage_level_if_answered_and_blockers() -> None:
    a = assess(bundle(), MODEL, None, paths())
    assert a.overall.level == 0 and a.overall.coverage == 0
    assert a.overall.level_if_answered == 5  # nothing is against: answering every question met
    assert a.overall.blockers and all(a.requirements[b].status == "unknown" for b in a.overall.blockers)
    ev = bundle(attestations=_met_upto(1), checks=(check("K8S-010", "PLT.RUN.L2.1", 3, 3, "high"),))
    b = assess(ev, MODEL, None, paths())
    assert b.overall.level == 1 and b.domains["PLT"].level_if_answered == 1
    assert b.domains["PLT"].blockers[0] == "PLT.RUN.L2.1"  # evidence against comes before open questions
    assert 0 < b.domains["PLT"].coverage < 100


def test_end_to_end_tool_chain_needs_blocking_sast_and_dast() -> None:
    sast = PipelineEvidence("sast", "semgrep", True, ".github/workflows/ci.yml", 10)
    dast = PipelineEvidence("dast", "zap", True, ".github/workflows/ci.yml", 20)
    soft = PipelineEvidence("dast", "zap", False, ".github/workflows/ci.yml", 20)
    one = assess(bundle(pipelines=(sast,)), MODEL, None, paths()).requirements["DEV.TST.L3.2"]
    both = assess(bundle(pipelines=(sast, dast)), MODEL, None, paths()).requirements["DEV.TST.L3.2"]
    nonblocking = assess(bundle(pipelines=(sast, soft)), MODEL, None, paths()).requirements["DEV.TST.L3.2"]
    assert one.status == "partial" and "dynamic" in " ".join(i.text.en for i in one.evidence).lower()
    assert both.status == "met"
    assert nonblocking.status == "partial"
