"""Gaps to the target level and the ordered improvement plan (docs/assessment.md, "Plan").

Each missing requirement gets one concrete action, chosen from its evidence: fix the failing
objects, configure a component that is only partly effective, make a pipeline step blocking,
add a pipeline stage, deploy a component, import a report, scan the right inputs, or provide
an attestation. Actions with the same kind and target are merged; the plan is ordered by the
level they unlock (phase), then by estimated effort, then by how many requirements they close.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cnsmm.assess.levels import gate
from cnsmm.assess.result import Action, Gap, LevelResult, PhaseEffort, PracticeResult, RequirementResult
from cnsmm.model.paths import EvidencePaths
from cnsmm.model.types import Model, Text
from cnsmm.rules import get_rule
from cnsmm.vocab import EvidenceSource, Verdict

EFFORT: dict[str, float] = {
    "scan-inputs": 0.25,
    "provide-attestation": 0.25,
    "make-blocking": 0.5,
    "import-report": 0.5,
    "configure-component": 1.0,
    "add-pipeline-stage": 1.0,
    "fix-rules": 0.5,
    "deploy-component": 3.0,
    "implement-and-attest": 5.0,
}
"""Estimated person-days per action type; ``fix-rules`` adds 0.1 per failing object not already
counted in an earlier action, up to 5."""

_TEXT: dict[str, tuple[str, str]] = {
    "fix-rules": ("Fix the objects failing {target}{how}", "修复未通过 {target} 的对象{how}"),
    "scan-inputs": ("Include {inputs} (which {target} check) in the scan", "将 {inputs}（{target}检查的对象）纳入扫描"),
    "configure-component": ("Finish configuring {target}", "完善 {target} 的配置"),
    "deploy-component": ("Deploy one of {target}", "部署以下组件之一：{target}"),
    "make-blocking": ("Make the {target} pipeline step fail the build", "让流水线中的 {target} 步骤阻断构建"),
    "add-pipeline-stage": ("Add a {target} stage to the CI pipeline", "在 CI 流水线中增加 {target} 阶段"),
    "import-report": ("Import a recent {target} report", "导入近期的 {target} 报告"),
    "implement-and-attest": ("Put it in place and attest it ({target})", "落实并提交声明（{target}）"),
    "provide-attestation": (
        "Answer the questionnaire entries of {target} (`cnsmm attest init`)",
        "回答 {target} 的问卷条目（`cnsmm attest init`）",
    ),
}


@dataclass
class _Draft:
    kind: str
    target: str
    requirements: list[str] = field(default_factory=list)
    practices: list[str] = field(default_factory=list)
    detail: list[str] = field(default_factory=list)
    phase: int = 5


def _choose(result: RequirementResult, paths: EvidencePaths) -> tuple[str, str, list[str]]:
    """(kind, target, detail) of the action that closes ``result``."""
    p = paths.of(result.id)
    failing = [i for i in result.evidence if i.source == EvidenceSource.CHECK and i.verdict == Verdict.NOT_MET]
    if failing:
        return (
            "fix-rules",
            ", ".join(i.ref for i in failing),
            [f"{i.ref}: {w}" for i in failing for w in i.where],
        )
    partial_caps = [i for i in result.evidence
                    if i.source == EvidenceSource.CAPABILITY and i.verdict == Verdict.PARTIAL]
    if partial_caps and result.status != Verdict.MET:
        return "configure-component", partial_caps[0].ref, [i.text.en for i in partial_caps]
    nonblocking = [i for i in result.evidence if i.source == EvidenceSource.PIPELINE and i.verdict == Verdict.PARTIAL]
    blocking_needed = [c for c, s in p.pipeline if s == "blocking"]
    if nonblocking and blocking_needed:
        return "make-blocking", blocking_needed[0], [w for i in nonblocking for w in i.where]
    if result.attested in (Verdict.NOT_MET, Verdict.PARTIAL):
        return "implement-and-attest", result.id, []
    presence = (EvidenceSource.CAPABILITY, EvidenceSource.REPORT, EvidenceSource.PIPELINE)
    has_presence = any(i.source in presence for i in result.evidence)
    if p.pipeline and not has_presence:
        return "add-pipeline-stage", "/".join(c for c, _ in p.pipeline[:3]), []
    if p.detectors and not has_presence:
        return "deploy-component", ", ".join(d.name for d in p.detectors[:4]), [d.id for d in p.detectors]
    if p.reports and not has_presence:
        return "import-report", "/".join(k for k, _ in p.reports[:3]), []
    if p.rules and result.coverage is None and not has_presence:
        return "scan-inputs", ", ".join(p.rules), list(p.rules)
    if result.status == Verdict.UNKNOWN:
        return "provide-attestation", result.id.rsplit(".", 2)[0], [result.id]
    return "implement-and-attest", result.id, []


def _effort(d: _Draft, counted: set[str]) -> float:
    """The estimate of :data:`EFFORT`; failing objects fixed by an earlier action are not counted again."""
    if d.kind != "fix-rules":
        return EFFORT[d.kind]
    objects = 0
    for entry in d.detail:
        more = re.search(r"\.\.\. \+(\d+)$", entry)
        if more:
            objects += int(more.group(1))
        elif entry not in counted:
            objects += 1
    return round(min(5.0, EFFORT["fix-rules"] + 0.1 * objects), 2)


_INPUTS: dict[str, tuple[str, str]] = {
    "K8S": ("Kubernetes manifests", "Kubernetes 清单"),
    "DKR": ("Dockerfiles", "Dockerfile"),
    "CI": ("CI pipeline files", "CI 流水线文件"),
}


def _short(target: str, shown: int = 4) -> Text:
    """A comma-separated target of many ids cut to the first ``shown`` and a count (the action's
    detail keeps the full list)."""
    ids = target.split(", ")
    if len(ids) <= shown + 1:
        return Text(target, target)
    head, more = ", ".join(ids[:shown]), len(ids) - shown
    return Text(zh=f"{head} 等 {len(ids)} 条规则", en=f"{head} and {more} more rules")


def _rules_named(target: str, shown: int = 3) -> tuple[Text, Text]:
    """The rules of a fix-rules action by id and title (the first ``shown``), and the fix of the
    first one: what to change, not only which check fails."""
    ids = target.split(", ")
    named = []
    for rid in ids[:shown]:
        found = get_rule(rid)
        named.append(f"{rid} ({found.meta.title})" if found else rid)
    more = len(ids) - len(named)
    label = Text(zh="、".join(named) + (f" 等 {len(ids)} 条规则" if more else ""),
                 en=", ".join(named) + (f" and {more} more rules" if more else ""))
    first = get_rule(ids[0])
    fix = first.meta.fix.replace("`", "").rstrip(".") if first and first.meta.fix else ""
    how = Text(zh=f"（{ids[0]} 的修复：{fix}）", en=f" ({ids[0]}: {fix})") if fix else Text("", "")
    return label, how


def _inputs(rules: str) -> Text:
    """What the rules ``rules`` check, by their prefixes: ``Kubernetes manifests and Dockerfiles``."""
    kinds = [_INPUTS[p] for p in dict.fromkeys(r.split("-")[0] for r in rules.split(", ")) if p in _INPUTS]
    if not kinds:
        return Text("the inputs", "相应输入")
    return Text(zh="和".join(k[1] for k in kinds), en=" and ".join(k[0] for k in kinds))


def effort_by_phase(plan: tuple[Action, ...] | list[Action]) -> tuple[PhaseEffort, ...]:
    """Number of actions and person-days per phase of ``plan``, lowest phase first.

    Sums are rounded to two decimals; each action's own estimate already counts a failing object
    only once across the plan.
    """
    phases: dict[int, list[float]] = {}
    for x in plan:
        phases.setdefault(x.phase, []).append(x.effort)
    return tuple(PhaseEffort(n, len(e), round(sum(e), 2)) for n, e in sorted(phases.items()))


def total_effort(plan: tuple[Action, ...] | list[Action]) -> float:
    """Person-days of the whole plan, rounded to two decimals."""
    return round(sum(x.effort for x in plan), 2)


def gaps_and_plan(
    model: Model,
    results: dict[str, RequirementResult],
    practices: dict[str, PracticeResult],
    domains: dict[str, LevelResult],
    paths: EvidencePaths,
) -> tuple[tuple[Gap, ...], tuple[Action, ...]]:
    """Gaps of every practice below its domain's target, and the ordered plan closing them."""
    drafts: dict[tuple[str, str], _Draft] = {}
    by_req: dict[str, tuple[str, str]] = {}
    gap_drafts: list[tuple[str, int, int, list[str]]] = []
    for pid, pres in practices.items():
        target = domains[model.practices[pid].domain].target or 0
        if pres.level >= target:
            continue
        missing: list[str] = []
        for level in range(pres.level + 1, target + 1):
            for req in gate(model, pid, level)[0]:
                if results[req.id].status not in (Verdict.MET, Verdict.NOT_APPLICABLE) and req.id not in missing:
                    missing.append(req.id)
        for rid in missing:
            if rid not in by_req:
                kind, target_name, detail = _choose(results[rid], paths)
                draft = drafts.setdefault((kind, target_name), _Draft(kind, target_name))
                draft.requirements.append(rid)
                draft.phase = min(draft.phase, results[rid].level)
                draft.detail.extend(d for d in detail if d not in draft.detail)
                by_req[rid] = (kind, target_name)
            draft = drafts[by_req[rid]]
            if pid not in draft.practices:
                draft.practices.append(pid)
        gap_drafts.append((pid, pres.level, target, missing))

    ordered = sorted(
        drafts.values(), key=lambda d: (d.phase, _effort(d, set()), -len(d.requirements), d.kind, d.target)
    )
    ids: dict[tuple[str, str], str] = {}
    plan: list[Action] = []
    counted: set[str] = set()
    for n, d in enumerate(ordered, 1):
        ids[(d.kind, d.target)] = f"A{n}"
        en, zh = _TEXT[d.kind]
        named = [model.requirements[r].text for r in d.requirements[:3]]
        more = len(d.requirements) - len(named)
        closes_en = "; ".join(t.en for t in named) + (f"; and {more} more" if more else "")
        closes_zh = "；".join(t.zh for t in named) + (f"；另有 {more} 项" if more else "")
        short, how = _rules_named(d.target) if d.kind == "fix-rules" else (_short(d.target), Text("", ""))
        inputs = _inputs(d.target) if d.kind == "scan-inputs" else Text("", "")
        text = Text(
            zh=f"{zh.format(target=short.zh, inputs=inputs.zh, how=how.zh)}，以满足：{closes_zh}",
            en=f"{en.format(target=short.en, inputs=inputs.en, how=how.en)}, for: {closes_en}",
        )
        effort = _effort(d, counted)
        counted.update(d.detail)
        plan.append(
            Action(f"A{n}", d.kind, d.phase, effort, tuple(d.requirements), tuple(d.practices), text, tuple(d.detail))
        )
    gaps = tuple(
        Gap(pid, level, target, tuple(missing), tuple(dict.fromkeys(ids[by_req[r]] for r in missing)))
        for pid, level, target, missing in gap_drafts
    )
    return gaps, tuple(plan)
