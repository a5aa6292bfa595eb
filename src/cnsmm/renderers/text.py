"""Text for people: findings grouped by file, coloured by severity, with the fix, and a summary."""

from __future__ import annotations

import io
from collections import defaultdict

from rich.console import Console
from rich.markup import escape

from cnsmm.findings import Finding, Severity
from cnsmm.renderers.interface import Renderer, ScanReport
from cnsmm.renderers.jsonfmt import summary

STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}


class TextRenderer(Renderer):
    """Human-readable report."""

    def render(self, report: ScanReport) -> str:
        buffer = io.StringIO()
        console = Console(file=buffer, force_terminal=report.color, no_color=not report.color,
                          width=120, highlight=False, soft_wrap=True)
        r = report.result
        by_file: dict[str, list[Finding]] = defaultdict(list)
        for f in r.findings:
            by_file[f.location.file or "-"].append(f)
        for file in sorted(by_file):
            console.print(f"[bold]{escape(file)}[/bold]")
            for f in by_file[file]:
                sev = f.severity
                where = f"line {f.location.line}" if f.location.line else "-"
                res = f" {escape(f.location.resource)}" if f.location.resource else ""
                console.print(
                    f"  [{STYLE[sev]}]{sev.value.upper():8}[/] {escape(f.rule):8} {where:9}{res}: {escape(f.message)}"
                )
                if f.fix:
                    console.print(f"           [dim]fix: {escape(f.fix)}[/dim]")
            console.print()
        if r.errors:
            console.print("[bold red]Inputs that could not be read:[/bold red]")
            for e in r.errors:
                console.print(f"  {escape(e.display())}")
            console.print()
        if r.warnings:
            console.print("[bold yellow]Suppression warnings:[/bold yellow]")
            for w in r.warnings:
                console.print(f"  {escape(w)}")
            console.print()
        if report.verbose and r.skipped:
            console.print("[bold]Skipped:[/bold]")
            for skipped in r.skipped:
                console.print(f"  {escape(skipped['file'])}: {escape(skipped['reason'])}")
            console.print()
        s = summary(report)
        counts = ", ".join(
            f"[{STYLE[sev]}]{s['by_severity'][sev.value]} {sev.value}[/]"
            for sev in Severity
            if s["by_severity"][sev.value]
        )
        console.print(
            f"Scanned {s['files']} files, {s['objects']} objects ({s['distinct_objects']} distinct by "
            f"kind/namespace/name; repeats in other folders count once per folder), {s['rules']} rules."
        )
        console.print(f"Findings: {s['findings']}" + (f" ({counts})" if counts else ""))
        extra = []
        if r.suppressed:
            extra.append(f"{r.suppressed} suppressed")
        if r.baselined:
            extra.append(f"{r.baselined} in baseline")
        if r.skipped:
            extra.append(f"{len(r.skipped)} files or parts skipped" + ("" if report.verbose else " (-v lists them)"))
        if extra:
            console.print("; ".join(extra) + ".")
        if not r.complete:
            console.print(f"[bold red]Scan incomplete: {len(r.errors)} input(s) could not be read.[/bold red]")
        return buffer.getvalue()
