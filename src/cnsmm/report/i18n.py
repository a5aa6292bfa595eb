"""Fixed labels of the assessment reports, in English and Chinese."""

from __future__ import annotations

_L: dict[str, tuple[str, str]] = {
    "title": ("CNMM-TAS security maturity assessment", "CNMM-TAS 云原生安全成熟度评估"),
    "overall": ("Overall level", "总体等级"),
    "score": ("score", "得分"),
    "target": ("target", "目标"),
    "domain": ("Domain", "能力域"),
    "domains": ("Domains", "能力域"),
    "sub_item": ("Sub-item", "能力子项"),
    "practice": ("Practice", "实践项"),
    "practices": ("Practice items", "实践项"),
    "level": ("Level", "等级"),
    "progress": ("Progress to next level", "距下一级进度"),
    "requirement": ("Requirement", "要求"),
    "status": ("Status", "状态"),
    "evidence": ("Evidence", "证据"),
    "settle": ("What would settle it", "可补充的证据"),
    "gaps": ("Gaps to target", "与目标的差距"),
    "missing": ("missing", "缺失"),
    "plan": ("Improvement plan", "改进计划"),
    "phase": ("Phase", "阶段"),
    "unlocks": ("unlocks L{n}", "解锁 L{n}"),
    "effort": ("Effort (person-days)", "工作量（人天）"),
    "action": ("Action", "行动"),
    "disagreements": ("Automated evidence and attestations disagree", "自动化证据与声明不一致"),
    "problems": ("Attestation answers that do not count", "未计入的声明"),
    "input_errors": ("Inputs that could not be read", "无法读取的输入"),
    "inputs": ("Inputs", "输入"),
    "files": ("files", "个文件"),
    "objects": ("objects", "个对象"),
    "reports": ("reports", "份报告"),
    "components": ("Security components found", "发现的安全组件"),
    "none": ("none", "无"),
    "changes": ("Changes since the previous assessment", "与上次评估相比的变化"),
    "generated": ("Generated", "生成时间"),
    "model": ("Model version", "模型版本"),
    "radar": ("Domain levels", "能力域等级"),
    "heatmap": ("Practice items by level", "实践项等级热力图"),
    "drill": ("Details by domain", "按能力域查看详情"),
    "fallback": ("levels gated by the sub-item's requirements", "由能力子项要求判定的等级"),
    "more": ("and {n} more actions", "另有 {n} 项行动"),
    "no_gaps": ("No gaps: every practice is at or above its target.", "无差距：所有实践项均已达到目标。"),
    "legend": ("Level", "等级"),
    "details_n": ("{n} objects and details", "{n} 个对象及详情"),
    "statuses": ("Requirement statuses", "要求状态统计"),
    "verdict": ("Verdict", "评估结论"),
    "demonstrated": ("L{n} demonstrated by evidence", "证据证明的等级：L{n}"),
    "coverage_line": (
        "Evidence covers {pct}% of the requirements up to L{target}",
        "截至 L{target} 的要求中，{pct}% 有证据",
    ),
    "open_one": ("1 question open", "1 个问题待回答"),
    "open_many": ("{n} questions open", "{n} 个问题待回答"),
    "reachable": ("L{n} reachable by answering them", "回答后可达 L{n}"),
    "why": ("Why this level", "为什么是这个等级"),
    "held_by": ("held at L{n} by", "停留在 L{n}，原因"),
    "at_top": ("at L5", "已达 L5"),
    "next": ("What to do next", "下一步做什么"),
    "total_effort": ("{n} person-days in total for {k}", "共 {n} 人天，完成 {k}"),
    "actions_one": ("1 action", "1 项行动"),
    "actions_many": ("{n} actions", "{n} 项行动"),
    "days": ("{n} d", "{n} 人天"),
    "more_blockers": ("+{n} more", "另有 {n} 项"),
    "open_q": ("open question", "待回答"),
    "semi": ("; ", "；"),
    "coverage_pct": ("evidence for {pct}%", "证据覆盖 {pct}%"),
    "answer_next": (
        "Also answer the {k} that hold L{n}: cnsmm attest init --assessment REPORT.json writes them into the "
        "questionnaire.",
        "另需回答阻碍 L{n} 的{k}：cnsmm attest init --assessment REPORT.json 将其写入问卷。",
    ),
    "questions_one": ("1 open question", "1 个待回答问题"),
    "questions_many": ("{n} open questions", "{n} 个待回答问题"),
    "if_answered_n": ("L{n} if answered", "回答后可达 L{n}"),
    "not_raised": ("answering them alone does not raise the level", "仅回答问题无法提升等级"),
    "whole_plan": ("Whole plan", "完整计划"),
    "comma": (", ", "，"),
    "reqs_one": ("1 requirement", "1 项要求"),
    "reqs_many": ("{n} requirements", "{n} 项要求"),
    "with_evidence_against_one": ("1 with evidence against it", "1 项有相反的证据"),
    "with_evidence_against_many": ("{n} with evidence against them", "{n} 项有相反的证据"),
    "open_blockers_one": ("1 open question (no evidence yet)", "1 个问题待回答（尚无证据）"),
    "open_blockers_many": ("{n} open questions (no evidence yet)", "{n} 个问题待回答（尚无证据）"),
    "held_because": (
        "L{n} because {k} of L{next} are not shown: {parts}.",
        "等级为 L{n}，因为 L{next} 的 {k}尚未证明：{parts}。",
    ),
    "against_list": ("Evidence against: ", "有相反证据："),
    "open_list": (
        "Open questions (cnsmm attest init --assessment REPORT.json asks them): ",
        "待回答的问题（cnsmm attest init --assessment REPORT.json 将其列入问卷）：",
    ),
    "stop": (". ", "。"),
    "list_sep": (", ", "、"),
    "and_more": ("and {n} more", "另有 {n} 项"),
    "not_reachable_n": (
        "answering them alone does not raise the level: evidence stands against {k}",
        "仅回答问题无法提升等级：{k}有相反的证据",
    ),
    "questions_only": (
        "Only open questions hold {domains}: no evidence found stands against their next level.",
        "{domains} 仅受待回答问题限制：未发现不利于其下一等级的证据。",
    ),
    "changes_needed": (
        "{domains} need changes: evidence stands against their next level.",
        "{domains} 需要整改：存在不利于其下一等级的证据。",
    ),
    "plan_total": ("{k}, {n} person-days in total", "{k}，共 {n} 人天"),
    "phase_total": ("phase {p} (unlocks L{p}): {k}, {n} person-days", "阶段 {p}（解锁 L{p}）：{k}，{n} 人天"),
    "if_answered": ("If answered", "回答后"),
    "coverage": ("Evidence coverage", "证据覆盖率"),
    "trend": ("Levels over time", "等级变化趋势"),
    "previous": ("previous", "上次"),
}


def plural(key: str, n: int, lang: str) -> str:
    """``{key}_one`` or ``{key}_many`` with ``n`` filled in (Chinese has one form)."""
    return label(f"{key}_one" if n == 1 else f"{key}_many", lang, n=n)


def label(key: str, lang: str, **fields: object) -> str:
    """The label ``key`` in ``lang``, formatted with ``fields``."""
    en, zh = _L[key]
    text = zh if lang == "zh" else en
    return text.format(**fields) if fields else text
