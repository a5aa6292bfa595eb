"""Markdown for pull-request comments: a summary and the findings, escaped against injection."""

from __future__ import annotations

import re

from cnsmm.findings import Severity
from cnsmm.renderers.common import builds_phrase, shown
from cnsmm.renderers.interface import Renderer, ScanReport
from cnsmm.renderers.jsonfmt import summary

MAX_ROWS = 200
_INLINE = re.compile(r"([\\`*_{}\[\]|!~#])")
"""Characters that start inline Markdown anywhere: code, emphasis, links and images, table
cells, strikethrough, headings. Brackets escaped, no link can form, so parentheses stay."""
_BULLET = re.compile(r"^([-+])")
_ORDERED = re.compile(r"^(\d+)([.)])")


def md_escape(text: str) -> str:
    """Text from inputs as literal Markdown on one line (a table cell or a list item): HTML
    characters as entities, inline Markdown characters backslash-escaped, line breaks folded,
    and a leading list marker neutralised. Used by the scan and the assessment reports."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = " ".join(_INLINE.sub(r"\\\1", text).split())
    return _ORDERED.sub(r"\1\\\2", _BULLET.sub(r"\\\1", text))


class MarkdownRenderer(Renderer):
    """A compact report for a pull-request comment."""

    def render(self, report: ScanReport) -> str:
        r = report.result
        s = summary(report)
        lines = ["## cnsmm scan", ""]
        state = "complete" if r.complete else f"**incomplete**: {len(r.errors)} input(s) could not be read"
        lines.append(
            f"{s['files']} files{builds_phrase(s['builds'])}, "
            f"{s['objects']} objects ({s['distinct_objects']} distinct), "
            f"{s['rules']} rules; scan {state}."
        )
        lines += ["", "| Severity | Findings |", "|---|---:|"]
        lines += [f"| {sev.value} | {s['by_severity'][sev.value]} |" for sev in Severity]
        if r.suppressed or r.baselined:
            lines += ["", f"Suppressed: {r.suppressed}; in baseline: {r.baselined}."]
        ordered = shown(report)
        if len(ordered) < len(r.findings):
            lines += ["", f"{len(r.findings) - len(ordered)} finding(s) below {report.min_severity.value} not listed."]
        if ordered:
            lines += ["", "| Severity | Rule | Location | Resource | Message |", "|---|---|---|---|---|"]
            for f in ordered[:MAX_ROWS]:
                lines.append(
                    f"| {f.severity.value} | {md_escape(f.rule)} | {md_escape(f.location.display())} | "
                    f"{md_escape(f.location.resource or '')} | {md_escape(f.message)} |"
                )
            if len(ordered) > MAX_ROWS:
                lines.append(f"\n{len(ordered) - MAX_ROWS} more findings not shown; see the JSON or SARIF output.")
        if r.errors:
            lines += ["", "### Inputs that could not be read", ""]
            lines += [f"- {md_escape(e.display())}" for e in r.errors[:MAX_ROWS]]
        if r.warnings:
            lines += ["", "### Warnings (suppressions, rendering)", ""]
            lines += [f"- {md_escape(w)}" for w in r.warnings[:MAX_ROWS]]
        return "\n".join(lines) + "\n"
