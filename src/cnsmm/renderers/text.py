"""Text for people, summary first: counts by severity and the top rules, then the findings
grouped by file, rule or resource (coloured by severity, with the fix), then the inputs that
could not be read. Everything that comes from the inputs is made terminal-safe
(:func:`~cnsmm.renderers.common.printable`) and Rich-escaped."""

from __future__ import annotations

import io
from collections import defaultdict
from typing import ClassVar

from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cnsmm.findings import Finding, Severity
from cnsmm.renderers.common import builds_phrase, printable, shown, top_rules
from cnsmm.renderers.interface import GroupBy, Renderer, ScanReport
from cnsmm.renderers.jsonfmt import summary

STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}
TOP_RULES = 5
NO_WRAP_WIDTH = 100_000


def _safe(text: str | None) -> str:
    """Input text for Rich markup: control characters escaped, then markup escaped."""
    return escape(printable(text or ""))


def _counts(by_severity: dict[str, int]) -> str:
    parts = [f"[{STYLE[s]}]{by_severity[s.value]} {s.value}[/]" for s in Severity if by_severity[s.value]]
    return ", ".join(parts)


def _group_key(f: Finding, group_by: GroupBy) -> str:
    if group_by is GroupBy.RULE:
        return f.rule
    if group_by is GroupBy.RESOURCE:
        return f.location.resource or f.location.file or "-"
    return f.location.file or "-"


def _where(f: Finding, group_by: GroupBy) -> str:
    loc = f.location
    if group_by is GroupBy.FILE:
        return f"line {loc.line}" if loc.line else "-"
    return loc.display()


class _Painter:
    """ANSI styles when colour is on, plain text otherwise."""

    _SGR: ClassVar[dict[Severity, str]] = {
        Severity.CRITICAL: "1;37;41",
        Severity.HIGH: "1;31",
        Severity.MEDIUM: "33",
        Severity.LOW: "36",
        Severity.INFO: "2",
    }

    def __init__(self, color: bool) -> None:
        self.color = color

    def _sgr(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.color else text

    def severity(self, sev: Severity, text: str) -> str:
        return self._sgr(self._SGR[sev], text)

    def bold(self, text: str) -> str:
        return self._sgr("1", text)

    def dim(self, text: str) -> str:
        return self._sgr("2", text)


def _hang(lead: str, indent: int, text: str, width: int | None, plain_len: int | None = None) -> list[str]:
    """``lead`` then ``text`` wrapped between words at ``width`` columns, continuation lines
    indented by ``indent``; a word longer than the room is kept whole on its own line. Without a
    width, one line. ``text`` may carry ANSI styles around it (``plain_len`` is then its length)."""
    if width is None or indent + (plain_len if plain_len is not None else cell_len(text)) <= width:
        return [lead + text]
    if width - indent < 30:  # too little room beside the columns: the text goes below them
        return [lead.rstrip(), *_hang(" " * 6, 6, text, width, plain_len)]
    prefix, suffix = "", ""
    if text.startswith("\x1b["):
        cut = text.index("m") + 1
        prefix, text = text[:cut], text[cut:]
        if text.endswith("\x1b[0m"):
            text, suffix = text[: -len("\x1b[0m")], "\x1b[0m"
    room = width - indent
    lines: list[str] = []
    current: list[str] = []
    used = 0
    for word in text.split(" "):
        size = cell_len(word)
        if current and used + 1 + size > room:
            lines.append(" ".join(current))
            current, used = [word], size
        else:
            used += size + (1 if current else 0)
            current.append(word)
    lines.append(" ".join(current))
    return [lead + prefix + lines[0] + suffix] + [" " * indent + prefix + line + suffix for line in lines[1:]]


class TextRenderer(Renderer):
    """Human-readable report."""

    def render(self, report: ScanReport) -> str:
        buffer = io.StringIO()
        wrap = report.width is not None
        console = Console(file=buffer, force_terminal=report.color, no_color=not report.color,
                          width=max(report.width or NO_WRAP_WIDTH, 40), highlight=False, soft_wrap=not wrap,
                          emoji=False)
        self._summary(console, report)
        if not report.quiet:
            self._findings(console, report)
        self._problems(console, report)
        lines = buffer.getvalue().splitlines()
        return "".join(line.rstrip() + "\n" for line in lines)

    def _summary(self, console: Console, report: ScanReport) -> None:
        r = report.result
        s = summary(report)
        counts = _counts(s["by_severity"])
        console.print(f"[bold]Findings: {s['findings']}[/bold]" + (f" ({counts})" if counts else ""))
        top = top_rules(r.findings, TOP_RULES)
        if top:
            console.print("Top rules:")
            grid = Table.grid(padding=(0, 1))
            grid.add_column(justify="right", no_wrap=True)
            grid.add_column(no_wrap=True)
            grid.add_column(no_wrap=True)
            grid.add_column(overflow="fold")
            for rule, sev, title, count in top:
                grid.add_row(f"  {count}", f"[{STYLE[sev]}]{sev.value}[/]", _safe(rule), _safe(title))
            console.print(grid)
        console.print(
            f"Scanned {s['files']} files{builds_phrase(s['builds'])}, "
            f"{s['objects']} objects ({s['distinct_objects']} distinct by "
            f"kind/namespace/name; repeats in other folders count once per folder), {s['rules']} rules."
        )
        extra = []
        if r.suppressed:
            extra.append(f"{r.suppressed} suppressed")
        if r.baselined:
            extra.append(f"{r.baselined} in baseline")
        if r.skipped:
            extra.append(f"{len(r.skipped)} files or parts skipped" + ("" if report.verbose else " (-v lists them)"))
        if r.not_evaluated:
            extra.append(f"not evaluated for lack of configuration: {', '.join(r.not_evaluated)}")
        if extra:
            console.print("; ".join(extra) + ".")
        hidden = len(r.findings) - len(shown(report))
        if hidden and not report.quiet:
            console.print(f"{hidden} finding(s) below {report.min_severity.value} not shown (--min-severity).")
        if not r.complete:
            console.print(
                f"[bold red]Scan incomplete: {len(r.errors)} input(s) could not be read (listed below).[/bold red]"
            )
        console.print()

    def _findings(self, console: Console, report: ScanReport) -> None:
        # Plain string building (not Rich tables): thousands of findings render in well under a second.
        findings = shown(report)
        groups: dict[str, list[Finding]] = defaultdict(list)
        for f in findings:
            groups[_group_key(f, report.group_by)].append(f)
        paint = _Painter(report.color)
        by_rule = report.group_by is GroupBy.RULE
        out: list[str] = []
        # Groups with the most severe findings first, then by name; findings keep severity order.
        for key in sorted(groups, key=lambda k: (-groups[k][0].severity.rank, k)):
            members = groups[key]
            title = f" {printable(members[0].title)}" if by_rule else ""
            out.append(f"{paint.bold(printable(key))}{title} ({len(members)})")
            rule_w = 0 if by_rule else max(cell_len(printable(f.rule)) for f in members)
            where_w = min(max(cell_len(printable(_where(f, report.group_by))) for f in members), 60)
            for f in members:
                sev = f.severity
                where = printable(_where(f, report.group_by))
                lead = "  " + paint.severity(sev, f"{sev.value.upper():8}") + " "
                lead_w = 2 + 8 + 1
                if not by_rule:
                    rule = printable(f.rule)
                    lead += rule + " " * (rule_w - cell_len(rule) + 1)
                    lead_w += rule_w + 1
                lead += where + " " * max(where_w - cell_len(where), 0) + " "
                lead_w = lead_w + max(where_w, cell_len(where)) + 1
                resource = f.location.resource if report.group_by is not GroupBy.RESOURCE else None
                message = (f"{printable(resource)}: " if resource else "") + printable(f.message)
                if f.location.build:
                    message += f" (built by {printable(f.location.build)})"
                out += _hang(lead, lead_w, message, report.width)
                if f.fix:
                    out += _hang(" " * lead_w, lead_w, paint.dim("fix: " + printable(f.fix)), report.width,
                                 plain_len=cell_len("fix: " + printable(f.fix)))
            out.append("")
        console.file.write("".join(line + "\n" for line in out))

    def _problems(self, console: Console, report: ScanReport) -> None:
        r = report.result
        if r.errors:
            console.print("[bold red]Inputs that could not be read:[/bold red]")
            for e in r.errors:
                console.print(f"  {_safe(e.display())}")
            console.print()
        if r.warnings and not report.quiet:
            console.print("[bold yellow]Warnings (suppressions, rendering):[/bold yellow]")
            for w in r.warnings:
                console.print(f"  {_safe(w)}")
            console.print()
        if report.verbose and r.skipped and not report.quiet:
            console.print("[bold]Skipped:[/bold]")
            for skipped in r.skipped:
                console.print(f"  {_safe(skipped['file'])}: {_safe(skipped['reason'])}")
            console.print()
