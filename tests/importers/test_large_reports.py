"""Reports with thousands of results, written by benchmarks/gen_reports.py (which the import
benchmark uses), parse completely with the expected values."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest
from tests.conftest import load_script

from cnsmm.importers import open_report

GEN = Path(__file__).resolve().parents[2] / "benchmarks" / "gen_reports.py"


@pytest.fixture(scope="module")
def gen() -> ModuleType:
    return load_script(GEN)


@pytest.mark.parametrize(("kind", "fmt", "suffix"), [("trivy", "trivy-json", ".json"), ("grype", "grype-json", ".json"),
                                                      ("sarif", "sarif", ".sarif")])
def test_generated_report_parses_whole(gen: ModuleType, tmp_path: Path, kind: str, fmt: str, suffix: str) -> None:
    path = tmp_path / f"{kind}{suffix}"
    gen.WRITERS[kind](path, 2500)
    report = open_report(path)
    findings = list(report.findings)
    assert report.format == fmt and len(findings) == 2500
    if kind == "sarif":
        assert report.tool == "semgrep" and report.tool_version == "1.95.0"
        assert len({(f.rule, f.location.file, f.location.line) for f in findings}) == 2500
        assert all(f.tool_fingerprint for f in findings)
    else:
        assert len({(f.rule, f.component, f.installed_version, f.location.file) for f in findings}) == 2500
        assert set(Counter(f.severity.value for f in findings)) >= {"critical", "high", "medium", "low", "info"}
    gen.WRITERS[kind](tmp_path / "again", 2500)
    assert (tmp_path / "again").read_bytes() == path.read_bytes()  # deterministic: a re-import sees the same
