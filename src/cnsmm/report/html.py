"""Self-contained HTML report: inline CSS, inline SVG, no network; every input string escaped.

Jinja2 autoescapes every value; the only markup not from the template is the SVG geometry,
which is made of numbers.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from cnsmm.assess.messages import source_name, status_name
from cnsmm.assess.plan import effort_by_phase, total_effort
from cnsmm.assess.result import Assessment
from cnsmm.model.types import Model
from cnsmm.report.changes import change_lines
from cnsmm.report.i18n import label, plural
from cnsmm.report.radar import radar
from cnsmm.report.verdict import because, domain_lines, plan_totals, verdict
from cnsmm.vocab import Verdict

_env: Environment | None = None


def _environment() -> Environment:
    global _env  # noqa: PLW0603 - built once
    if _env is None:
        _env = Environment(
            loader=PackageLoader("cnsmm.report", "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        _env.filters["code"] = code_spans
    return _env


def code_spans(text: str) -> Markup:
    """``text`` escaped, with Markdown code spans (`x`) shown as <code> instead of backticks."""
    parts = str(text).split("`")
    if len(parts) % 2 == 0:  # unbalanced: show the text as it is, escaped
        return escape(text)
    return Markup("").join(Markup("<code>{}</code>").format(p) if i % 2 else escape(p) for i, p in enumerate(parts))


def _next_actions(a: Assessment) -> list[Any]:
    """The first phase's actions, changes before answers (evidence against weighs more)."""
    if not a.plan:
        return []
    first = min(x.phase for x in a.plan)
    chosen = [x for x in a.plan if x.phase == first]
    return sorted(chosen, key=lambda x: x.kind == "provide-attestation")[:4]


def _trend(a: Assessment, model: Model, lang: str, comparison: dict[str, Any] | None) -> Any:
    """Overall and domain levels of the previous assessment (``--compare``) and this one."""
    if not comparison:
        return None
    from cnsmm.report.trend import trend

    before = {c["id"]: c["from"] for c in comparison.get("domains") or []}
    previous = str(comparison.get("previous_generated_at") or "")[:10] or label("previous", lang)
    series = [(label("overall", lang), [int(comparison["overall"]["from"]), a.overall.level])]
    series += [
        (f"{d.id} {model.domain(d.id).name.get(lang)}", [int(before.get(d.id, d.level)), d.level])
        for d in a.domains.values()
    ]
    return trend([previous, a.generated_at.date().isoformat()], series)


def _phase_effort(a: Assessment) -> tuple[float, int]:
    """Effort and number of actions of the first phase of the plan."""
    phases = effort_by_phase(a.plan)
    return (phases[0].effort, phases[0].actions) if phases else (0.0, 0)


def render_html(a: Assessment, model: Model, lang: str = "en", comparison: dict[str, Any] | None = None) -> str:
    """The full HTML report in ``lang``."""
    domains = list(a.domains.values())
    v = verdict(a)
    chart = radar(
        [d.id for d in domains],
        [d.level for d in domains],
        [d.score for d in domains],
        [d.target or 0 for d in domains],
        titles=[f"{d.id} {model.domain(d.id).name.get(lang)}" for d in domains],
    )
    return (
        _environment()
        .get_template("assessment.html.j2")
        .render(
            a=a,
            model=model,
            lang=lang,
            L=lambda key, **kw: label(key, lang, **kw),
            status=lambda s: status_name(s).get(lang),
            source=lambda s: source_name(s).get(lang),
            chart=chart,
            counts=a.status_counts(),
            changes=change_lines(comparison, lang),
            actions={x.id: x for x in a.plan},
            P=lambda key, n: plural(key, n, lang),
            open_questions=sum(1 for r in a.requirements.values() if r.status == Verdict.UNKNOWN),
            next_actions=_next_actions(a),
            phase_effort=_phase_effort(a),
            verdict=v,
            because=because(v, lang),
            domain_lines=domain_lines(v, lang),
            plan_totals=plan_totals(a, lang),
            plan_total=label("plan_total", lang, k=plural("actions", len(a.plan), lang), n=f"{total_effort(a.plan):g}"),
            tr=_trend(a, model, lang, comparison),
            trend_title=label("trend", lang),
        )
    )
