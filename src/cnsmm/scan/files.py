"""Non-Kubernetes files (Dockerfiles, CI pipelines): an analyzer parses, the engine checks.

:func:`check_file` is the whole path for one file: the analyzer parses the text into its
target, the :class:`~cnsmm.scan.engine.RuleEngine` runs the rules of the analyzer's scope
that target that kind of file, and the file's inline suppressions are applied.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cnsmm.config import Config
from cnsmm.rules.base import Hit, Rule, RuleContext, Scope
from cnsmm.scan.engine import RuleEngine
from cnsmm.scan.suppress import Suppressor
from cnsmm.sources.interface import FileAnalyzer, FileInput, InputError


@dataclass
class FileReport:
    """What checking one file produced."""

    hits: list[tuple[Rule, Hit]] = field(default_factory=list)
    """Hits left after inline suppressions, in rule order; each carries its line."""
    errors: list[InputError] = field(default_factory=list)
    """Parse errors, then one ``internal`` error per rule that raised."""
    extra: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Inventory data for the JSON output, by top-level key (e.g. ``pipelines``)."""
    notes: list[str] = field(default_factory=list)
    """Informational messages (shown in verbose mode and in the JSON ``skipped``)."""


def file_analyzers() -> list[FileAnalyzer]:
    """The non-Kubernetes analyzers (Dockerfiles, CI pipelines)."""
    from cnsmm.sources.dockerfile import ANALYZER as dockerfile
    from cnsmm.sources.pipelines import ANALYZER as pipeline

    return [dockerfile, pipeline]


def sibling_checker(file: str) -> Any:
    """``sibling_exists`` for a file on disk (always False for standard input)."""
    folder = os.path.dirname(file) or "."

    def exists(name: str) -> bool:
        return file != "<stdin>" and os.path.exists(os.path.join(folder, name))

    return exists


def check_file(
    analyzer: FileAnalyzer, text: str, file: str, engine: RuleEngine
) -> tuple[FileReport, list[Rule]]:
    """Parse one file with ``analyzer`` and run the engine's rules of its scope on it.

    Returns the report (hits not yet turned into findings) and the rules that ran.
    """
    parsed = analyzer.parse(FileInput(text, file, engine.ctx.options, sibling_checker(file)))
    report = FileReport(errors=list(parsed.errors), extra=parsed.extra, notes=list(parsed.notes))
    if parsed.target is None:
        return report, []
    rules = engine.rules(Scope(analyzer.scope), parsed.target_kind)
    seen: set[tuple[str, int | None]] = set()
    for rule in rules:
        hits = engine.check(rule, parsed.target, [file], file=file, where=file)
        for hit in hits or ():
            if any(mark.covers(rule.id, hit.line) for mark in parsed.suppressions):
                continue
            if parsed.one_hit_per_line:
                if (rule.id, hit.line) in seen:
                    continue
                seen.add((rule.id, hit.line))
            report.hits.append((rule, hit))
    return report, rules


def analyze_file(
    analyzer: FileAnalyzer, text: str, file: str, rules: Sequence[Rule], ctx: RuleContext | None = None
) -> FileReport:
    """Check one file's text with the given rules, outside a scan (tests, tools).

    Rules that raise become one ``internal`` error each in ``errors``.
    """
    engine = RuleEngine(rules, ctx or RuleContext(), Suppressor(Config()))
    report, _ran = check_file(analyzer, text, file, engine)
    report.errors.extend(f.to_error() for f in engine.out.failures.values())
    return report
