"""Attestation files: signed-off answers for what no file can show, and the questionnaire.

An answer counts when it names a known requirement, a status (met, partial, not-met,
not-applicable), an owner and a valid date, is not dated in the future and has not expired
(``expires``, or one year after ``date`` when absent). ``met`` and ``partial`` answers need at
least one evidence link; ``not-applicable`` needs a note saying why. Answers left blank (the
questionnaire as written) are skipped. Everything else is reported as file:line, id, what.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from cnsmm.assess.evidence import ATTESTABLE, Attestation, AttestationProblem
from cnsmm.model.paths import EvidencePaths
from cnsmm.model.types import Model
from cnsmm.sources.yamlload import YList, YMap, load_yaml
from cnsmm.vocab import Verdict

DEFAULT_VALIDITY = dt.timedelta(days=365)
"""How long an answer without ``expires`` stays valid."""
_MAX_BYTES = 2_000_000


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _entry(node: YMap, file: str, model: Model, today: dt.date) -> Attestation | AttestationProblem | None:
    def bad(what: str, key: str | None = None) -> AttestationProblem:
        line = node.key_lines.get(key, node.line) if key else node.line
        return AttestationProblem(file, line, rid if isinstance(rid, str) else None, what)

    rid = node.get("id")
    status = node.get("status")
    if status in (None, "") and not node.get("owner"):
        return None  # not answered yet
    if not isinstance(rid, str) or rid not in model.requirements:
        return bad(f"unknown requirement id {rid!r} (see `cnsmm model`)", "id")
    if status not in ATTESTABLE:
        return bad(f"status {status!r} (expected one of {', '.join(ATTESTABLE)})", "status")
    owner = node.get("owner")
    if not isinstance(owner, str) or not owner.strip():
        return bad("no owner (expected the person or team answerable for it)", "owner")
    date = _date(node.get("date"))
    if date is None:
        return bad(f"date {node.get('date')!r} is not an ISO date (expected YYYY-MM-DD)", "date")
    if date > today:
        return bad(f"date {date.isoformat()} is in the future", "date")
    raw_exp = node.get("expires")
    expires = _date(raw_exp) if raw_exp not in (None, "") else date + DEFAULT_VALIDITY
    if expires is None:
        return bad(f"expires {raw_exp!r} is not an ISO date (expected YYYY-MM-DD)", "expires")
    if expires < today:
        return bad(f"expired on {expires.isoformat()}; renew the answer", "expires")
    links = node.get("evidence") or []
    if isinstance(links, str):
        links = [links]
    if not isinstance(links, list) or not all(isinstance(x, str) for x in links):
        return bad("evidence must be a list of links", "evidence")
    if status in (Verdict.MET, Verdict.PARTIAL) and not links:
        return bad(f"status {status} needs at least one evidence link", "evidence")
    note = node.get("note") or ""
    if status == Verdict.NOT_APPLICABLE and not str(note).strip():
        return bad("not-applicable needs a note saying why", "note")
    explicit = raw_exp not in (None, "")
    return Attestation(
        rid,
        status,
        owner.strip(),
        date,
        file,
        node.line,
        tuple(links),
        expires if explicit else None,
        str(note),
    )


def parse_attestations(
    text: str, file: str, model: Model, today: dt.date
) -> tuple[list[Attestation], list[AttestationProblem]]:
    """Parse an attestation file's text; bad answers become problems and do not count."""
    docs, problems = load_yaml(text)
    out: list[Attestation] = []
    issues = [AttestationProblem(file, p.line, None, f"invalid YAML: {p.message}", True)
              for p in problems]
    if not docs:
        return out, issues or [AttestationProblem(file, 1, None, "empty file (expected `attestations:`)", True)]
    root = docs[0].value
    items = root.get("attestations") if isinstance(root, YMap) else None
    if not isinstance(items, YList):
        line = root.line if isinstance(root, YMap) else 1
        return out, [
            *issues,
            AttestationProblem(file, line, None, "expected a mapping with an `attestations:` list", True),
        ]
    seen: dict[str, Attestation] = {}
    for i, node in enumerate(items):
        if not isinstance(node, YMap):
            issues.append(AttestationProblem(file, items.item_lines[i], None, "answer is not a mapping"))
            continue
        result = _entry(node, file, model, today)
        if isinstance(result, AttestationProblem):
            issues.append(result)
        elif result is not None:
            if result.requirement in seen:
                first = seen[result.requirement]
                issues.append(
                    AttestationProblem(
                        file,
                        result.line,
                        result.requirement,
                        f"answered twice (also at line {first.line}); the later date counts",
                    )
                )
            seen[result.requirement] = result
            out.append(result)
    return out, issues


def load_attestations(path: str, model: Model, today: dt.date) -> tuple[list[Attestation], list[AttestationProblem]]:
    """Read and parse an attestation file; unreadable files become a problem, never an exception."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        return [], [AttestationProblem(path, 0, None, f"cannot read: {exc.strerror}")]
    if len(raw) > _MAX_BYTES:
        return [], [AttestationProblem(path, 0, None, f"file is {len(raw)} bytes (max {_MAX_BYTES})")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return [], [AttestationProblem(path, 0, None, "not UTF-8 text")]
    return parse_attestations(text, path, model, today)


_ANSWER_KEYS = ("status", "owner", "evidence", "date", "expires", "note")


def existing_answers(text: str) -> dict[str, dict[str, Any]]:
    """Answers given in an earlier questionnaire (entries with a status or an owner), by id."""
    docs, _ = load_yaml(text)
    root = docs[0].value if docs else None
    entries = root.get("attestations") if isinstance(root, YMap) else None
    out: dict[str, dict[str, Any]] = {}
    for node in entries if isinstance(entries, YList) else []:
        if isinstance(node, YMap) and isinstance(node.get("id"), str) and (node.get("status") or node.get("owner")):
            out[node["id"]] = {k: node.get(k) for k in _ANSWER_KEYS}
    return out


def _scalar(value: Any) -> str:
    if value is None or value == "":
        return '""'
    if isinstance(value, dt.date):
        return value.isoformat()
    return json.dumps(str(value), ensure_ascii=False)


def _answer_lines(rid: str, answer: dict[str, Any]) -> list[str]:
    links = answer.get("evidence") or []
    if isinstance(links, str):
        links = [links]
    return [
        f"  - id: {rid}",
        f"    status: {answer.get('status') or ''}".rstrip(),
        f"    owner: {_scalar(answer.get('owner'))}",
        f"    evidence: [{', '.join(_scalar(x) for x in links if isinstance(x, (str, int, float)))}]",
        f"    date: {_scalar(answer.get('date'))}",
        f"    expires: {_scalar(answer.get('expires'))}",
        f"    note: {_scalar(answer.get('note'))}",
    ]


def _evidence_hint(model: Model, paths: EvidencePaths, rid: str, zh: bool) -> str:
    p = paths.of(rid)
    auto = []
    if p.rules:
        auto.append(("规则 " if zh else "rules ") + ", ".join(p.rules[:4]))
    if p.detectors:
        auto.append(("组件 " if zh else "components ") + ", ".join(d.name for d in p.detectors[:3]))
    if p.reports:
        auto.append(("报告 " if zh else "reports ") + "/".join(k for k, _ in p.reports))
    if p.pipeline:
        auto.append(("流水线 " if zh else "pipeline ") + "/".join(c for c, _ in p.pipeline))
    if zh:
        base = "证据：能说明该特征已落实的文档、工单、报告或仪表盘链接"
        return base + (f"；或由 cnsmm 自动取证（{'；'.join(auto)}）" if auto else "")
    base = "evidence: a link to the document, ticket, report or dashboard that shows it is in place"
    return base + (f"; or let cnsmm see it ({'; '.join(auto)})" if auto else "")


def questionnaire(
    model: Model, paths: EvidencePaths, lang: str, today: dt.date, existing: str | None = None,
    open_questions: Iterable[str] = (),
) -> str:
    """An attestation file to fill in: every requirement that no automated evidence can make met.

    Each question says which level characteristic of which sub-item it proves, what counts as
    evidence and shows an example answer. With ``existing`` (the text of an earlier file) the
    answers given there are kept, new questions are added, and answers for ids the model no
    longer has are kept and flagged. ``open_questions`` (the requirements an assessment found
    no evidence for, :func:`open_questions_of`) are asked too.
    """
    extra = set(open_questions)
    zh = lang == "zh"
    answers = existing_answers(existing) if existing else {}
    head = (
        "# cnsmm 声明问卷：以下要求无法从文件自动取证，请逐项回答。\n"
        "# status: met | partial | not-met | not-applicable；met/partial 需提供证据链接，\n"
        "# not-applicable 需在 note 中说明原因；expires 缺省为 date 之后一年。留空的条目不计入。\n"
        "# 再次运行 `cnsmm attest init -o 本文件` 会保留已填写的答案并加入新问题；\n"
        "# `cnsmm attest check 本文件` 检查答案。\n"
        if zh
        else "# cnsmm attestation questionnaire: requirements no file can evidence; answer each.\n"
        "# status: met | partial | not-met | not-applicable; met/partial need an evidence link,\n"
        "# not-applicable needs a note saying why; expires defaults to one year after date.\n"
        "# Entries left blank do not count. Re-running `cnsmm attest init -o THIS_FILE` keeps the\n"
        "# answers given and adds new questions; `cnsmm attest check THIS_FILE` validates them.\n"
    )
    example = (
        f"# {'示例答案' if zh else 'Example answer'}:\n"
        "#  - id: DEV.REQ.L1.1\n#    status: met\n#    owner: appsec-team\n"
        "#    evidence: [https://wiki.example.com/security/requirements-checklist]\n"
        f"#    date: {today.isoformat()}\n#    expires: \"\"\n#    note: \"\""
    )
    lines = [head.rstrip("\n"), f"# model {model.version}, {today.isoformat()}", example, "", "attestations:"]
    asked: set[str] = set()
    for domain in model.domains:
        for sub in domain.sub_items:
            todo = [r for r in sub.requirements if not paths.of(r.id).can_meet or r.id in answers or r.id in extra]
            if not todo:
                continue
            lines.append(f"  # ── {sub.id} {sub.name.get(lang)} ({domain.name.get(lang)})")
            for req in todo:
                asked.add(req.id)
                names = ", ".join(f"{model.practices[p].name.get(lang)} ({p})" for p in req.practices)
                label = "实践项" if zh else "practice"
                proves = (
                    f"证明 {sub.name.get(lang)} 的 L{req.level} 关键特征：{req.text.get(lang)}"
                    if zh
                    else f"proves the L{req.level} characteristic of {sub.name.get(lang)}: {req.text.get(lang)}"
                )
                lines += [
                    f"  # [{req.id}] {proves} — {label}: {names}",
                    f"  #   {_evidence_hint(model, paths, req.id, zh)}",
                ]
                if req.id in extra and paths.of(req.id).can_meet:
                    lines.append(
                        "  #   评估中尚无任何证据（待回答的问题）" if zh
                        else "  #   open in the assessment: no evidence was found for it"
                    )
                if req.id in answers:
                    lines += _answer_lines(req.id, answers[req.id])
                    continue
                lines += [
                    f"  - id: {req.id}",
                    "    status:",
                    '    owner: ""',
                    "    evidence: []",
                    f'    date: ""        # {"例如" if zh else "e.g."} {today.isoformat()}',
                    '    expires: ""',
                    '    note: ""',
                ]
    removed = [rid for rid in answers if rid not in model.requirements]
    if removed:
        lines.append(
            "  # ── 模型中已没有这些要求（已删除或拼写错误）：这些答案不计入"
            if zh
            else "  # ── not in the model (removed or mistyped): these answers do not count"
        )
        for rid in removed:
            lines += [f"  # REMOVED: {rid}", *_answer_lines(rid, answers[rid])]
    return "\n".join(lines) + "\n"


def open_questions_of(text: str, source: str) -> list[str]:
    """The requirement ids an assessment (``cnsmm assess --format json`` output) found no evidence
    for. Raises ``ValueError`` naming ``source`` when the text is not such an assessment."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"{source}: not JSON ({exc})") from None
    reqs = data.get("requirements") if isinstance(data, dict) else None
    if not isinstance(reqs, list) or data.get("tool") != "cnsmm":
        raise ValueError(f"{source}: not a cnsmm assessment (expected the output of `cnsmm assess --format json`)")
    return open_questions(reqs)


def open_questions(requirements: Any) -> list[str]:
    """The ids of the requirements of an assessment's JSON ``requirements`` list whose status is
    unknown (no evidence either way); [] for anything that is not such a list."""
    if not isinstance(requirements, list):
        return []
    return [
        r["id"] for r in requirements
        if isinstance(r, dict) and r.get("status") == Verdict.UNKNOWN and isinstance(r.get("id"), str)
    ]


def check_report(path: str, model: Model, paths: EvidencePaths, today: dt.date, soon_days: int = 30) -> tuple[str, int]:
    """``cnsmm attest check``: problems (expired, malformed, unknown ids), answers expiring within
    ``soon_days``, and questions still open. Returns the text and the number of problems."""
    good, problems = load_attestations(path, model, today)
    answered = {a.requirement for a in good}
    open_q = [r for r in model.requirements if not paths.of(r).can_meet and r not in answered]
    soon = [a for a in good if (a.expires or a.date + DEFAULT_VALIDITY) <= today + dt.timedelta(days=soon_days)]
    out = [f"{path}: {len(good)} valid answer(s), {len(problems)} problem(s), {len(open_q)} open question(s)"]
    out += [f"problem: {p.display()}" for p in problems]
    for a in soon:
        until = (a.expires or a.date + DEFAULT_VALIDITY).isoformat()
        out.append(f"expires soon: {a.display()}: {a.requirement} on {until}; renew the answer")
    if open_q:
        shown = ", ".join(open_q[:30]) + (f", ... +{len(open_q) - 30}" if len(open_q) > 30 else "")
        out.append(f"open: {shown}")
    return "\n".join(out) + "\n", len(problems)
