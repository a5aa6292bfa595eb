"""``cnsmm scan``, ``cnsmm rules`` and ``cnsmm baseline``."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from cnsmm import __version__
from cnsmm.commands._render import apply_render, render_options
from cnsmm.commands._upload import upload_options, upload_target
from cnsmm.config import Config, load_config, parse_size
from cnsmm.errors import ConfigError, NothingScannedError, ScanFailed, ScanIncomplete
from cnsmm.findings import Severity
from cnsmm.renderers import OutputFormat, ScanReport, renderer_for
from cnsmm.renderers.common import printable
from cnsmm.renderers.interface import GroupBy
from cnsmm.rules import all_rules, get_rule
from cnsmm.rules.docs import rule_markdown, rules_json, rules_markdown
from cnsmm.scan import ScanResult, scan_paths
from cnsmm.scan.baseline import apply_baseline, load_baseline, write_baseline

FAIL_ON = [s.value for s in Severity if s is not Severity.INFO] + ["never"]


def build_config(
    config_path: str | None,
    enable: tuple[str, ...],
    disable: tuple[str, ...],
    exclude: tuple[str, ...],
    max_file_size: str | None,
    workers: int | None,
    ignore_file: str | None = None,
) -> Config:
    """The config file (if any) and the central ignore file, with command-line overrides applied."""
    known = {r.id for r in all_rules()}
    config = load_config(config_path, known, ignore_file=ignore_file)
    for rid in (*enable, *disable):
        if rid.upper() not in known:
            raise ConfigError(f"unknown rule id {rid!r} on the command line", hint="Run `cnsmm rules` to list ids")
    if enable:
        config = replace(config, only=frozenset(r.upper() for r in enable))
    if disable:
        config = replace(config, disabled=config.disabled | {r.upper() for r in disable})
    if exclude:
        config = replace(config, exclude=config.exclude + exclude)
    if max_file_size:
        config = replace(config, max_file_size=parse_size(max_file_size, "--max-file-size"))
    if workers is not None:
        config = replace(config, workers=workers)
    return config


def run_scan(paths: tuple[str, ...], config: Config, show_progress: bool) -> ScanResult:
    """Scan with a progress bar on a terminal."""
    if not show_progress:
        return scan_paths(list(paths), config)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("scanning folders"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        transient=True, console=None,
    ) as bar:
        task = bar.add_task("scan", total=None)

        def step(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return scan_paths(list(paths), config, progress=step)


def _pair_outputs(formats: tuple[str, ...], outputs: tuple[str, ...]) -> list[tuple[OutputFormat, str | None]]:
    fmts = [OutputFormat(f) for f in formats] or [OutputFormat.TEXT]
    if len(outputs) > len(fmts):
        if len(fmts) == 1 and not formats:
            fmts = [_format_from_name(o) for o in outputs]
        else:
            raise ConfigError(
                f"{len(outputs)} --output files for {len(fmts)} --format values; give one format per file"
            )
    pairs: list[tuple[OutputFormat, str | None]] = [
        (f, outputs[i] if i < len(outputs) else None) for i, f in enumerate(fmts)
    ]
    if sum(1 for _, o in pairs if o is None) > 1:
        raise ConfigError("only one format can go to standard output; add --output FILE for the others")
    return pairs


def _format_from_name(name: str) -> OutputFormat:
    suffix = Path(name).suffix.lower()
    mapping = {".json": "json", ".sarif": "sarif", ".xml": "junit", ".md": "markdown", ".txt": "text",
               ".html": "html", ".htm": "html", ".csv": "csv"}
    return OutputFormat(mapping.get(suffix, "text"))


def _text_width(output: str | None) -> int | None:
    """Columns to wrap text output at: the terminal's (``$COLUMNS`` when set) for standard
    output on a terminal, else none (one finding per line, for grep and files)."""
    import shutil

    if output is None and sys.stdout.isatty():
        return shutil.get_terminal_size().columns
    return None


def scan_context(
    paths: tuple[str, ...], config: Config, result: ScanResult
) -> tuple[dict[str, list[str]], dict[str, str | None]]:
    """What the scan covered and which checkout it ran in, for the JSON report: the tracker
    closes only findings the scan looked at and stores repository-relative paths."""
    import os

    from cnsmm.scan.orchestrate import enabled_rules
    from cnsmm.vcs import detect

    restricted = config.only is not None or bool(config.disabled)
    covered = {
        "paths": list(paths),
        "exclude": list(config.exclude),
        "unread": sorted({e.file for e in result.errors if e.file and e.file != "-"}),
        "rules": [r.id for r in enabled_rules(config)] if restricted else [],
    }
    first = next((p for p in paths if p != "-"), ".")
    vcs = detect(first)
    checkout = {"root": vcs.root, "cwd": os.getcwd(), "repository": vcs.repository, "commit": vcs.commit}
    return covered, checkout


@click.command("scan")
@click.argument("paths", nargs=-1, required=True)
@click.option("-f", "--format", "formats", multiple=True, type=click.Choice([f.value for f in OutputFormat]),
              help="Output format; repeat for several (each with its own --output, in the same order).")
@click.option("-o", "--output", "outputs", multiple=True, type=click.Path(dir_okay=False),
              help="Write the report here instead of standard output; repeatable.")
@click.option("--fail-on", type=click.Choice(FAIL_ON), default="high", show_default=True,
              help="Exit 1 when a finding is at or above this severity ('never' to always exit 0).")
@click.option("-c", "--config", "config_path", type=click.Path(dir_okay=False),
              help="Config file (default: ./cnsmm.yaml or [tool.cnsmm] in ./pyproject.toml).")
@click.option("--baseline", "baseline_path", type=click.Path(dir_okay=False),
              help="Baseline file; findings in it do not count (see `cnsmm baseline`).")
@click.option("--ignore-file", "ignore_file", type=click.Path(dir_okay=False),
              help="Central ignore file (default: ./cnsmm-ignore.yaml or ./.cnsmm-ignore.yaml if present).")
@click.option("--enable", multiple=True, metavar="RULE", help="Run only these rules (repeatable).")
@click.option("--disable", multiple=True, metavar="RULE", help="Do not run these rules (repeatable).")
@click.option("--exclude", multiple=True, metavar="GLOB", help="Skip paths matching this glob (repeatable).")
@click.option("--max-file-size", metavar="SIZE", help="Skip files larger than this (default 10MB).")
@click.option("--workers", type=click.IntRange(min=1), help="Worker processes (default: automatic).")
@click.option("--file-timeout", type=click.FloatRange(min=0), metavar="SECONDS",
              help="Skip a file, as an input error, when parsing and checking it takes more processor time "
                   "(default 30, more for files over 4 MiB; 0: no limit).")
@click.option("--group-by", type=click.Choice([g.value for g in GroupBy]), default="file", show_default=True,
              help="Text output: group findings by file, rule or Kubernetes resource.")
@click.option("--min-severity", type=click.Choice([s.value for s in Severity]), default="info", show_default=True,
              help="Text, Markdown and HTML output: show findings at or above this severity (counts, machine "
                   "formats and --fail-on still cover every finding).")
@click.option("-q", "--quiet", is_flag=True, help="Text output: the summary only (and unreadable inputs).")
@click.option("--allow-empty", is_flag=True,
              help="Exit 0, not 2, when PATHS hold no manifest, Dockerfile or pipeline (for hooks that pass "
                   "whichever files changed).")
@click.option("-v", "--verbose", is_flag=True, help="Say which config file was used; list skipped files and parts.")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a terminal).")
@render_options
@upload_options("Also send the results to a cnsmm service at URL.")
def scan_cmd(
    paths: tuple[str, ...], formats: tuple[str, ...], outputs: tuple[str, ...], fail_on: str,
    config_path: str | None, baseline_path: str | None, ignore_file: str | None, enable: tuple[str, ...],
    disable: tuple[str, ...],
    exclude: tuple[str, ...], max_file_size: str | None, workers: int | None, verbose: bool,
    progress: bool | None, upload_url: str | None, token: str | None, project: str | None,
    group_by: str = "file", min_severity: str = "info", quiet: bool = False, allow_empty: bool = False,
    render: dict[str, Any] | None = None, file_timeout: float | None = None,
) -> None:
    """Scan Kubernetes manifests, cluster dumps, Dockerfiles and CI pipelines.

    PATHS are files or folders (searched recursively); `-` reads standard input.
    Kustomize roots (kustomizations no other one uses) are built with `kustomize build` or
    `kubectl kustomize`, and Helm charts (folders with Chart.yaml) with `helm template`; the
    built objects are checked, and findings name the source file and line they come from
    (docs/rendering.md). A build that fails is an input error (exit 3).
    """
    pairs = _pair_outputs(formats, outputs)
    target = upload_target(upload_url, token, project)
    config = apply_render(build_config(config_path, enable, disable, exclude, max_file_size, workers, ignore_file),
                          render)
    if file_timeout is not None:
        config = replace(config, file_timeout=file_timeout)
    if verbose:
        click.echo(f"config: {printable(config.source)}" if config.source else
                   "config: none found (looked for cnsmm.yaml, .cnsmm.yaml and [tool.cnsmm] in pyproject.toml "
                   "from the current folder up to the repository root)", err=True)
    show = progress if progress is not None else sys.stderr.isatty()
    result = run_scan(paths, config, show)
    if baseline_path:
        result.findings, result.baselined = apply_baseline(result.findings, load_baseline(baseline_path))
    if result.objects == 0 and result.other_files == 0 and not allow_empty:
        read = f"{result.files} file(s) read" if result.files else "no candidate files found"
        if result.errors:
            read = f"{len(result.errors)} input(s) could not be read or built, listed above"
        for e in result.errors:
            click.echo(f"error: {printable(e.display())}", err=True)
        raise NothingScannedError(
            f"no Kubernetes object, Dockerfile or CI pipeline found in {', '.join(paths)} ({read})",
            hint="Check the path; manifests need .yaml, .yml or .json (any case) and apiVersion + kind",
        )
    covered, checkout = (
        scan_context(paths, config, result) if target or OutputFormat.JSON in (f for f, _ in pairs) else (None, None)
    )
    for fmt, output in pairs:
        color = output is None and fmt is OutputFormat.TEXT and sys.stdout.isatty()
        report = ScanReport(result, list(paths), __version__, fail_on, verbose=verbose, color=color,
                            group_by=GroupBy(group_by), min_severity=Severity(min_severity), quiet=quiet,
                            width=_text_width(output), covered=covered, checkout=checkout)
        text = renderer_for(fmt).render(report)
        if output:
            Path(output).write_text(text, encoding="utf-8")
        else:
            click.echo(text, nl=False)
    if target:
        from cnsmm.renderers.jsonfmt import JsonRenderer
        from cnsmm.upload import upload_report

        body = JsonRenderer().render(ScanReport(result, list(paths), __version__, fail_on, covered=covered,
                                                checkout=checkout)).encode()
        state = upload_report(target.url, target.token, target.project, body, "cnsmm-scan.json", "cnsmm-json")
        summary = state.get("result") or {}
        click.echo(f"uploaded to {target.url} ({target.project}): {summary.get('new', 0)} new, "
                   f"{summary.get('closed_fixed', 0)} closed as fixed", err=True)
    if all(o for _, o in pairs):
        click.echo(
            f"{len(result.findings)} findings, {len(result.errors)} input errors; "
            f"wrote {', '.join(o for _, o in pairs if o)}",
            err=True,
        )
    if fail_on != "never":
        threshold = Severity(fail_on)
        worst = [f for f in result.findings if f.severity.at_least(threshold)]
        if worst:
            raise ScanFailed(f"{len(worst)} finding(s) at or above {fail_on}")
    if not result.complete:
        raise ScanIncomplete(f"scan incomplete: {len(result.errors)} input(s) could not be read (listed above)")


@click.command("rules")
@click.argument("rule_id", required=False)
@click.option("-f", "--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text",
              show_default=True)
def rules_cmd(rule_id: str | None, fmt: str) -> None:
    """List the rules, or print the page of RULE_ID (rendered on a terminal, Markdown otherwise)."""
    rules = all_rules()
    if rule_id:
        rule = get_rule(rule_id)
        if rule is None:
            raise ConfigError(f"unknown rule id {rule_id!r}", hint="Run `cnsmm rules` to list ids")
        rules = [rule]
        if fmt == "text" and sys.stdout.isatty():
            from cnsmm.renderers.rulepage import render_rule_page

            click.echo(render_rule_page(rule.meta, width=_text_width(None), color=True), nl=False)
            return
        if fmt != "json":
            click.echo(rule_markdown(rule.meta), nl=False)
            return
    if fmt == "json":
        click.echo(rules_json(rules), nl=False)
    elif fmt == "markdown":
        click.echo(rules_markdown(rules), nl=False)
    else:
        for r in rules:
            click.echo(f"{r.id:8} {r.meta.severity.value:8} {r.meta.name:40} {r.meta.title}")
        click.echo(f"{len(rules)} rules; `cnsmm rules ID` shows one.")


@click.command("baseline")
@click.argument("paths", nargs=-1, required=True)
@click.option("-o", "--output", default=".cnsmm-baseline.json", show_default=True, type=click.Path(dir_okay=False))
@click.option("-c", "--config", "config_path", type=click.Path(dir_okay=False))
def baseline_cmd(paths: tuple[str, ...], output: str, config_path: str | None) -> None:
    """Record today's findings so that `cnsmm scan --baseline FILE` fails only on new ones."""
    config = build_config(config_path, (), (), (), None, None)
    result = scan_paths(list(paths), config)
    Path(output).write_text(write_baseline(result.findings), encoding="utf-8")
    click.echo(f"wrote {len(result.findings)} findings to {output}", err=True)
    if not result.complete:
        for e in result.errors:
            click.echo(f"warning: {printable(e.display())}", err=True)


COMMANDS = [scan_cmd, rules_cmd, baseline_cmd]
