"""Every explanation the assessment gives, in English and Chinese.

Templates use ``str.format`` fields; :func:`msg` fills both languages at once so that the
assessment carries both and each renderer picks one.
"""

from __future__ import annotations

from typing import Any

from cnsmm.model.types import Text
from cnsmm.vocab import EvidenceSource, PipelineCategory, ReportKind, Verdict

_T: dict[str, tuple[str, str]] = {
    # checks
    "check.pass": (
        "{rule}: all {evaluated} relevant objects pass",
        "{rule}：{evaluated} 个相关对象全部通过",
    ),
    "check.fail": (
        "{rule}: {failed} of {evaluated} relevant objects fail",
        "{rule}：{evaluated} 个相关对象中有 {failed} 个未通过",
    ),
    "checks.summary": (
        "{passing} of {evaluated} relevant objects ({pct}%) pass the mapped rules; "
        "the threshold for met is {threshold}%",
        "{evaluated} 个相关对象中有 {passing} 个（{pct}%）通过相关规则；判定为满足的阈值为 {threshold}%",
    ),
    "checks.worst_item": ("{rule} ({failed} of {evaluated})", "{rule}（{evaluated} 个中 {failed} 个）"),
    "checks.worst": ("most failures: {rules}. {summary}", "未通过最多的规则：{rules}。{summary}"),
    "check.accepted": (
        "accepted: {what}: {reason}",
        "已接受的例外：{what}：{reason}",
    ),
    "pipe.chain": (
        "{category} step ({tool}) at {where} is one link of the tool chain; "
        "blocking steps still missing for: {missing}",
        "{where} 的{category}步骤（{tool}）是工具链的一环；仍缺少阻断式步骤：{missing}",
    ),
    "summary.both": ("{checks}; besides: {presence}", "{checks}；此外：{presence}"),
    "checks.none": (
        "no scanned object is of a kind the rules {rules} apply to",
        "扫描的对象中没有规则 {rules} 适用的类型",
    ),
    # capabilities
    "cap.effective": ("{name} detected and effective: {reason}", "检测到 {name} 且已生效：{reason}"),
    "cap.partial": (
        "{name} detected, only partly effective: {reason}",
        "检测到 {name}，但仅部分生效：{reason}",
    ),
    "cap.why": ("{text} Why it counts here: {why}", "{text} 与本要求的关系（英文）：{why}"),
    # reports
    "report.ok": (
        "{kind} report by {tool}{scope} ({findings} findings) dated {date}",
        "{tool} 的{kind}报告{scope}（{findings} 个问题），日期 {date}",
    ),
    "report.undated": (
        "{kind} report by {tool}{scope} ({findings} findings); no date inside, file time {date} used",
        "{tool} 的{kind}报告{scope}（{findings} 个问题）；报告内无日期，使用文件时间 {date}",
    ),
    "report.stale": (
        "{kind} report by {tool} is {age} days old (max {max} days): not counted",
        "{tool} 的{kind}报告已有 {age} 天（上限 {max} 天）：不计入",
    ),
    "report.partial": (
        "{kind} report by {tool} shows this requirement only in part",
        "{tool} 的{kind}报告只能部分证明该要求",
    ),
    "report.unclean": (
        "{kind} report by {tool} still lists {high} critical/high findings",
        "{tool} 的{kind}报告仍有 {high} 个严重/高危问题",
    ),
    # pipelines
    "pipe.blocking": (
        "{category} step ({tool}) in {where} fails the build on findings",
        "{where} 中的{category}步骤（{tool}）发现问题时会阻断构建",
    ),
    "pipe.run": ("{category} step ({tool}) in {where}", "{where} 中有{category}步骤（{tool}）"),
    "pipe.nonblocking": (
        "{category} step ({tool}) in {where} runs but does not fail the build",
        "{where} 中的{category}步骤（{tool}）会运行，但不阻断构建",
    ),
    "pipe.partial": (
        "{category} step ({tool}) in {where} shows this requirement only in part",
        "{where} 中的{category}步骤（{tool}）只能部分证明该要求",
    ),
    # attestations
    "att.given": (
        "attested {status} by {owner} on {date}{expiry}",
        "{owner} 于 {date} 声明为{status}{expiry}",
    ),
    "att.expiry": (", valid until {date}", "，有效期至 {date}"),
    "disagree": (
        "automated evidence says {auto}, the attestation says {att}; {winner} is used",
        "自动化证据判定为{auto}，而声明为{att}；采用{winner}",
    ),
    "disagree.auto": ("the automated result", "自动化结果"),
    "disagree.att": ("the attestation", "声明"),
    # what would settle an unknown requirement
    "settle.rules": (
        "scan the manifests, Dockerfiles or pipelines the rules {rules} check",
        "扫描规则 {rules} 所检查的清单、Dockerfile 或流水线",
    ),
    "settle.option": (
        "set the option `{option}` in cnsmm.yaml: the rules {rules} are not evaluated without it",
        "在 cnsmm.yaml 中设置选项 `{option}`：未设置时规则 {rules} 不会评估",
    ),
    "settle.detectors": (
        "deploy or include the manifests of one of: {names}",
        "部署或纳入以下组件之一的清单：{names}",
    ),
    "settle.reports": ("import a recent report of kind {kinds}", "导入近期的报告，类型：{kinds}"),
    "settle.pipeline": ("add a pipeline step: {categories}", "在流水线中增加步骤：{categories}"),
    "settle.attest": (
        "answer it in the attestation file (`cnsmm attest init --assessment REPORT.json` asks every open question)",
        "在声明文件中回答（`cnsmm attest init --assessment REPORT.json` 列出所有待回答的问题）",
    ),
    "unknown": ("no evidence found", "未找到任何证据"),
}

STATUS_NAMES: dict[str, tuple[str, str]] = {
    Verdict.MET: ("met", "满足"),
    Verdict.PARTIAL: ("partly met", "部分满足"),
    Verdict.NOT_MET: ("not met", "不满足"),
    Verdict.NOT_APPLICABLE: ("not applicable", "不适用"),
    Verdict.UNKNOWN: ("unknown", "未知"),
}

SOURCE_NAMES: dict[str, tuple[str, str]] = {
    EvidenceSource.CHECK: ("check", "检查"),
    EvidenceSource.CAPABILITY: ("component", "组件"),
    EvidenceSource.REPORT: ("report", "报告"),
    EvidenceSource.PIPELINE: ("pipeline", "流水线"),
    EvidenceSource.ATTESTATION: ("attestation", "声明"),
}

KIND_NAMES: dict[str, tuple[str, str]] = {
    ReportKind.IMAGE_SCAN: ("image scanning", "镜像扫描"),
    ReportKind.SCA: ("software composition analysis", "软件成分分析"),
    ReportKind.SAST: ("static testing", "静态测试"),
    ReportKind.DAST: ("dynamic testing", "动态测试"),
    ReportKind.IAC_SCAN: ("infrastructure-as-code scanning", "基础设施即代码扫描"),
    ReportKind.SECRET_SCAN: ("secret scanning", "密钥扫描"),
    ReportKind.SBOM: ("SBOM", "软件物料清单"),
    ReportKind.COMPLIANCE: ("compliance benchmark", "合规基线"),
    ReportKind.RUNTIME: ("runtime detection", "运行时检测"),
    ReportKind.PENTEST: ("penetration test", "渗透测试"),
    ReportKind.VEX: ("VEX statements", "VEX 漏洞可利用性声明"),
    PipelineCategory.SIGNING: ("artifact signing", "制品签名"),
    PipelineCategory.PROVENANCE: ("build provenance", "构建溯源"),
}


def msg(key: str, **fields: Any) -> Text:
    """The message ``key`` filled with ``fields`` in both languages.

    Fields that are :class:`Text` are filled in the matching language.
    """
    en, zh = _T[key]
    return Text(
        zh=zh.format(**{k: v.zh if isinstance(v, Text) else v for k, v in fields.items()}),
        en=en.format(**{k: v.en if isinstance(v, Text) else v for k, v in fields.items()}),
    )


def status_name(status: str) -> Text:
    """The display name of a requirement status."""
    en, zh = STATUS_NAMES.get(status, (status, status))
    return Text(zh=zh, en=en)


def source_name(source: str) -> Text:
    """The display name of an evidence source."""
    en, zh = SOURCE_NAMES.get(source, (source, source))
    return Text(zh=zh, en=en)


def kind_name(kind: str) -> Text:
    """The display name of a report kind or pipeline category."""
    en, zh = KIND_NAMES.get(kind, (kind, kind))
    return Text(zh=zh, en=en)
