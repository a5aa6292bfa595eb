"""Helpers for the importer tests: sample paths and a parse-everything fixture."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from cnsmm.findings import Finding
from cnsmm.importers import ImportedReport, open_report

SAMPLES = Path(__file__).parent / "samples"

Loaded = tuple[ImportedReport, list[Finding]]


@pytest.fixture
def load() -> Callable[..., Loaded]:
    """Open a sample (path relative to samples/) and consume its findings."""

    def _load(name: str, fmt: str | None = None) -> Loaded:
        report = open_report(SAMPLES / name, format=fmt)
        return report, list(report.findings)

    return _load


def by_rule(findings: list[Finding]) -> dict[str, Finding]:
    """Findings keyed by rule id (the samples use each rule once unless a test says otherwise)."""
    return {f.rule: f for f in findings}
