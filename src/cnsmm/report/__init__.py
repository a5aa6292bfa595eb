"""Assessment renderers: text (Rich), JSON, Markdown and a self-contained HTML report.

:func:`render_assessment` picks one by format name; renderers return strings and never do I/O.
"""

from __future__ import annotations

from typing import Any

from cnsmm.assess.result import Assessment
from cnsmm.model.types import Model

FORMATS: tuple[str, ...] = ("text", "json", "md", "html")
"""Output formats of `cnsmm assess`."""


def render_assessment(
    a: Assessment, model: Model, fmt: str, lang: str = "en", *, previous: dict[str, Any] | None = None
) -> str:
    """Render ``a`` as ``fmt`` in ``lang``; with ``previous`` (an earlier JSON output), add the changes."""
    from cnsmm.assess.compare import compare
    from cnsmm.report.json_out import render_json, to_dict

    data = to_dict(a, model, lang)
    if previous is not None:
        data["comparison"] = compare(previous, data)
    if fmt == "json":
        return render_json(data)
    if fmt == "md":
        from cnsmm.report.markdown import render_markdown

        return render_markdown(a, model, lang, comparison=data["comparison"])
    if fmt == "html":
        from cnsmm.report.html import render_html

        return render_html(a, model, lang, comparison=data["comparison"])
    if fmt == "text":
        from cnsmm.report.text import render_text

        return render_text(a, model, lang, comparison=data["comparison"])
    raise ValueError(f"unknown format {fmt!r} (expected one of {', '.join(FORMATS)})")
