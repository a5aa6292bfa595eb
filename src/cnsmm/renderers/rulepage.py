"""A rule's docs page for the terminal: its Markdown rendered by Rich (headings, emphasis,
code blocks), wrapped at the terminal width."""

from __future__ import annotations

import io

from rich.console import Console
from rich.markdown import Markdown

from cnsmm.rules.base import RuleMeta
from cnsmm.rules.docs import rule_markdown


def render_rule_page(meta: RuleMeta, *, width: int | None = None, color: bool = False) -> str:
    """The page of ``meta`` as terminal text (ANSI styles with ``color``)."""
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=color, no_color=not color, width=width or 100,
                      highlight=False, emoji=False)
    console.print(Markdown(rule_markdown(meta), code_theme="ansi_dark" if color else "default"))
    return "".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines())
