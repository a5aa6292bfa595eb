"""Self-contained HTML report: inline CSS, inline SVG, no network; every input string escaped.

Jinja2 autoescapes every value; the only markup not from the template is the SVG geometry,
which is made of numbers.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from cnsmm.assess.messages import source_name, status_name
from cnsmm.assess.result import Assessment
from cnsmm.model.types import Model
from cnsmm.report.changes import change_lines
from cnsmm.report.i18n import label
from cnsmm.report.radar import radar

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
    return _env


def render_html(a: Assessment, model: Model, lang: str = "en", comparison: dict[str, Any] | None = None) -> str:
    """The full HTML report in ``lang``."""
    domains = list(a.domains.values())
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
        )
    )
