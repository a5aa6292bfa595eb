"""Requirement statuses from evidence (docs/assessment.md, "Status rules").

Checks measure coverage; capabilities, reports and pipeline steps show presence:
- with checks: the share of relevant objects passing decides (met at the threshold, partial
  above 0, not-met at 0); positive presence evidence lifts not-met to partial;
- without checks: the best presence evidence decides (met or partial);
- a valid attestation decides where automated evidence is absent or disagrees, except that it
  cannot overrule failing objects; every disagreement is reported;
- nothing at all: unknown, with what would settle it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from cnsmm.assess.evidence import Attestation, CheckEvidence, EvidenceBundle
from cnsmm.assess.messages import kind_name, msg, status_name
from cnsmm.assess.result import AssessOptions, EvidenceItem, RequirementResult
from cnsmm.model.paths import RequirementPaths
from cnsmm.model.types import Requirement, Text
from cnsmm.vocab import EvidenceSource, Verdict

_RANK: dict[str, int] = {Verdict.MET: 2, Verdict.PARTIAL: 1}


@dataclass
class EvidenceIndex:
    """The bundle's evidence, indexed by requirement id, report kind and pipeline category."""

    checks: dict[str, list[CheckEvidence]] = field(default_factory=lambda: defaultdict(list))
    attestations: dict[str, Attestation] = field(default_factory=dict)

    @classmethod
    def build(cls, bundle: EvidenceBundle) -> EvidenceIndex:
        """Index ``bundle``; the latest attestation of a requirement wins."""
        index = cls()
        for check in bundle.checks:
            for req in check.requirements:
                index.checks[req].append(check)
        for att in sorted(bundle.attestations, key=lambda a: a.date):
            index.attestations[att.requirement] = att
        return index


def _located(subject: str, spot: str | None) -> str:
    """``Kind/ns/name (file:line)``; just ``file:line`` for file subjects; the subject alone when unlocated."""
    if not spot:
        return subject
    if spot.startswith(subject):
        return spot
    return f"{subject.split('::', 1)[-1]} ({spot})"


_COST = {"critical": 3.0, "high": 3.0, "medium": 1.0, "low": 0.5, "info": 0.25}
"""What a failing object costs in the weighted passing share, by the severity of its worst
failure; a passing (or accepted) object counts 1 (docs/assessment.md, "Level rule")."""

_SEV_RANK = {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}


@dataclass(frozen=True)
class CheckOutcome:
    """What the checks of one requirement say."""

    items: list[EvidenceItem]
    verdict: str | None = None
    coverage: tuple[int, int] | None = None
    weighted: float | None = None
    critical: tuple[str, ...] = ()
    """Failing objects with a critical finding (no accepted exception)."""
    worst: tuple[tuple[str, str, int, int], ...] = ()
    """(rule, title, failing, evaluated) of the rules failing most objects, most first."""


def _check_items(checks: list[CheckEvidence], options: AssessOptions) -> CheckOutcome:
    items: list[EvidenceItem] = []
    evaluated: set[str] = set()
    failed: dict[str, str] = {}
    """failing subject -> most severe severity among the rules it fails."""
    accepted: dict[str, str] = {}
    worst: list[tuple[str, str, int, int]] = []
    for check in sorted(checks, key=lambda c: c.rule):
        if not check.evaluated:
            continue
        evaluated.update(check.evaluated)
        reasons = dict(check.accepted)
        bad = [s for s in check.failed if s not in reasons]
        for subject in bad:
            seen = failed.get(subject)
            if seen is None or _SEV_RANK.get(check.severity, 2) > _SEV_RANK.get(seen, 2):
                failed[subject] = check.severity
        where = dict(check.where)
        shown = [_located(s, where.get(s)) for s in sorted(bad)[: options.max_listed]]
        if len(bad) > options.max_listed:
            shown.append(f"... +{len(bad) - options.max_listed}")
        key = "check.fail" if bad else "check.pass"
        named = f"{check.rule} {check.title}" if check.title else check.rule
        text = msg(key, rule=named, failed=len(bad), evaluated=len(check.evaluated))
        if bad:
            worst.append((check.rule, check.title, len(bad), len(check.evaluated)))
        verdict = Verdict.NOT_MET if bad else Verdict.MET
        items.append(EvidenceItem(EvidenceSource.CHECK, verdict, check.rule, text, tuple(shown)))
        for subject, reason in sorted(reasons.items()):
            if subject in check.failed:
                accepted.setdefault(subject, reason)
                spot = _located(subject, where.get(subject))
                items.append(
                    EvidenceItem(
                        EvidenceSource.CHECK, Verdict.MET, check.rule, msg("check.accepted", what=spot, reason=reason),
                        (spot,), True,
                    )
                )
    if not evaluated:
        return CheckOutcome(items)
    failing = {s: sev for s, sev in failed.items() if s in evaluated}
    total = len(evaluated)
    passing = total - len(failing)
    verdict = (Verdict.MET if passing * 100 >= options.threshold * total
               else Verdict.PARTIAL if passing else Verdict.NOT_MET)
    cost = sum(_COST.get(sev, 1.0) for sev in failing.values())
    weighted = passing / (passing + cost) if passing + cost else 1.0
    critical = tuple(sorted(s for s, sev in failing.items() if sev == "critical"))
    worst.sort(key=lambda w: (-w[2], w[0]))
    return CheckOutcome(items, verdict, (passing, total), weighted, critical, tuple(worst[:2]))


def rating_of(
    status: str, outcome: CheckOutcome | None, by_checks: bool, options: AssessOptions
) -> tuple[str, tuple[str, ...]]:
    """CMMI-style rating of a requirement, and the critical failures that keep it from "largely".

    Met and not-applicable are fully implemented. A partial status decided by the rules is
    largely implemented when the severity-weighted passing share reaches ``level_share`` and no
    object fails a critical rule; any other partial status is partially implemented.
    """
    if status in (Verdict.MET, Verdict.NOT_APPLICABLE):
        return "fully", ()
    if status != Verdict.PARTIAL:
        return "not", ()
    if by_checks and outcome is not None and outcome.weighted is not None:
        if outcome.critical:
            return "partially", outcome.critical
        if outcome.weighted * 100 >= options.level_share:
            return "largely", ()
    return "partially", ()


def _presence_items(req: Requirement, bundle: EvidenceBundle, options: AssessOptions) -> list[EvidenceItem]:
    items: list[EvidenceItem] = []
    for cap in bundle.capabilities:
        if req.id in cap.requirements_effective:
            verdict = Verdict.MET
        elif req.id in cap.requirements_partial:
            verdict = Verdict.PARTIAL
        else:
            continue
        reason = Text(zh=cap.reason_zh or cap.reason_en, en=cap.reason_en)
        text = msg("cap.effective" if verdict == Verdict.MET else "cap.partial", name=cap.name, reason=reason)
        why = dict(cap.why).get(req.id)
        if why:
            text = msg("cap.why", text=text, why=why)
        where = (cap.where,) if cap.where else ()
        items.append(EvidenceItem(EvidenceSource.CAPABILITY, verdict, cap.detector, text, where))
    strengths = dict(req.reports)
    for rep in bundle.reports:
        if rep.kind not in strengths:
            continue
        kind = kind_name(rep.kind)
        if rep.generated_at is None:
            age, day = 0, "?"
        else:
            age, day = (bundle.now - rep.generated_at).days, rep.generated_at.date().isoformat()
        if age > options.report_max_age_days:
            text = msg("report.stale", kind=kind, tool=rep.tool, age=age, max=options.report_max_age_days)
            items.append(EvidenceItem(EvidenceSource.REPORT, Verdict.IGNORED, rep.path, text))
            continue
        strength = strengths[rep.kind]
        high = rep.count("critical", "high")
        verdict = Verdict.PARTIAL if strength == "partial" or (strength == "clean" and high) else Verdict.MET
        scope = Text(zh=f"（扫描对象 {rep.scope}）", en=f" on {rep.scope}") if rep.scope else Text("", "")
        key = "report.undated" if rep.dated_by_file or rep.generated_at is None else "report.ok"
        items.append(
            EvidenceItem(
                EvidenceSource.REPORT,
                verdict,
                rep.path,
                msg(key, kind=kind, tool=rep.tool, findings=rep.findings, date=day, scope=scope),
            )
        )
        if verdict == Verdict.PARTIAL:
            extra = (
                msg("report.unclean", kind=kind, tool=rep.tool, high=high)
                if strength == "clean"
                else (msg("report.partial", kind=kind, tool=rep.tool))
            )
            items.append(EvidenceItem(EvidenceSource.REPORT, Verdict.PARTIAL, rep.path, extra))
    categories = dict(req.pipeline)
    chain = {c for c, strength in categories.items() if strength == "chain"}
    blocking_seen = {a.category for a in bundle.pipelines if a.category in chain and a.blocking}
    for act in bundle.pipelines:
        pipe_strength = categories.get(act.category)
        if pipe_strength is None:
            continue
        fields: dict[str, object] = {
            "category": kind_name(act.category), "tool": act.tool or "?", "where": act.display()
        }
        if pipe_strength == "partial":
            verdict, key = Verdict.PARTIAL, "pipe.partial"
        elif pipe_strength == "chain" and not (act.blocking and blocking_seen == chain):
            verdict, key = Verdict.PARTIAL, "pipe.chain"
            gone = [kind_name(c) for c in sorted(chain - blocking_seen)]
            fields["missing"] = Text(zh="、".join(t.zh for t in gone) or "-", en=", ".join(t.en for t in gone) or "-")
        elif pipe_strength == "blocking" and not act.blocking:
            verdict, key = Verdict.PARTIAL, "pipe.nonblocking"
        else:
            verdict, key = Verdict.MET, "pipe.blocking" if act.blocking else "pipe.run"
        items.append(EvidenceItem(EvidenceSource.PIPELINE, verdict, act.file, msg(key, **fields), (act.display(),)))
    return items


def _settle(paths: RequirementPaths, items: list[EvidenceItem], attested: bool) -> tuple[Text, ...]:
    """What evidence, not yet there, would settle the requirement."""
    out: list[Text] = []
    if paths.rules and not any(i.source == EvidenceSource.CHECK and i.verdict != Verdict.IGNORED for i in items):
        from cnsmm.assess.paths import rule_requires

        needs = rule_requires()
        plain = [r for r in paths.rules if r not in needs]
        if plain:
            out.append(msg("settle.rules", rules=", ".join(plain)))
        configured = [r for r in paths.rules if r in needs]
        if configured:
            # rules need any one of their options: name the ones every such rule reads, if there are
            common = set.intersection(*(set(needs[r]) for r in configured))
            options = sorted(common or {o for r in configured for o in needs[r]})
            out.append(msg("settle.option", option="` / `".join(options), rules=", ".join(configured)))
    found = {i.ref for i in items if i.source == EvidenceSource.CAPABILITY}
    missing = [d.name for d in paths.detectors if d.id not in found]
    if missing:
        out.append(msg("settle.detectors", names=", ".join(missing[:8])))
    if paths.reports:
        out.append(msg("settle.reports", kinds=", ".join(k for k, _ in paths.reports)))
    if paths.pipeline:
        out.append(msg("settle.pipeline", categories=", ".join(c for c, _ in paths.pipeline)))
    if not attested:
        out.append(msg("settle.attest"))
    return tuple(out)


def requirement_status(
    req: Requirement,
    paths: RequirementPaths,
    bundle: EvidenceBundle,
    index: EvidenceIndex,
    options: AssessOptions,
) -> RequirementResult:
    """The status of ``req`` with its evidence items, settle hints and any disagreement."""
    outcome = _check_items(index.checks.get(req.id, []), options)
    items, check_verdict, coverage = outcome.items, outcome.verdict, outcome.coverage
    if coverage is None and paths.rules:
        items.append(
            EvidenceItem(EvidenceSource.CHECK, Verdict.IGNORED, ", ".join(paths.rules),
                         msg("checks.none", rules=", ".join(paths.rules)))
        )
    presence = _presence_items(req, bundle, options)
    items.extend(presence)
    best = max((_RANK.get(i.verdict, 0) for i in presence), default=0)
    presence_verdict = {2: Verdict.MET, 1: Verdict.PARTIAL}.get(best)
    automated = check_verdict or presence_verdict
    if check_verdict == Verdict.NOT_MET and presence_verdict:
        automated = Verdict.PARTIAL
    summary = msg("unknown")
    if coverage is not None:
        passing, total = coverage
        summary = msg(
            "checks.summary",
            passing=passing,
            evaluated=total,
            pct=passing * 100 // total,
            threshold=f"{options.threshold:g}",
        )
        if outcome.worst:
            # say what fails, by the rules' titles, not only how many objects
            parts = [msg("checks.worst_item", rule=f"{rule} {title}".strip(), failed=bad, evaluated=n)
                     for rule, title, bad, n in outcome.worst]
            named = Text(zh="；".join(x.zh for x in parts), en="; ".join(x.en for x in parts))
            summary = msg("checks.worst", summary=summary, rules=named)
    if presence_verdict:
        best_text = next(i.text for i in presence if i.verdict == presence_verdict)
        summary = best_text if coverage is None else msg("summary.both", checks=summary, presence=best_text)
    status, attested, disagreement = automated or Verdict.UNKNOWN, None, None
    by_checks = check_verdict is not None
    att = index.attestations.get(req.id)
    if att is not None:
        attested = att.status
        expiry = msg("att.expiry", date=att.expires.isoformat()) if att.expires else Text("", "")
        text = msg(
            "att.given",
            status=status_name(att.status),
            owner=att.owner,
            date=att.date.isoformat(),
            expiry=expiry,
        )
        where = (att.display(), *att.evidence)
        items.append(EvidenceItem(EvidenceSource.ATTESTATION, att.status, att.file, text, where))
        if automated is None:
            status, summary = att.status, text
            by_checks = False
        elif automated != att.status:
            # A signed answer decides (it is the owner's documented exception), except that
            # met or not-applicable cannot overrule objects failing a critical rule, and in
            # strict mode cannot overrule failing objects at all.
            overrules = (att.status in (Verdict.MET, Verdict.NOT_APPLICABLE)
                         and check_verdict in (Verdict.PARTIAL, Verdict.NOT_MET))
            objects_fail = overrules and (bool(outcome.critical) or options.level_mode == "strict")
            status = automated if objects_fail else att.status
            winner = msg("disagree.auto") if objects_fail else msg("disagree.att")
            disagreement = msg("disagree", auto=status_name(automated), att=status_name(att.status), winner=winner)
            if not objects_fail:
                summary = text
                by_checks = False
    rating, blocking = rating_of(status, outcome, by_checks, options)
    unsettled = status in (Verdict.UNKNOWN, Verdict.PARTIAL, Verdict.NOT_MET)
    settle = _settle(paths, items, attested is not None) if unsettled else ()
    return RequirementResult(
        req.id,
        req.level,
        status,
        tuple(items),
        summary,
        coverage,
        settle,
        automated,
        attested,
        disagreement,
        rating,
        outcome.weighted,
        blocking,
    )
