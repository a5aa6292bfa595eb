"""Text for people, summary first: counts by severity and the top rules, then the findings
grouped by file, rule or resource (coloured by severity, with the fix), then the inputs that
could not be read. Everything that comes from the inputs is made terminal-safe
(:func:`~cnsmm.renderers.common.printable`) and Rich-escaped."""

from __future__ import annotations

import io
from collections import defaultdict

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cnsmm.findings import Finding, Severity
from cnsmm.renderers.common import printable, shown, top_rules
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
            f"Scanned {s['files']} files, {s['objects']} objects ({s['distinct_objects']} distinct by "
            f"kind/namespace/name; repeats in other folders count once per folder), {s['rules']} rules."
        )
        extra = []
        if r.suppressed:
            extra.append(f"{r.suppressed} suppressed")
        if r.baselined:
            extra.append(f"{r.baselined} in baseline")
        if r.skipped:
            extra.append(f"{len(r.skipped)} files or parts skipped" + ("" if report.verbose else " (-v lists them)"))
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
        findings = shown(report)
        groups: dict[str, list[Finding]] = defaultdict(list)
        for f in findings:
            groups[_group_key(f, report.group_by)].append(f)
        # Groups with the most severe findings first, then by name; findings keep severity order.
        order = sorted(groups, key=lambda k: (-groups[k][0].severity.rank, k))
        for key in order:
            members = groups[key]
            if report.group_by is GroupBy.RULE:
                head = members[0]
                header = f"[bold]{_safe(key)}[/bold] {_safe(head.title)} ({len(members)})"
            else:
                header = f"[bold]{_safe(key)}[/bold] ({len(members)})"
            console.print(header)
            by_rule = report.group_by is GroupBy.RULE
            grid = Table.grid(padding=(0, 1))
            grid.add_column(no_wrap=True)
            if not by_rule:
                grid.add_column(no_wrap=True)
            grid.add_column(overflow="fold", max_width=60)
            grid.add_column(overflow="fold")
            for f in members:
                sev = f.severity
                resource = f.location.resource if report.group_by is not GroupBy.RESOURCE else None
                message = (f"{_safe(resource)}: " if resource else "") + _safe(f.message)
                if f.location.build:
                    message += f" [dim](built by {_safe(f.location.build)})[/dim]"
                lead = [f"  [{STYLE[sev]}]{sev.value.upper():8}[/]"] + ([] if by_rule else [_safe(f.rule)])
                grid.add_row(*lead, _safe(_where(f, report.group_by)), message)
                if f.fix:
                    grid.add_row(*([""] * len(lead)), "", f"[dim]fix: {_safe(f.fix)}[/dim]")
            console.print(grid)
            console.print()

    def _problems(self, console: Console, report: ScanReport) -> None:
        r = report.result
        if r.errors:
            console.print("[bold red]Inputs that could not be read:[/bold red]")
            for e in r.errors:
                console.print(f"  {_safe(e.display())}")
            console.print()
        if r.warnings and not report.quiet:
            console.print("[bold yellow]Suppression warnings:[/bold yellow]")
            for w in r.warnings:
                console.print(f"  {_safe(w)}")
            console.print()
        if report.verbose and r.skipped and not report.quiet:
            console.print("[bold]Skipped:[/bold]")
            for skipped in r.skipped:
                console.print(f"  {_safe(skipped['file'])}: {_safe(skipped['reason'])}")
            console.print()
