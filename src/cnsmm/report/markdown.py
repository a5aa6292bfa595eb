"""Markdown summary of an assessment."""

from __future__ import annotations

from typing import Any

from cnsmm.assess.messages import status_name
from cnsmm.assess.result import Assessment
from cnsmm.model.types import Model
from cnsmm.renderers.markdown import md_escape as md
from cnsmm.report.changes import change_lines
from cnsmm.report.i18n import label
from cnsmm.report.verdict import lines as verdict_lines
from cnsmm.report.verdict import plan_totals


def render_markdown(
    a: Assessment,
    model: Model,
    lang: str = "en",
    max_actions: int = 30,
    comparison: dict[str, Any] | None = None,
) -> str:
    """Levels per domain and practice, problems, gaps and the first plan actions."""
    out = [f"# {label('title', lang)}", ""]
    out.append(
        f"**{label('overall', lang)}: L{a.overall.level}** ({label('score', lang)} {a.overall.score:.2f}, "
        f"{label('target', lang)} L{a.overall.target}) · {label('model', lang)} {md(a.model_version)} · "
        f"{label('generated', lang)} {a.generated_at.isoformat(timespec='seconds')}"
    )
    out += [""] + [f"- {md(line)}" for line in verdict_lines(a, model, lang)]
    out += [
        "",
        f"{label('statuses', lang)}: "
        + ", ".join(f"{status_name(s).get(lang)} {n}" for s, n in a.status_counts().items()),
        "",
        f"## {label('domains', lang)}",
        "",
        "| " + " | ".join(label(k, lang) for k in ("domain", "level", "if_answered", "coverage", "score", "target"))
        + " |",
        "|---|---|---|---|---|---|",
    ]
    for d in a.domains.values():
        out.append(f"| {d.id} {md(model.domain(d.id).name.get(lang))} | L{d.level} | L{d.level_if_answered} | "
                   f"{d.coverage}% | {d.score:.2f} | L{d.target} |")
    out += [
        "",
        f"## {label('practices', lang)}",
        "",
        f"| {label('practice', lang)} | {label('level', lang)} | {label('progress', lang)} |",
        "|---|---|---|",
    ]
    for p in a.practices.values():
        out.append(f"| {p.id} {md(model.practices[p.id].name.get(lang))} | L{p.level} | {p.progress}% |")
    disagreements = [r for r in a.requirements.values() if r.disagreement]
    if disagreements:
        out += ["", f"## {label('disagreements', lang)}", ""]
        out += [f"- {r.id}: {md(r.disagreement.get(lang))}" for r in disagreements if r.disagreement]
    for key, title in (("attestation_problems", "problems"), ("input_errors", "input_errors")):
        items = a.inputs.get(key) or []
        if isinstance(items, list) and items:
            out += ["", f"## {label(title, lang)}", ""] + [f"- {md(str(i))}" for i in items[:50]]
    out += ["", f"## {label('gaps', lang)}", ""]
    if not a.gaps:
        out.append(label("no_gaps", lang))
    for g in a.gaps:
        name = md(model.practices[g.practice].name.get(lang))
        out.append(
            f"- **{g.practice} {name}** L{g.level} → L{g.target}: {label('missing', lang)} "
            f"{', '.join(g.missing)} ({', '.join(g.actions)})"
        )
    out += [
        "",
        f"## {label('plan', lang)}",
        "",
        *([md(plan_totals(a, lang)), ""] if a.plan else []),
        f"| # | {label('phase', lang)} | {label('action', lang)} | {label('effort', lang)} | "
        f"{label('requirement', lang)} |",
        "|---|---|---|---|---|",
    ]
    for x in a.plan[:max_actions]:
        out.append(f"| {x.id} | L{x.phase} | {md(x.text.get(lang))} | {x.effort:g} | {', '.join(x.requirements)} |")
    if len(a.plan) > max_actions:
        out += ["", label("more", lang, n=len(a.plan) - max_actions)]
    changes = change_lines(comparison, lang)
    if changes:
        out += ["", f"## {label('changes', lang)}", ""] + [f"- {md(c)}" for c in changes]
    return "\n".join(out) + "\n"
