"""Why the overall level is what it is, and what the plan costs, in a few sentences shared by the
text, Markdown and HTML reports (docs/assessment.md, "Outputs").

The level is held by the requirements of the next level that are not shown (the blockers).
Those with evidence against them need a change; those without any evidence are open questions
that an answer can settle. The verdict says how many of each there are, what answering the
open questions would reach, and which domains only open questions hold.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnsmm import vocab
from cnsmm.assess.plan import effort_by_phase, total_effort
from cnsmm.assess.result import Assessment
from cnsmm.model.types import LEVELS, Model
from cnsmm.report.i18n import label, plural


@dataclass(frozen=True, slots=True)
class Verdict:
    """The parts of the explanation, as ids and numbers."""

    level: int
    coverage: int
    """Percent of the requirements up to the target with any evidence."""
    target: int
    against: tuple[str, ...]
    """Blockers of the next overall level with evidence against them (not met or partial)."""
    open_blockers: tuple[str, ...]
    """Blockers of the next overall level that are open questions (no evidence)."""
    open_questions: int
    """All requirements without evidence, at every level."""
    level_if_answered: int
    questions_only: tuple[str, ...]
    """Domains whose next level only open questions hold (answering them raises the domain)."""
    changes_needed: tuple[str, ...]
    """Domains whose next level evidence against some requirement holds."""


def verdict(a: Assessment) -> Verdict:
    """The verdict of ``a``."""
    blockers = a.overall.blockers
    against = tuple(b for b in blockers if a.requirements[b].status != vocab.Verdict.UNKNOWN)
    open_blockers = tuple(b for b in blockers if a.requirements[b].status == vocab.Verdict.UNKNOWN)
    questions_only: list[str] = []
    changes: list[str] = []
    for d in a.domains.values():
        if d.level >= LEVELS[-1] or not d.blockers:
            continue
        if all(a.requirements[b].status == vocab.Verdict.UNKNOWN for b in d.blockers):
            questions_only.append(d.id)
        else:
            changes.append(d.id)
    return Verdict(
        a.overall.level,
        a.overall.coverage,
        a.overall.target or a.overall.level,
        against,
        open_blockers,
        sum(1 for r in a.requirements.values() if r.status == vocab.Verdict.UNKNOWN),
        a.overall.level_if_answered,
        tuple(questions_only),
        tuple(changes),
    )


def _ids(ids: tuple[str, ...], model: Model, lang: str, limit: int) -> str:
    """``DEV.REQ.L1.1 Basic security requirements list; ...`` (at most ``limit``, then a count)."""
    sep = "；" if lang == "zh" else "; "
    shown = [f"{i} {model.requirements[i].text.get(lang)}" for i in ids[:limit]]
    if len(ids) > limit:
        shown.append(label("and_more", lang, n=len(ids) - limit))
    return sep.join(shown)


def because(v: Verdict, lang: str) -> str:
    """``L0 because 15 requirements of L1 are not shown: 3 with evidence against them, 12 open
    questions (no evidence yet).`` (empty at L5)."""
    if v.level >= LEVELS[-1]:
        return ""
    parts = []
    if v.against:
        parts.append(plural("with_evidence_against", len(v.against), lang))
    if v.open_blockers:
        parts.append(plural("open_blockers", len(v.open_blockers), lang))
    held = len(v.against) + len(v.open_blockers)
    return label("held_because", lang, n=v.level, k=plural("reqs", held, lang), next=v.level + 1,
                 parts=label("comma", lang).join(parts))


def if_answered(v: Verdict, lang: str) -> str:
    """What answering every open question would do to the overall level (empty when none is open)."""
    if not v.open_questions:
        return ""
    if v.level_if_answered > v.level:
        tail = label("reachable", lang, n=v.level_if_answered)
    else:
        tail = label("not_reachable_n", lang, k=plural("reqs", len(v.against), lang))
    return plural("open", v.open_questions, lang) + label("semi", lang) + tail + label("stop", lang).strip()


def domain_lines(v: Verdict, lang: str) -> list[str]:
    """Which domains only open questions hold, and which need changes."""
    sep = label("list_sep", lang)
    out = []
    if v.questions_only:
        out.append(label("questions_only", lang, domains=sep.join(v.questions_only)))
    if v.changes_needed:
        out.append(label("changes_needed", lang, domains=sep.join(v.changes_needed)))
    return out


def lines(a: Assessment, model: Model, lang: str, *, limit: int = 3) -> list[str]:
    """The explanation as plain sentences (no markup): the level and coverage, why this level
    (with the requirements that hold it), what answering the open questions would do, and
    which domains need changes rather than answers."""
    v = verdict(a)
    stop = label("stop", lang)
    out = [label("demonstrated", lang, n=v.level) + stop
           + label("coverage_line", lang, pct=v.coverage, target=v.target) + stop.strip()]
    if v.level >= LEVELS[-1]:
        return out
    out.append(because(v, lang))
    if v.against:
        out.append(label("against_list", lang) + _ids(v.against, model, lang, limit))
    if v.open_blockers:
        out.append(label("open_list", lang) + _ids(v.open_blockers, model, lang, limit))
    answered = if_answered(v, lang)
    if answered:
        out.append(answered)
    return out + domain_lines(v, lang)


def plan_totals(a: Assessment, lang: str) -> str:
    """``23 actions, 41.5 person-days in total; phase 1 (unlocks L1): 13 actions, 14.3 person-days; ...``."""
    parts = [label("plan_total", lang, k=plural("actions", len(a.plan), lang), n=f"{total_effort(a.plan):g}")]
    parts += [label("phase_total", lang, p=p.phase, k=plural("actions", p.actions, lang), n=f"{p.effort:g}")
              for p in effort_by_phase(a.plan)]
    return label("semi", lang).join(parts)
