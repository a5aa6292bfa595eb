"""Practice, sub-item, domain and overall levels (docs/assessment.md, "Level rule").

A practice reaches level N when it passes the gate of every level 1..N. The gate of a level is
the practice's own requirements of that level; where the model maps none to it, the sub-item's
requirements of that level apply (the seed defines level characteristics per sub-item).

- ``largely`` (default, after CMMI appraisal): an own gate passes when each requirement is fully
  or largely implemented; an inherited (sub-item) gate passes when each is at least partially
  implemented, so that one practice's shortfall is judged once, by the practice that owns it,
  and not again in every sibling.
- ``strict``: every requirement met or not applicable, own and inherited gates alike.
- ``threshold``: the credit share of the gate reaches ``level_share``.

Credit: met/NA 1, partial its (severity-weighted) passing share (0.5 when unmeasured), otherwise
0. Progress is the floored credit share of the next gate. Sub-item, domain and overall levels
are the minimum of their parts; their scores are the mean of the parts' scores, floored to two
decimals. Each level also carries its evidence coverage, the level it would reach if every open
question were answered met, and its blockers.
"""

from __future__ import annotations

import math
from dataclasses import replace
from fractions import Fraction

from cnsmm.assess.result import AssessOptions, LevelResult, PracticeResult, RequirementResult
from cnsmm.model.types import LEVELS, Model, Requirement
from cnsmm.vocab import Verdict

_PASS_OWN = {"fully", "largely"}
_PASS_INHERITED = {"fully", "largely", "partially"}


def gate(model: Model, practice_id: str, level: int) -> tuple[tuple[Requirement, ...], bool]:
    """The requirements gating ``level`` of a practice, and whether the sub-item fallback applied."""
    practice = model.practices[practice_id]
    own = tuple(r for r in model.requirements_of(practice_id) if r.level == level)
    if own:
        return own, False
    return model.sub_items[practice.sub_item].at_level(level), True


def credit(result: RequirementResult) -> Fraction:
    """How much a requirement counts towards its level: 0 to 1."""
    if result.status in (Verdict.MET, Verdict.NOT_APPLICABLE):
        return Fraction(1)
    if result.status == Verdict.PARTIAL:
        if result.weighted is not None and result.rating in ("largely", "partially") and result.coverage:
            return Fraction(result.weighted).limit_denominator(10000)
        if result.coverage and result.coverage[1]:
            return Fraction(result.coverage[0], result.coverage[1])
        return Fraction(1, 2)
    return Fraction(0)


def _share(reqs: tuple[Requirement, ...], results: dict[str, RequirementResult]) -> Fraction:
    if not reqs:
        return Fraction(1)
    return sum((credit(results[r.id]) for r in reqs), Fraction(0)) / len(reqs)


def _failing(
    reqs: tuple[Requirement, ...], inherited: bool, results: dict[str, RequirementResult], options: AssessOptions
) -> list[str]:
    """The requirements of a gate that keep it from passing (empty: it passes)."""
    if options.level_mode == "threshold":
        if _share(reqs, results) * 100 >= Fraction(options.level_share):
            return []
        return [r.id for r in reqs if results[r.id].status not in (Verdict.MET, Verdict.NOT_APPLICABLE)]
    if options.level_mode == "strict":
        return [r.id for r in reqs if results[r.id].status not in (Verdict.MET, Verdict.NOT_APPLICABLE)]
    ok = _PASS_INHERITED if inherited else _PASS_OWN
    return [r.id for r in reqs if results[r.id].rating not in ok]


def floor2(value: Fraction) -> float:
    """``value`` floored to two decimals (never rounded up)."""
    return math.floor(value * 100) / 100


_ORDER: dict[str, int] = {Verdict.NOT_MET: 0, Verdict.PARTIAL: 1, Verdict.UNKNOWN: 2}


def order_blockers(ids: set[str] | list[str], results: dict[str, RequirementResult]) -> tuple[str, ...]:
    """Most actionable first: evidence against (not met, then partial), then open questions."""
    return tuple(sorted(set(ids), key=lambda r: (_ORDER.get(results[r].status, 3), results[r].level, r)))


def practice_level(
    model: Model, practice_id: str, results: dict[str, RequirementResult], options: AssessOptions
) -> PracticeResult:
    """The level, progress, score and blockers of one practice."""
    level = 0
    fallback: list[int] = []
    blockers: list[str] = []
    for n in LEVELS:
        reqs, fell_back = gate(model, practice_id, n)
        if fell_back:
            fallback.append(n)
        if level == n - 1:
            failing = _failing(reqs, fell_back, results, options)
            if failing:
                blockers = failing
            else:
                level = n
    if level == LEVELS[-1]:
        progress = 100
    else:
        progress = math.floor(_share(gate(model, practice_id, level + 1)[0], results) * 100)
        progress = min(progress, 99)
    score = Fraction(level) if level == LEVELS[-1] else Fraction(level) + Fraction(progress, 100)
    return PracticeResult(
        practice_id, level, progress, floor2(score), tuple(fallback), order_blockers(blockers, results)
    )


def _aggregate(ident: str, parts: list[tuple[int, float]], target: int | None) -> LevelResult:
    level = min(p[0] for p in parts)
    mean = sum((Fraction(p[1]).limit_denominator(1000) for p in parts), Fraction(0)) / len(parts)
    return LevelResult(ident, level, floor2(mean), target)


def _coverage(reqs: list[Requirement], results: dict[str, RequirementResult], target: int | None) -> int:
    """Percent (floored) of the requirements up to ``target`` with any evidence."""
    upto = target or LEVELS[-1]
    scope = [r for r in reqs if r.level <= upto]
    if not scope:
        return 100
    known = sum(1 for r in scope if results[r.id].status != Verdict.UNKNOWN)
    return known * 100 // len(scope)


def _levels(
    model: Model, results: dict[str, RequirementResult], options: AssessOptions
) -> tuple[dict[str, PracticeResult], dict[str, LevelResult], dict[str, LevelResult], LevelResult]:
    practices = {pid: practice_level(model, pid, results, options) for pid in model.practices}
    current = min(p.level for p in practices.values())
    overall_target = options.target.overall or min(current + 1, LEVELS[-1])
    subs: dict[str, LevelResult] = {}
    domains: dict[str, LevelResult] = {}
    all_reqs = list(model.requirements.values())
    for domain in model.domains:
        target = options.target.domains.get(domain.id) or overall_target
        dom_blockers: set[str] = set()
        dom_reqs: list[Requirement] = []
        for sub in domain.sub_items:
            parts = [(practices[p.id].level, practices[p.id].score) for p in sub.practices]
            agg = _aggregate(sub.id, parts, target)
            held = {b for p in sub.practices if practices[p.id].level == agg.level for b in practices[p.id].blockers}
            sub_reqs = [r for r in all_reqs if r.sub_item == sub.id]
            dom_reqs += sub_reqs
            subs[sub.id] = replace(
                agg, coverage=_coverage(sub_reqs, results, target), blockers=order_blockers(held, results)
            )
        agg = _aggregate(domain.id, [(subs[s.id].level, subs[s.id].score) for s in domain.sub_items], target)
        for s in domain.sub_items:
            if subs[s.id].level == agg.level:
                dom_blockers.update(subs[s.id].blockers)
        domains[domain.id] = replace(
            agg, coverage=_coverage(dom_reqs, results, target), blockers=order_blockers(dom_blockers, results)
        )
    overall = _aggregate("overall", [(d.level, d.score) for d in domains.values()], overall_target)
    held = {b for d in domains.values() if d.level == overall.level for b in d.blockers}
    overall = replace(
        overall, coverage=_coverage(all_reqs, results, overall_target), blockers=order_blockers(held, results)
    )
    return practices, subs, domains, overall


def _answered(results: dict[str, RequirementResult]) -> dict[str, RequirementResult]:
    """``results`` with every open question (no evidence at all) answered met."""
    return {
        rid: replace(r, status=Verdict.MET, rating="fully") if r.status == Verdict.UNKNOWN else r
        for rid, r in results.items()
    }


def all_levels(
    model: Model, results: dict[str, RequirementResult], options: AssessOptions
) -> tuple[dict[str, PracticeResult], dict[str, LevelResult], dict[str, LevelResult], LevelResult]:
    """Practice, sub-item, domain and overall results, each with its target.

    A domain's target is its own (``--target DEV=L3``), else the overall target, else one
    level above the current overall level (the lowest practice level). Sub-items, domains and
    the overall result also carry coverage, ``level_if_answered`` and blockers.
    """
    practices, subs, domains, overall = _levels(model, results, options)
    _, subs_if, domains_if, overall_if = _levels(model, _answered(results), options)
    subs = {k: replace(v, level_if_answered=max(v.level, subs_if[k].level)) for k, v in subs.items()}
    domains = {k: replace(v, level_if_answered=max(v.level, domains_if[k].level)) for k, v in domains.items()}
    overall = replace(overall, level_if_answered=max(overall.level, overall_if.level))
    return practices, subs, domains, overall
