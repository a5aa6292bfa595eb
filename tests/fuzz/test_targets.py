"""The fuzz targets without a fuzzing engine: every saved crasher and hang is replayed through
its target (the parser must now keep its contract on it), and every parser has a target with
seeds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cnsmm.importers import FORMATS
from cnsmm.sources.pipelines import SYSTEMS, system_for_path

from .targets import _PIPELINE_PATHS, REGRESSIONS, ROOT, targets

SAVED = [(p.parent.name, p) for p in sorted(REGRESSIONS.glob("*/*")) if p.is_file() and p.suffix != ".md"]


@pytest.mark.parametrize(("target", "path"), SAVED, ids=[f"{t}/{p.name}" for t, p in SAVED])
def test_saved_crasher_keeps_the_contract(target: str, path: Path) -> None:
    targets()[target].run(path.read_bytes())


def test_regression_folders_name_targets() -> None:
    assert SAVED, "no saved crasher: the folder moved?"
    assert {t for t, _ in SAVED} <= set(targets())


def test_every_parser_has_a_target_with_seeds() -> None:
    names = set(targets())
    assert {f"import-{fmt}" for fmt in FORMATS} <= names
    assert {"yaml", "k8s-manifest", "dockerfile", "attestations", "web-api", "web-forms", "import-detect"} <= names
    covered = {system_for_path(path) for path in _PIPELINE_PATHS.values()}
    assert set(SYSTEMS) <= covered
    for name, target in targets().items():
        assert next(iter(target.seeds()), None) is not None, f"{name} has no seed"


@pytest.mark.parametrize("name", sorted(targets()))
def test_first_seed_keeps_the_contract(name: str) -> None:
    target = targets()[name]
    for _, data in zip(range(3), target.seeds(), strict=False):
        target.run(data)


def test_only_the_documented_error_is_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    from cnsmm.errors import ReportParseError
    from cnsmm.importers import trivy_json

    def refuse(stream: object, *, source: str) -> None:
        raise ReportParseError(f"{source}: refused")

    def crash(stream: object, *, source: str) -> None:
        raise KeyError("Results")

    target = targets()["import-trivy-json"]
    monkeypatch.setattr(trivy_json, "parse", refuse)
    target.run(b"{}")
    monkeypatch.setattr(trivy_json, "parse", crash)
    with pytest.raises(KeyError):
        target.run(b"{}")


def test_runner_fuzzes_a_target(tmp_path: Path) -> None:
    pytest.importorskip("atheris")
    summary = tmp_path / "summary.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "fuzz.py"), "pipeline-renovate", "--runs", "300", "--budget", "0",
         "--work", str(tmp_path / "work"), "--summary", str(summary)],
        capture_output=True, text=True, check=False, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (outcome,) = json.loads(summary.read_text())
    assert outcome["target"] == "pipeline-renovate"
    assert outcome["executions"] >= 300
    assert outcome["failures"] == []


def test_structured_mutation_changes_the_tree_and_keeps_the_syntax() -> None:
    from .mutators import structured

    def fallback(data: bytes, max_size: int) -> bytes:
        return b"BYTES"

    seed = b'{"Results": [{"Target": "app", "Vulnerabilities": [{"VulnerabilityID": "CVE-1", "Severity": "HIGH"}]}]}'
    mutate = structured("json", fallback)
    outputs = [mutate(seed, 1 << 16, i) for i in range(200)]
    trees = [json.loads(o) for o in outputs if o != b"BYTES"]
    assert 50 < len(trees) < 150  # about half structured, half byte mutations
    assert sum(t != json.loads(seed) for t in trees) > 0.8 * len(trees)
    web = structured("json", fallback, prefix=1)
    assert all(o[:1] == b"\x05" or o == b"BYTES" for o in (web(b"\x05" + seed, 1 << 16, i) for i in range(5)))


def test_campaign_pieces_add_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("fuzz_runner", ROOT / "scripts" / "fuzz.py")
    assert spec is not None and spec.loader is not None
    runner = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "fuzz_runner", runner)
    spec.loader.exec_module(runner)
    first, second = tmp_path / "1.json", tmp_path / "2.json"
    first.write_text(json.dumps([{"target": "yaml", "executions": 1000, "seconds": 10.0, "corpus": 5, "failures": []}]))
    second.write_text(json.dumps([{"target": "yaml", "executions": 500, "seconds": 5.0, "corpus": 7,
                                   "failures": ["crash-1"]},
                                  {"target": "dockerfile", "executions": 20, "seconds": 2.0, "corpus": 1, "failures": []}]))
    lines = runner.table([str(first), str(second)]).splitlines()
    assert lines[2] == "| yaml | 1,500 | 15 | 100 | 7 | 1 |"
    assert lines[3] == "| dockerfile | 20 | 2 | 10 | 1 | 0 |"
    assert lines[4].startswith("| **all 2 targets** | **1,520** | 17 |")
