"""Scan output renderers: text, JSON, SARIF 2.1.0, JUnit XML, Markdown, HTML, CSV, GitLab SAST and
GitLab Code Quality."""

from __future__ import annotations

from typing import assert_never

from cnsmm.renderers.interface import OutputFormat, Renderer, ScanReport

__all__ = ["OutputFormat", "Renderer", "ScanReport", "renderer_for"]


def renderer_for(fmt: OutputFormat) -> Renderer:
    """The renderer of an output format."""
    if fmt is OutputFormat.TEXT:
        from cnsmm.renderers.text import TextRenderer

        return TextRenderer()
    elif fmt is OutputFormat.JSON:
        from cnsmm.renderers.jsonfmt import JsonRenderer

        return JsonRenderer()
    elif fmt is OutputFormat.SARIF:
        from cnsmm.renderers.sarif import SarifRenderer

        return SarifRenderer()
    elif fmt is OutputFormat.JUNIT:
        from cnsmm.renderers.junit import JunitRenderer

        return JunitRenderer()
    elif fmt is OutputFormat.MARKDOWN:
        from cnsmm.renderers.markdown import MarkdownRenderer

        return MarkdownRenderer()
    elif fmt is OutputFormat.HTML:
        from cnsmm.renderers.html import HtmlRenderer

        return HtmlRenderer()
    elif fmt is OutputFormat.CSV:
        from cnsmm.renderers.csvfmt import CsvRenderer

        return CsvRenderer()
    elif fmt is OutputFormat.GITLAB_SAST:
        from cnsmm.renderers.gitlab import GitlabSastRenderer

        return GitlabSastRenderer()
    elif fmt is OutputFormat.GITLAB_CODEQUALITY:
        from cnsmm.renderers.gitlab import GitlabCodeQualityRenderer

        return GitlabCodeQualityRenderer()
    else:
        assert_never(fmt)
