"""Scan orchestration: inputs in, findings, coverage and inventories out.

Files are grouped into *sets* (the folder holding them; stdin is its own set). A set is
the unit of work: its files are read, parsed and checked together, so cross-object rules
relate objects deployed together and not ten copies of a bundle in ten folders. Large
inputs are spread over worker processes, one set at a time.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from cnsmm.config import Config
from cnsmm.findings import Finding
from cnsmm.rules.base import Rule, RuleContext, Scope
from cnsmm.sources.discover import InputFile, discover, read_text
from cnsmm.sources.interface import FileAnalyzer, InputError
from cnsmm.suppress import Suppressor

Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` after each set."""


@dataclass
class RuleCoverage:
    """Which subjects (objects or files) a rule was applied to, and which failed it."""

    rule: str
    evaluated: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    @property
    def passed_share(self) -> float | None:
        """Share of evaluated subjects that passed, or None when nothing was evaluated."""
        if not self.evaluated:
            return None
        return 1 - len(self.failed) / len(self.evaluated)


@dataclass
class ScanResult:
    """Everything a scan produced."""

    findings: list[Finding] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    """Files (or parts) that were read but hold nothing to check, with the reason."""
    warnings: list[str] = field(default_factory=list)
    """Problems with suppressions (expired, no reason)."""
    coverage: dict[str, RuleCoverage] = field(default_factory=dict)
    capabilities: list[Any] = field(default_factory=list)
    """Security components detected (``cnsmm.capabilities.Detection``)."""
    pipelines: list[dict[str, Any]] = field(default_factory=list)
    """Security activities per CI pipeline file."""
    files: int = 0
    other_files: int = 0
    """Dockerfiles and pipeline files analysed."""
    objects: int = 0
    distinct_objects: int = 0
    """Objects counted once per (kind, namespace, name) across all sets."""
    sets: int = 0
    suppressed: int = 0
    baselined: int = 0
    rules_run: int = 0

    @property
    def complete(self) -> bool:
        """False when some input could not be read or parsed."""
        return not self.errors


@dataclass
class _SetOutput:
    findings: list[Finding] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    coverage: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)
    capabilities: list[Any] = field(default_factory=list)
    pipelines: list[dict[str, Any]] = field(default_factory=list)
    files: int = 0
    other_files: int = 0
    object_keys: list[str] = field(default_factory=list)
    suppressed: int = 0


def file_analyzers() -> list[FileAnalyzer]:
    """The non-Kubernetes analyzers (Dockerfiles, CI pipelines)."""
    from cnsmm.sources.dockerfile import ANALYZER as dockerfile
    from cnsmm.sources.pipelines import ANALYZER as pipeline

    return [dockerfile, pipeline]


def _enabled_rules(config: Config) -> list[Rule]:
    from cnsmm.rules import all_rules

    return [r for r in all_rules() if config.rule_enabled(r.id)]


def scan_paths(
    paths: Sequence[str],
    config: Config | None = None,
    *,
    progress: Progress | None = None,
    stdin: bytes | None = None,
) -> ScanResult:
    """Scan files and folders (``-`` reads ``stdin``) and return the result."""
    config = config or Config()
    analyzers = file_analyzers()
    files, errors = discover(paths, config.exclude, analyzers)
    if any(f.path == "-" for f in files) and stdin is None:
        stdin = sys.stdin.buffer.read()
    prepared = _render(files, config)
    files = [f for f in files if f.path not in prepared.drop]
    groups: dict[str, list[InputFile]] = defaultdict(list)
    for f in files:
        groups[f.set_name].append(f)
    result = ScanResult(errors=list(errors) + prepared.errors, sets=len(groups) + len(prepared.rendered))
    result.skipped.extend(prepared.skipped)
    result.warnings.extend(prepared.warnings)
    result.rules_run = len(_enabled_rules(config))
    jobs: list[Any] = list(groups.values()) + list(prepared.rendered)
    sizes = {id(job): _size(job) for job in jobs}
    workers = _worker_count(config, sum(sizes.values()), len(jobs))
    outputs: list[_SetOutput] = []
    if workers > 1:
        # largest sets first, so that no big set is left running alone at the end
        jobs.sort(key=lambda job: sizes[id(job)], reverse=True)
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(_scan_set, job, config, stdin) for job in jobs]
            for done, future in enumerate(futures, start=1):
                outputs.append(future.result())
                if progress:
                    progress(done, len(jobs))
    else:
        for done, job in enumerate(jobs, start=1):
            outputs.append(_scan_set(job, config, stdin))
            if progress:
                progress(done, len(jobs))
    _merge(result, outputs)
    return result


def _render(files: list[InputFile], config: Config) -> Any:
    """Build the Kustomize roots and Helm charts among ``files`` (see cnsmm.render)."""
    from cnsmm.render.session import prepare

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return prepare([f.path for f in files], config.render, config.workers or min(cores, 4))


def _size(job: Any) -> int:
    if not isinstance(job, list):
        return len(job.text)
    total = 0
    for f in job:
        with contextlib.suppress(OSError):
            total += os.path.getsize(f.path) if f.path != "-" else 0
    return total


def _worker_count(config: Config, total_bytes: int, sets: int) -> int:
    if config.workers:
        return max(1, config.workers)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if cores < 2 or sets < 4:
        return 1
    return min(cores, 4) if total_bytes > 4 * 1024 * 1024 else 1


def _merge(result: ScanResult, outputs: list[_SetOutput]) -> None:
    coverage: dict[str, RuleCoverage] = {}
    keys: set[str] = set()
    for out in outputs:
        result.findings.extend(out.findings)
        result.errors.extend(out.errors)
        result.skipped.extend(out.skipped)
        result.warnings.extend(out.warnings)
        result.capabilities.extend(out.capabilities)
        result.pipelines.extend(out.pipelines)
        result.files += out.files
        result.other_files += out.other_files
        result.objects += len(out.object_keys)
        result.suppressed += out.suppressed
        keys.update(out.object_keys)
        for rid, (evaluated, failed) in out.coverage.items():
            cov = coverage.setdefault(rid, RuleCoverage(rid))
            cov.evaluated.extend(evaluated)
            cov.failed.extend(failed)
    result.distinct_objects = len(keys)
    result.coverage = dict(sorted(coverage.items()))
    result.findings.sort(key=Finding.sort_key)
    result.errors.sort(key=lambda e: (e.file, e.line or 0))
    result.warnings = sorted(set(result.warnings))


def _scan_set(files: Any, config: Config, stdin: bytes | None) -> _SetOutput:
    """Read, parse and check one set of files, or the objects of one build (a
    :class:`cnsmm.render.Rendered`). Runs in a worker process for large scans."""
    from cnsmm.scan_k8s import K8sChecker

    out = _SetOutput()
    rules = _enabled_rules(config)
    ctx = RuleContext(dict(config.options))
    suppressor = Suppressor(config)
    checker = K8sChecker(rules, ctx, suppressor, out)
    if not isinstance(files, list):
        from cnsmm.render.session import read_file

        rendered = files
        checker.locate = lambda line: rendered.locate(line, read_file)
        checker.build = f"{rendered.build.tool}:{rendered.build.label}"
        checker.add_file(rendered.name, rendered.text)
        checker.finish(set_name=rendered.name)
        return out
    by_scope: dict[Scope, list[Rule]] = defaultdict(list)
    for r in rules:
        by_scope[r.meta.scope].append(r)
    analyzers = file_analyzers()
    for f in files:
        text, error = read_text(f.path, config.max_file_size, stdin)
        display = "<stdin>" if f.path == "-" else f.path
        if error is not None:
            out.errors.append(error)
            continue
        assert text is not None
        out.files += 1
        rel = display.replace(os.sep, "/")
        analyzer = next((a for a in analyzers if a.matches(rel)), None)
        if analyzer is None and not rel.lower().endswith((".json",)):
            analyzer = _sniff_pipeline(text)
        if analyzer is not None:
            _run_analyzer(analyzer, text, display, by_scope, ctx, suppressor, out)
            continue
        checker.add_file(display, text)
    checker.finish(set_name=files[0].set_name if files else "")
    return out


def _sniff_pipeline(text: str) -> FileAnalyzer | None:
    from cnsmm.sources import pipelines

    return pipelines.ANALYZER if pipelines.sniff(text) else None


def _run_analyzer(
    analyzer: FileAnalyzer,
    text: str,
    file: str,
    by_scope: dict[Scope, list[Rule]],
    ctx: RuleContext,
    suppressor: Suppressor,
    out: _SetOutput,
) -> None:
    scope = Scope.DOCKERFILE if analyzer.name == "dockerfile" else Scope.PIPELINE
    rules = by_scope.get(scope, [])
    report = analyzer.analyze(text, file, rules, ctx)
    out.other_files += 1
    out.errors.extend(report.errors)
    for key, entries in report.extra.items():
        if key == "pipelines":
            out.pipelines.extend(entries)
    for note in report.notes:
        out.skipped.append({"file": file, "reason": note})
    failed: set[str] = set()
    for rule, hit in report.hits:
        finding = suppressor.finding(rule, hit.message, hit.file or file, hit.line, None)
        if finding is None:
            out.suppressed += 1
            continue
        out.findings.append(finding)
        failed.add(rule.id)
    for rule in rules:
        evaluated, bad = out.coverage.setdefault(rule.id, ([], []))
        evaluated.append(file)
        if rule.id in failed:
            bad.append(file)

