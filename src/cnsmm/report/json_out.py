"""The assessment as a JSON-ready dict (schema in docs/assessment.md) and as JSON text."""

from __future__ import annotations

import json
import math
from typing import Any

from cnsmm import __version__
from cnsmm.assess.plan import effort_by_phase, total_effort
from cnsmm.assess.result import SCHEMA_VERSION, Assessment, EvidenceItem, RequirementResult
from cnsmm.model.types import Model
from cnsmm.vocab import Verdict


def _item(item: EvidenceItem, lang: str) -> dict[str, Any]:
    return {
        "source": item.source,
        "verdict": item.verdict,
        "ref": item.ref,
        "text": item.text.get(lang),
        "where": list(item.where),
        "accepted_exception": item.accepted_exception,
    }


def _req(model: Model, r: RequirementResult, lang: str) -> dict[str, Any]:
    req = model.requirements[r.id]
    return {
        "id": r.id,
        "level": r.level,
        "sub_item": req.sub_item,
        "practices": list(req.practices),
        "text": req.text.get(lang),
        "status": r.status,
        "rating": r.rating,
        "weighted_share": None if r.weighted is None else math.floor(r.weighted * 1000) / 10,
        "critical_failures": list(r.blocking),
        "summary": r.summary.get(lang),
        "coverage": {"passing": r.coverage[0], "evaluated": r.coverage[1]} if r.coverage else None,
        "automated": r.automated,
        "attested": r.attested,
        "disagreement": r.disagreement.get(lang) if r.disagreement else None,
        "evidence": [_item(i, lang) for i in r.evidence],
        "settle": [t.get(lang) for t in r.settle],
    }


def to_dict(a: Assessment, model: Model, lang: str = "en", comparison: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every part of the assessment, texts in ``lang``; ids are the model's stable ids."""
    o = a.options
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": "cnsmm",
        "tool_version": __version__,
        "model_version": a.model_version,
        "generated_at": a.generated_at.isoformat(timespec="seconds"),
        "lang": lang,
        "options": {
            "threshold": o.threshold,
            "report_max_age_days": o.report_max_age_days,
            "level_mode": o.level_mode,
            "level_share": o.level_share,
            "target": {"overall": o.target.overall, "domains": dict(o.target.domains)},
        },
        "overall": {
            "level": a.overall.level,
            "score": a.overall.score,
            "target": a.overall.target,
            "coverage": a.overall.coverage,
            "level_if_answered": a.overall.level_if_answered,
            "blockers": list(a.overall.blockers),
            "open_questions": sum(1 for r in a.requirements.values() if r.status == Verdict.UNKNOWN),
        },
        "domains": [
            {
                "id": d.id,
                "name": model.domain(d.id).name.get(lang),
                "level": d.level,
                "score": d.score,
                "target": d.target,
                "coverage": d.coverage,
                "level_if_answered": d.level_if_answered,
                "blockers": list(d.blockers),
            }
            for d in a.domains.values()
        ],
        "sub_items": [
            {
                "id": s.id,
                "domain": model.sub_items[s.id].domain,
                "name": model.sub_items[s.id].name.get(lang),
                "level": s.level,
                "score": s.score,
                "target": s.target,
                "coverage": s.coverage,
                "level_if_answered": s.level_if_answered,
                "blockers": list(s.blockers),
            }
            for s in a.sub_items.values()
        ],
        "practices": [
            {
                "id": p.id,
                "sub_item": model.practices[p.id].sub_item,
                "name": model.practices[p.id].name.get(lang),
                "level": p.level,
                "progress": p.progress,
                "score": p.score,
                "fallback_levels": list(p.fallback_levels),
                "blockers": list(p.blockers),
            }
            for p in a.practices.values()
        ],
        "requirements": [_req(model, r, lang) for r in a.requirements.values()],
        "gaps": [
            {
                "practice": g.practice,
                "level": g.level,
                "target": g.target,
                "missing": list(g.missing),
                "actions": list(g.actions),
            }
            for g in a.gaps
        ],
        "plan": [
            {
                "id": x.id,
                "kind": x.kind,
                "phase": x.phase,
                "effort_days": x.effort,
                "requirements": list(x.requirements),
                "practices": list(x.practices),
                "text": x.text.get(lang),
                "detail": list(x.detail),
            }
            for x in a.plan
        ],
        "plan_summary": {
            "actions": len(a.plan),
            "effort_days": total_effort(a.plan),
            "phases": [
                {"phase": p.phase, "actions": p.actions, "effort_days": p.effort} for p in effort_by_phase(a.plan)
            ],
        },
        "disagreements": [
            {
                "requirement": r.id,
                "automated": r.automated,
                "attested": r.attested,
                "text": r.disagreement.get(lang),
            }
            for r in a.requirements.values()
            if r.disagreement
        ],
        "inputs": a.inputs,
        "comparison": comparison,
    }


def render_json(data: dict[str, Any]) -> str:
    """Indented JSON text, non-ASCII kept readable."""
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
