"""End to end: a report with a malformed item imports the others, lists the bad one with its
position, exits 3, and closes nothing as fixed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import run_cli

SAMPLE = Path(__file__).parent.parent / "importers" / "samples" / "trivy-json" / "image.json"


def test_partial_import_exit_code_errors_and_no_closing(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = str(tmp_path / "store.db")
    code, out, _ = run_cli(capsys, "import", str(SAMPLE), "-p", "shop", "--db", db)
    assert code == 0, out
    complete = json.loads(SAMPLE.read_text())
    total = sum(len(r.get("Vulnerabilities") or []) + len(r.get("Secrets") or []) for r in complete["Results"])

    broken = json.loads(SAMPLE.read_text())
    del broken["Results"][0]["Vulnerabilities"][1]["VulnerabilityID"]
    path = tmp_path / "image.json"
    path.write_text(json.dumps(broken))
    code, out, err = run_cli(capsys, "import", str(path), "-p", "shop", "--db", db)
    assert code == 3
    assert "error: image.json: /Results/0/Vulnerabilities/1 (result #1, vulnerability #2): missing VulnerabilityID" in err
    assert "PARTIAL: 1 malformed item(s) not imported" in out
    assert f": {total - 1} findings (0 new, {total - 1} seen again, 0 reopened, 0 closed as fixed" in out

    code, out, _ = run_cli(capsys, "findings", "list", "-p", "shop", "--db", db, "--status", "open", "--format", "json")
    assert code == 0
    assert len(json.loads(out)) == total  # the skipped finding stays open


def test_identical_reimport_of_a_partial_report_is_partial_again(capsys: pytest.CaptureFixture[str],
                                                                 tmp_path: Path) -> None:
    db = str(tmp_path / "store.db")
    broken = json.loads(SAMPLE.read_text())
    del broken["Results"][0]["Vulnerabilities"][1]["VulnerabilityID"]
    path = tmp_path / "image.json"
    path.write_text(json.dumps(broken))
    first = run_cli(capsys, "import", str(path), "-p", "shop", "--db", db)
    assert first[0] == 3
    # The same bytes again: read again, the same error listed, still partial (not "complete").
    code, out, err = run_cli(capsys, "import", str(path), "-p", "shop", "--db", db)
    assert code == 3, out
    assert "/Results/0/Vulnerabilities/1 (result #1, vulnerability #2): missing VulnerabilityID" in err
    assert "PARTIAL: 1 malformed item(s) not imported" in out
    # Once the report is complete, a byte-identical re-import takes the shortcut and exits 0 twice.
    path.write_text(SAMPLE.read_text())
    assert run_cli(capsys, "import", str(path), "-p", "shop", "--db", db)[0] == 0
    code, out, _ = run_cli(capsys, "import", str(path), "-p", "shop", "--db", db)
    assert code == 0 and "PARTIAL" not in out
