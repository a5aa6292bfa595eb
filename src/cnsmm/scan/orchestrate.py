"""Scan orchestration: sets in, one :class:`~cnsmm.scan.result.ScanResult` out.

Large inputs are spread over worker processes, one set at a time.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from cnsmm.config import Config
from cnsmm.rules.base import Rule, RuleContext
from cnsmm.scan.budget import Clock, FileTimeout, FileTimer, timeout_message
from cnsmm.scan.engine import RuleEngine
from cnsmm.scan.files import FileReport, check_file, file_analyzers
from cnsmm.scan.k8s import K8sSet, detect_capabilities
from cnsmm.scan.rendered import render_sets
from cnsmm.scan.result import Progress, ScanResult, SetOutput, merge
from cnsmm.scan.sets import SetInput, plan_sets
from cnsmm.scan.suppress import Suppressor
from cnsmm.sources.discover import read_stdin, read_text
from cnsmm.sources.interface import FileAnalyzer, InputError
from cnsmm.vocab import InputErrorKind


def enabled_rules(config: Config) -> list[Rule]:
    """Every registered rule the configuration leaves enabled, sorted by id."""
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
    skipped: list[dict[str, str]] = []
    sets, errors = plan_sets(paths, config.exclude, file_analyzers(), skipped)
    sets, rendering = render_sets(sets, config)
    result = scan_sets(sets, config, progress=progress, stdin=stdin, errors=[*errors, *rendering.errors])
    result.builds = rendering.builds
    result.warnings.extend(rendering.warnings)
    result.skipped[:0] = [*skipped, *rendering.skipped]
    return result


def scan_sets(
    sets: Sequence[SetInput],
    config: Config | None = None,
    *,
    progress: Progress | None = None,
    stdin: bytes | None = None,
    errors: Sequence[Any] = (),
) -> ScanResult:
    """Scan prepared sets (see :mod:`cnsmm.scan`); ``errors`` are earlier input errors."""
    config = config or Config()
    if stdin is None and any(f.path == "-" for s in sets for f in s.files):
        stdin = read_stdin(sys.stdin.buffer, config.max_file_size)
    jobs = list(sets)
    result = ScanResult(errors=list(errors), sets=len(jobs))
    result.rules_run = len(enabled_rules(config))
    sizes = [job.size for job in jobs]
    workers = _worker_count(config, sum(sizes), len(jobs))
    outputs: list[SetOutput] = []
    if workers > 1:
        # largest sets first, so that no big set is left running alone at the end
        order = sorted(range(len(jobs)), key=lambda i: sizes[i], reverse=True)
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(scan_set, jobs[i], config, _stdin_for(jobs[i], stdin)) for i in order]
            for done, future in enumerate(futures, start=1):
                outputs.append(future.result())
                if progress:
                    progress(done, len(jobs))
    else:
        for done, job in enumerate(jobs, start=1):
            outputs.append(scan_set(job, config, stdin))
            if progress:
                progress(done, len(jobs))
    merge(result, outputs)
    return result


def _stdin_for(job: SetInput, stdin: bytes | None) -> bytes | None:
    """Standard input only for the set that reads it (not copied to every worker job)."""
    return stdin if any(f.path == "-" for f in job.files) else None


def _worker_count(config: Config, total_bytes: int, sets: int) -> int:
    if config.workers:
        return max(1, config.workers)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if cores < 2 or sets < 4:
        return 1
    return min(cores, 4) if total_bytes > 4 * 1024 * 1024 else 1


def scan_set(job: SetInput, config: Config, stdin: bytes | None = None) -> SetOutput:
    """Read, parse and check one set. Runs in a worker process for large scans."""
    out = SetOutput(errors=list(job.errors), skipped=list(job.skipped))
    suppressor = Suppressor(config)
    clock = Clock(config.file_timeout)
    timer = FileTimer(clock)
    engine = RuleEngine(enabled_rules(config), RuleContext(dict(config.options)), suppressor, clock)
    k8s = K8sSet(job.name, engine, out.errors, out.skipped, timer)
    analyzers = file_analyzers()
    for f in job.files:
        text, error = read_text(f.path, config.max_file_size, stdin)
        display = "<stdin>" if f.path == "-" else f.path
        if error is not None:
            out.errors.append(error)
            continue
        assert text is not None
        timer.sizes[display] = len(text)
        out.files += 1
        rel = display.replace(os.sep, "/")
        analyzer = next((a for a in analyzers if a.matches(rel)), None)
        if analyzer is None and not rel.lower().endswith((".json",)):
            analyzer = _sniff_pipeline(text)
        try:
            if analyzer is not None:
                with timer.running(display):
                    report = check_file(analyzer, text, display, engine)[0]
                _report_other_file(report, display, engine, out)
            else:
                with timer.running(display):
                    k8s.add_file(display, text)
        except FileTimeout:
            out.errors.append(InputError(display, None, timeout_message(timer.budget(display)),
                                         InputErrorKind.TIMEOUT))
    k8s.add_rendered(job.rendered)
    k8s.check()
    out.object_keys = k8s.object_keys
    out.capabilities.extend(detect_capabilities(k8s.objects, k8s.releases))
    out.findings.extend(engine.out.findings)
    out.suppressed += engine.out.suppressed
    out.failures = engine.out.failures
    out.coverage = engine.out.coverage()
    out.not_evaluated = dict(engine.out.not_evaluated)
    out.warnings.extend(suppressor.warnings)
    return out


def _sniff_pipeline(text: str) -> FileAnalyzer | None:
    from cnsmm.sources import pipelines

    return pipelines.ANALYZER if pipelines.sniff(text) else None


def _report_other_file(report: FileReport, file: str, engine: RuleEngine, out: SetOutput) -> None:
    out.other_files += 1
    out.errors.extend(report.errors)
    out.pipelines.extend(report.extra.get("pipelines", []))
    for note in report.notes:
        out.skipped.append({"file": file, "reason": note})
    for rule, hit in report.hits:
        engine.emit(rule, hit.message, hit.file or file, hit.line, None, [file])
