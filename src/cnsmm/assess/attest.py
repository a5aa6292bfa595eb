"""Attestation files: signed-off answers for what no file can show, and the questionnaire.

An answer counts when it names a known requirement, a status (met, partial, not-met,
not-applicable), an owner and a valid date, is not dated in the future and has not expired
(``expires``, or one year after ``date`` when absent). ``met`` and ``partial`` answers need at
least one evidence link; ``not-applicable`` needs a note saying why. Answers left blank (the
questionnaire as written) are skipped. Everything else is reported as file:line, id, what.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from cnsmm.assess.evidence import ATTESTABLE, Attestation, AttestationProblem
from cnsmm.model.paths import EvidencePaths
from cnsmm.model.types import Model
from cnsmm.sources.yamlload import YList, YMap, load_yaml

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
    if status in ("met", "partial") and not links:
        return bad(f"status {status} needs at least one evidence link", "evidence")
    note = node.get("note") or ""
    if status == "not-applicable" and not str(note).strip():
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
    issues = [AttestationProblem(file, p.line, None, f"invalid YAML: {p.message}") for p in problems]
    if not docs:
        return out, issues or [AttestationProblem(file, 1, None, "empty file (expected `attestations:`)")]
    root = docs[0].value
    items = root.get("attestations") if isinstance(root, YMap) else None
    if not isinstance(items, YList):
        line = root.line if isinstance(root, YMap) else 1
        return out, [
            *issues,
            AttestationProblem(file, line, None, "expected a mapping with an `attestations:` list"),
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


def questionnaire(model: Model, paths: EvidencePaths, lang: str, today: dt.date) -> str:
    """An attestation file to fill in: every requirement that no automated evidence can make met."""
    zh = lang == "zh"
    head = (
        "# cnsmm 声明问卷：以下要求无法从文件自动取证，请逐项回答。\n"
        "# status: met | partial | not-met | not-applicable；met/partial 需提供证据链接，\n"
        "# not-applicable 需在 note 中说明原因；expires 缺省为 date 之后一年。留空的条目不计入。\n"
        if zh
        else "# cnsmm attestation questionnaire: requirements no file can evidence; answer each.\n"
        "# status: met | partial | not-met | not-applicable; met/partial need an evidence link,\n"
        "# not-applicable needs a note saying why; expires defaults to one year after date.\n"
        "# Entries left blank do not count.\n"
    )
    lines = [head.rstrip("\n"), f"# model {model.version}, {today.isoformat()}", "", "attestations:"]
    for domain in model.domains:
        for sub in domain.sub_items:
            todo = [r for r in sub.requirements if not paths.of(r.id).can_meet]
            if not todo:
                continue
            lines.append(f"  # ── {sub.id} {sub.name.get(lang)} ({domain.name.get(lang)})")
            for req in todo:
                names = ", ".join(f"{model.practices[p].name.get(lang)} ({p})" for p in req.practices)
                label = "实践项" if zh else "practice"
                lines += [
                    f"  # [{req.id}] L{req.level} {req.text.get(lang)} — {label}: {names}",
                    f"  - id: {req.id}",
                    "    status:",
                    '    owner: ""',
                    "    evidence: []",
                    f'    date: ""        # {"例如" if zh else "e.g."} {today.isoformat()}',
                    '    expires: ""',
                    '    note: ""',
                ]
    return "\n".join(lines) + "\n"
