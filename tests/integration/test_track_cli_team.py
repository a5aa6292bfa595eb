"""End to end through main(argv): import --scope, findings list filters and paging, bulk
status changes with a dry run, and output that is safe for terminals and spreadsheets."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from tests.conftest import run_cli
from tests.tracking.conftest import DATA


def _trivy(tmp_path: Path, name: str, keep: int, title: str | None = None) -> Path:
    report = json.loads((DATA / "trivy-image.json").read_text())
    vulns = report["Results"][0]["Vulnerabilities"][:keep]
    if title is not None:
        vulns[0]["Title"] = title
    report["Results"][0]["Vulnerabilities"] = vulns
    path = tmp_path / name
    path.write_text(json.dumps(report))
    return path


def test_explicit_scope_makes_per_run_file_names_one_stream(
    db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    first = _trivy(tmp_path, "trivy-1234.json", 3)
    code, out, err = run_cli(capsys, "import", str(first), "-p", "scoped", "--db", db, "--scope", "image:shop/web")
    assert code == 0, err
    assert "on 'image:shop/web'" in out and "(3 new," in out
    second = _trivy(tmp_path, "trivy-1235.json", 2)
    code, out, err = run_cli(capsys, "import", str(second), "-p", "scoped", "--db", db, "--scope", "image:shop/web")
    assert code == 0, err
    assert "(0 new, 2 seen again, 0 reopened, 1 closed as fixed)" in out
    # a report of another scope closes nothing of this one
    code, out, _ = run_cli(capsys, "import", str(first), "-p", "scoped", "--db", db, "--scope", "image:shop/api")
    assert "0 closed as fixed" in out
    code, _, err = run_cli(capsys, "import", str(first), "-p", "scoped", "--db", db, "--scope", "bad\x1bscope")
    assert code == 2 and "not a usable scope" in err


def test_list_filters_pages_and_bulk_status(db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    report = _trivy(tmp_path, "trivy.json", 3, title="\x1b]0;pwned\x07\x1b[2Jclear =cmd|' /C calc'!A0\rnext")
    assert run_cli(capsys, "import", str(report), "-p", "team", "--db", db)[0] == 0
    code, out, _ = run_cli(capsys, "findings", "list", "-p", "team", "--db", db, "--format", "json")
    rows = json.loads(out)
    ids = [r["id"] for r in rows]
    assert len(ids) == 3

    code, out, err = run_cli(capsys, "findings", "list", "-p", "team", "--db", db, "--limit", "2")
    assert code == 0 and "more: add --after " in err
    cursor = err.split("--after ")[1].split()[0]
    code, out2, err2 = run_cli(capsys, "findings", "list", "-p", "team", "--db", db, "--limit", "2", "--after", cursor,
                           "--format", "json")
    assert [r["id"] for r in json.loads(out2)] == ids[2:] and "more:" not in err2
    code, out, _ = run_cli(capsys, "findings", "list", "-p", "team", "--db", db)
    assert "\x1b" not in out and "\x07" not in out and "\\x1b]0;pwned" in out  # shown, not sent to the terminal
    code, shown, _ = run_cli(capsys, "findings", "show", *[str(r["id"]) for r in rows if "pwned" in r["title"]],
                         "--db", db)
    assert "\x1b" not in shown and "\\x1b[2J" in shown
    code, _, err = run_cli(capsys, "findings", "list", "-p", "team", "--db", db, "--after", "nonsense")
    assert code == 2 and "--after" in err

    rule = rows[0]["rule"]
    code, out, _ = run_cli(capsys, "findings", "list", "-p", "team", "--db", db, "--rule", rule, "--format", "json")
    assert [r["rule"] for r in json.loads(out)] == [rule]

    # a CR inside a cell is quoted, so no spreadsheet row can start with a formula
    code, out, _ = run_cli(capsys, "findings", "list", "-p", "team", "--db", db, "--format", "csv")
    for line in out.split("\r")[1:]:
        assert not line.startswith(("=", "+", "-", "@"))
    parsed = list(csv.DictReader(io.StringIO(out, newline="")))
    assert any("\rnext" in r["title"] for r in parsed)

    code, out, err = run_cli(capsys, "findings", "status", "-p", "team", "--db", db, "--severity", "critical,high",
                         "triaged", "--dry-run")
    assert code == 0 and "dry run: nothing changed" in err
    would = [int(line.split(":")[0]) for line in out.splitlines() if "-> triaged" in line]
    assert would and all(r["status"] == "open" for r in json.loads(
        run_cli(capsys, "findings", "list", "-p", "team", "--db", db, "--format", "json")[1]))
    code, out, err = run_cli(capsys, "findings", "status", *map(str, ids), "in_progress", "--db", db)
    assert code == 0, err
    assert "moved 3 of 3 finding(s) to in_progress" in err
    code, out, err = run_cli(capsys, "findings", "status", str(ids[0]), "999999", "fixed", "--db", db)
    assert code == 2 and "no finding with id 999999" in err
    code, _, err = run_cli(capsys, "findings", "status", str(ids[1]), str(ids[2]), "risk_accepted", "--db", db)
    assert code == 2 and "--approver, --reason and --expires" in err


@pytest.mark.parametrize("name", ["my project", "-shop", "shop/web", "x" * 101, "caf\u00e9\x00"])
def test_the_cli_refuses_project_names_the_service_refuses(
    name: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from cnsmm.web.api import ProjectIn

    code, _, err = run_cli(capsys, "import", str(DATA / "trivy-image.json"), "-p", name, "--db", str(tmp_path / "s.db"))
    assert code == 2 and "not a valid project name" in err
    with pytest.raises(ValueError):
        ProjectIn(name=name)
