"""The attestation form of the settings page: one field set per question instead of a raw
YAML box. The answers are stored as the same YAML document the command line reads."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

import yaml

from cnsmm.assess.attest import existing_answers
from cnsmm.assess.evidence import ATTESTABLE

FIELDS = ("status", "owner", "evidence", "date", "expires", "note")


@lru_cache(maxsize=2)
def _questions(lang: str) -> tuple[tuple[str, str, tuple[tuple[str, int, str, bool], ...]], ...]:
    """(sub-item id, sub-item name, ((requirement id, level, text, always asked), ...)) of every
    requirement, in model order; always asked are those no automated evidence can make met."""
    from cnsmm.assess.paths import default_paths
    from cnsmm.model import load_model

    model = load_model()
    paths = default_paths(model)
    out = []
    for domain in model.domains:
        for sub in domain.sub_items:
            reqs = tuple((r.id, r.level, r.text.get(lang), not paths.of(r.id).can_meet) for r in sub.requirements)
            out.append((sub.id, f"{sub.name.get(lang)} · {domain.name.get(lang)}", reqs))
    return tuple(out)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value)


def form_groups(text: str, lang: str, open_questions: Iterable[str] = ()) -> list[dict[str, Any]]:
    """The questions grouped by sub-item, each with the answer the stored document gives: the
    questionnaire, the open questions of the latest assessment (requirements it found no
    evidence for, though a rule or component could show them) and any requirement answered."""
    answers = existing_answers(text) if text.strip() else {}
    extra = set(open_questions)
    groups = []
    for sub_id, name, reqs in _questions(lang):
        items = []
        for rid, level, req_text, always in reqs:
            if not (always or rid in extra or rid in answers):
                continue
            given = answers.get(rid, {})
            items.append({"id": rid, "level": level, "text": req_text, "open": not always,
                          **{f: _text(given.get(f)) for f in FIELDS}})
        if items:
            groups.append({"id": sub_id, "name": name, "items": items,
                           "answered": sum(1 for i in items if i["status"])})
    return groups


def text_from_form(form: Mapping[str, Any], existing: str) -> str:
    """The attestation document: the answers of the form's questions (``status.<id>`` etc.),
    and every answer of ``existing`` for a requirement the form does not ask about."""
    asked = [str(v) for v in (form.getlist("q") if hasattr(form, "getlist") else form.get("q", []))]
    kept = existing_answers(existing) if existing.strip() else {}
    entries: list[dict[str, Any]] = []
    for rid, ans in kept.items():
        if rid not in asked:
            entries.append({"id": rid, **{k: v for k, v in ans.items() if v not in (None, "")}})
    for rid in asked:
        status = str(form.get(f"status.{rid}", "")).strip()
        if not status:
            continue
        if status not in ATTESTABLE:
            raise ValueError(f"{rid}: status {status!r} (expected one of {', '.join(ATTESTABLE)})")
        entry: dict[str, Any] = {"id": rid, "status": status}
        for key in ("owner", "date", "expires", "note"):
            value = str(form.get(f"{key}.{rid}", "")).strip()
            if value:
                entry[key] = value
        links = str(form.get(f"evidence.{rid}", "")).split()
        if links:
            entry["evidence"] = links
        entries.append(entry)
    head = "# Attestations, edited with the form of the settings page.\n"
    return head + yaml.safe_dump({"attestations": entries}, allow_unicode=True, sort_keys=False)
