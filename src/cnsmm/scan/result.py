"""What a scan produces: :class:`ScanResult`, and each set's part of it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cnsmm.findings import Finding
from cnsmm.scan.engine import RuleFailure
from cnsmm.sources.interface import InputError

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
    not_evaluated: dict[str, str] = field(default_factory=dict)
    """Enabled rules that were not run because they need configuration that is missing (rule
    id to reason); they have no coverage, so nothing counts as passing them."""
    capabilities: list[Any] = field(default_factory=list)
    """Security components detected (``cnsmm.capabilities.Detection``)."""
    pipelines: list[dict[str, Any]] = field(default_factory=list)
    """Security activities per CI pipeline file."""
    files: int = 0
    builds: int = 0
    """Kustomize roots and Helm charts built; the files they consumed are not in ``files``."""
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
        """False when some input could not be read, parsed or checked."""
        return not self.errors


@dataclass
class SetOutput:
    """One set's part of the result (built in a worker process for large scans)."""

    findings: list[Finding] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    failures: dict[str, RuleFailure] = field(default_factory=dict)
    """Rules that raised, reported once per scan after merging."""
    skipped: list[dict[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    coverage: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)
    not_evaluated: dict[str, str] = field(default_factory=dict)
    capabilities: list[Any] = field(default_factory=list)
    pipelines: list[dict[str, Any]] = field(default_factory=list)
    files: int = 0
    other_files: int = 0
    object_keys: list[str] = field(default_factory=list)
    suppressed: int = 0


def merge(result: ScanResult, outputs: list[SetOutput]) -> None:
    """Add the sets' outputs to ``result``, in a stable order."""
    coverage: dict[str, RuleCoverage] = {}
    failures: dict[str, RuleFailure] = {}
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
        result.not_evaluated.update(out.not_evaluated)
        keys.update(out.object_keys)
        for rid, failure in sorted(out.failures.items()):
            if rid in failures:
                failures[rid].absorb(failure)
            else:
                failures[rid] = failure
        for rid, (evaluated, failed) in out.coverage.items():
            cov = coverage.setdefault(rid, RuleCoverage(rid))
            cov.evaluated.extend(evaluated)
            cov.failed.extend(failed)
    result.errors.extend(f.to_error() for _rid, f in sorted(failures.items()))
    result.distinct_objects = len(keys)
    result.coverage = dict(sorted(coverage.items()))
    result.not_evaluated = dict(sorted(result.not_evaluated.items()))
    result.findings.sort(key=Finding.sort_key)
    result.errors.sort(key=lambda e: (e.file, e.line or 0))
    result.warnings = sorted(set(result.warnings))
