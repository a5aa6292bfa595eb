"""Practice, sub-item, domain and overall levels (docs/assessment.md, "Level rule").

A practice reaches level N when it passes the gate of every level 1..N. The gate of a level is
the practice's own requirements of that level; where the model maps none to it, the sub-item's
requirements of that level apply (the seed defines level characteristics per sub-item). In
``strict`` mode a gate passes when every requirement is met or not applicable; in
``threshold`` mode when the credit share reaches ``level_share``. Credit: met/NA 1, partial
its passing share (0.5 when unmeasured), otherwise 0. Progress is the floored credit share of
the next gate. Sub-item, domain and overall levels are the minimum of their parts; their
scores are the mean of the parts' scores, floored to two decimals.
"""

from __future__ import annotations

import math
from fractions import Fraction

from cnsmm.assess.result import AssessOptions, LevelResult, PracticeResult, RequirementResult
from cnsmm.model.types import LEVELS, Model, Requirement


def gate(model: Model, practice_id: str, level: int) -> tuple[tuple[Requirement, ...], bool]:
    """The requirements gating ``level`` of a practice, and whether the sub-item fallback applied."""
    practice = model.practices[practice_id]
    own = tuple(r for r in model.requirements_of(practice_id) if r.level == level)
    if own:
        return own, False
    return model.sub_items[practice.sub_item].at_level(level), True


def credit(result: RequirementResult) -> Fraction:
    """How much a requirement counts towards its level: 0 to 1."""
    if result.status in ("met", "not-applicable"):
        return Fraction(1)
    if result.status == "partial":
        if result.coverage and result.coverage[1]:
            return Fraction(result.coverage[0], result.coverage[1])
        return Fraction(1, 2)
    return Fraction(0)


def _share(reqs: tuple[Requirement, ...], results: dict[str, RequirementResult]) -> Fraction:
    if not reqs:
        return Fraction(1)
    return sum((credit(results[r.id]) for r in reqs), Fraction(0)) / len(reqs)


def _passes(reqs: tuple[Requirement, ...], results: dict[str, RequirementResult], options: AssessOptions) -> bool:
    if options.level_mode == "threshold":
        return _share(reqs, results) * 100 >= Fraction(options.level_share)
    return all(results[r.id].status in ("met", "not-applicable") for r in reqs)


def floor2(value: Fraction) -> float:
    """``value`` floored to two decimals (never rounded up)."""
    return math.floor(value * 100) / 100


def practice_level(
    model: Model, practice_id: str, results: dict[str, RequirementResult], options: AssessOptions
) -> PracticeResult:
    """The level, progress and score of one practice."""
    level = 0
    fallback: list[int] = []
    for n in LEVELS:
        reqs, fell_back = gate(model, practice_id, n)
        if fell_back:
            fallback.append(n)
        if level == n - 1 and _passes(reqs, results, options):
            level = n
    if level == LEVELS[-1]:
        progress = 100
    else:
        progress = math.floor(_share(gate(model, practice_id, level + 1)[0], results) * 100)
        progress = min(progress, 99)
    score = Fraction(level) if level == LEVELS[-1] else Fraction(level) + Fraction(progress, 100)
    return PracticeResult(practice_id, level, progress, floor2(score), tuple(fallback))


def _aggregate(ident: str, parts: list[tuple[int, float]], target: int | None) -> LevelResult:
    level = min(p[0] for p in parts)
    mean = sum((Fraction(p[1]).limit_denominator(1000) for p in parts), Fraction(0)) / len(parts)
    return LevelResult(ident, level, floor2(mean), target)


def all_levels(
    model: Model, results: dict[str, RequirementResult], options: AssessOptions
) -> tuple[dict[str, PracticeResult], dict[str, LevelResult], dict[str, LevelResult], LevelResult]:
    """Practice, sub-item, domain and overall results, each with its target.

    A domain's target is its own (``--target DEV=L3``), else the overall target, else one
    level above the current overall level (the lowest practice level).
    """
    practices = {pid: practice_level(model, pid, results, options) for pid in model.practices}
    current = min(p.level for p in practices.values())
    overall_target = options.target.overall or min(current + 1, LEVELS[-1])
    subs: dict[str, LevelResult] = {}
    domains: dict[str, LevelResult] = {}
    for domain in model.domains:
        target = options.target.domains.get(domain.id) or overall_target
        for sub in domain.sub_items:
            parts = [(practices[p.id].level, practices[p.id].score) for p in sub.practices]
            subs[sub.id] = _aggregate(sub.id, parts, target)
        domains[domain.id] = _aggregate(
            domain.id, [(subs[s.id].level, subs[s.id].score) for s in domain.sub_items], target
        )
    overall = _aggregate("overall", [(d.level, d.score) for d in domains.values()], overall_target)
    return practices, subs, domains, overall
