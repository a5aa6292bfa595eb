"""Terminal summary of an assessment (Rich), returned as a string."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from cnsmm.assess.messages import status_name
from cnsmm.assess.result import Assessment
from cnsmm.model.types import Model
from cnsmm.report.changes import change_lines
from cnsmm.report.i18n import label
from cnsmm.report.verdict import lines as verdict_lines
from cnsmm.report.verdict import plan_totals


def _bar(progress: int) -> str:
    filled = progress // 10
    return "█" * filled + "░" * (10 - filled) + f" {progress}%"


def render_text(
    a: Assessment,
    model: Model,
    lang: str = "en",
    *,
    color: bool = False,
    width: int = 110,
    max_actions: int = 15,
    comparison: dict[str, Any] | None = None,
) -> str:
    """Overall and domain levels, practices, problems and the first plan actions."""
    buf = io.StringIO()
    con = Console(file=buf, width=width, force_terminal=color, no_color=not color, highlight=False)
    con.print(f"[bold]{label('title', lang)}[/bold]  ({label('model', lang)} {a.model_version})", markup=True)
    con.print(
        f"{label('overall', lang)}: [bold]L{a.overall.level}[/bold]  {label('score', lang)} "
        f"{a.overall.score:.2f}  {label('target', lang)} L{a.overall.target}"
    )
    for line in verdict_lines(a, model, lang):
        con.print(Padding(Text(line), (0, 0, 0, 2)))
    con.print(
        f"{label('statuses', lang)}: "
        + ", ".join(f"{status_name(s).get(lang)} {n}" for s, n in a.status_counts().items())
    )
    table = Table(title=label("domains", lang), show_lines=False)
    for col in ("domain", "level", "if_answered", "coverage", "score", "target"):
        table.add_column(label(col, lang))
    for d in a.domains.values():
        table.add_row(f"{d.id} {model.domain(d.id).name.get(lang)}", f"L{d.level}", f"L{d.level_if_answered}",
                      f"{d.coverage}%", f"{d.score:.2f}", f"L{d.target}")
    con.print(table)
    ptable = Table(title=label("practices", lang))
    for col in ("practice", "level", "progress"):
        ptable.add_column(label(col, lang))
    for p in a.practices.values():
        name = model.practices[p.id].name.get(lang)
        ptable.add_row(f"{p.id} {name}", f"L{p.level}", _bar(p.progress))
    con.print(ptable)
    disagreements = [r for r in a.requirements.values() if r.disagreement]
    if disagreements:
        con.print(f"[bold]{label('disagreements', lang)}[/bold]")
        for r in disagreements:
            con.print(f"  {r.id}: {r.disagreement.get(lang) if r.disagreement else ''}", markup=False)
    for key in ("attestation_problems", "input_errors"):
        items = a.inputs.get(key) or []
        if isinstance(items, list) and items:
            con.print(f"[bold]{label('problems' if key.startswith('att') else 'input_errors', lang)}[/bold]")
            for item in items[:20]:
                con.print(f"  {item}", markup=False)
    con.print(f"[bold]{label('plan', lang)}[/bold]")
    if not a.plan:
        con.print("  " + label("no_gaps", lang))
    else:
        con.print("  " + plan_totals(a, lang), markup=False)
    for x in a.plan[:max_actions]:
        con.print(
            f"  {x.id} [{label('phase', lang)} {x.phase}, {x.effort:g}d] {x.text.get(lang)} "
            f"({', '.join(x.requirements[:6])}{', ...' if len(x.requirements) > 6 else ''})",
            markup=False,
        )
    if len(a.plan) > max_actions:
        con.print("  " + label("more", lang, n=len(a.plan) - max_actions))
    changes = change_lines(comparison, lang)
    if changes:
        con.print(f"[bold]{label('changes', lang)}[/bold]")
        for line in changes:
            con.print(f"  {line}", markup=False)
    return "".join(line.rstrip() + "\n" for line in buf.getvalue().splitlines())
