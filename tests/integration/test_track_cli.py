"""End to end: `cnsmm import`, `cnsmm findings ...` and `cnsmm metrics` through main(argv)."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from tests.conftest import run_cli
from tests.tracking.conftest import DATA

from cnsmm.tracking.store import utcnow


def test_import_list_and_workflow(db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    owners = tmp_path / "owners.yaml"
    owners.write_text("owners:\n  - owner: team-web\n    images: ['registry.example.com/shop/*']\n")
    code, out, err = run_cli(
        capsys,
        "import",
        str(DATA / "trivy-image.json"),
        str(DATA / "grype-image.json"),
        "--project",
        "shop",
        "--db",
        db,
        "--owners",
        str(owners),
        "--sla",
        "critical=3",
    )
    assert code == 0, err
    assert "trivy-image.json: trivy on 'image:registry.example.com/shop/web'" in out
    assert "(3 new, 0 seen again, 0 reopened, 0 closed as fixed)" in out
    assert "(1 new, 2 seen again, 0 reopened, 0 closed as fixed)" in out  # Grype: 2 CVEs already known

    code, out, _ = run_cli(capsys, "findings", "list", "--project", "shop", "--db", db, "--format", "json")
    findings = json.loads(out)
    assert code == 0 and len(findings) == 4
    by_rule = {f["rule"]: f for f in findings}
    assert by_rule["CVE-2024-6119"]["tools"] == ["grype", "trivy"]
    assert by_rule["CVE-2023-45853"]["severity"] == "critical"
    assert by_rule["CVE-2023-45853"]["due"] == (utcnow().date() + timedelta(days=3)).isoformat()
    assert {f["owner"] for f in findings} == {"team-web"}

    fid = str(by_rule["CVE-2024-5535"]["id"])
    code, _, err = run_cli(capsys, "findings", "status", fid, "fixed", "--db", db, "--actor", "alice")
    assert code == 0, err
    code, _, err = run_cli(capsys, "findings", "status", fid, "triaged", "--db", db)
    assert code == 2 and "cannot go from fixed to triaged" in err
    code, _, err = run_cli(capsys, "findings", "status", fid, "open", "--db", db, "--reason", "still there")
    assert code == 0
    expires = (utcnow().date() + timedelta(days=30)).isoformat()
    code, out, err = run_cli(
        capsys,
        "findings",
        "status",
        fid,
        "risk_accepted",
        "--db",
        db,
        "--approver",
        "ciso",
        "--reason",
        "not reachable",
        "--expires",
        expires,
        "--actor",
        "alice",
    )
    assert code == 0, err
    run_cli(capsys, "findings", "assign", fid, "team-crypto", "--db", db, "--actor", "lead")
    run_cli(capsys, "findings", "comment", fid, "tracked in TICKET-42", "--db", db, "--actor", "alice")
    code, out, _ = run_cli(capsys, "findings", "show", fid, "--db", db, "--format", "json")
    shown = json.loads(out)
    assert (shown["status"], shown["owner"], shown["risk_approver"]) == ("risk_accepted", "team-crypto", "ciso")
    assert [(h["actor"], h["from"], h["to"]) for h in shown["history"]] == [
        ("alice", "open", "fixed"),
        (shown["history"][1]["actor"], "fixed", "open"),
        ("alice", "open", "risk_accepted"),
    ]
    assert shown["comments"][-1]["text"] == "tracked in TICKET-42"

    # Trivy scans again and no longer sees zlib: closed as fixed; the risk acceptance stays.
    fixed_report = json.loads((DATA / "trivy-image.json").read_text())
    fixed_report["Results"][0]["Vulnerabilities"] = fixed_report["Results"][0]["Vulnerabilities"][:2]
    rescan = tmp_path / "trivy-rescan.json"
    rescan.write_text(json.dumps(fixed_report))
    code, out, _ = run_cli(capsys, "import", str(rescan), "--project", "shop", "--db", db)
    assert "(0 new, 2 seen again, 0 reopened, 1 closed as fixed)" in out
    code, out, _ = run_cli(capsys, "findings", "list", "-p", "shop", "--db", db, "--status", "fixed", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["rule"] for r in rows] == ["CVE-2023-45853"]
    code, out, _ = run_cli(capsys, "findings", "list", "-p", "shop", "--db", db, "--tool", "grype")
    assert "CVE-2024-21538" in out and "CVE-2023-45853" not in out

    code, out, _ = run_cli(capsys, "metrics", "--project", "shop", "--db", db, "--format", "json")
    metrics = json.loads(out)
    assert metrics["fixed"] == 1 and metrics["total_open"] == 2
    code, out, _ = run_cli(capsys, "metrics", "--project", "shop", "--db", db)
    assert "SLA breaches: 0" in out and "mean time to fix:" in out


def test_malformed_report_is_named_and_nothing_is_written(
    db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    good = DATA / "trivy-image.json"
    broken = tmp_path / "broken.json"
    text = good.read_text()
    broken.write_text(text[: len(text) // 2])  # cut in the middle of the vulnerabilities
    unknown = tmp_path / "notes.json"
    unknown.write_text('{"hello": "world"}')
    code, out, err = run_cli(capsys, "import", str(broken), str(unknown), str(good), "--project", "safety", "--db", db)
    assert code == 2
    assert f"{broken}" in err and "nothing was imported from" in err
    assert f"{unknown}: unknown report format" in err
    assert "2 of 3 report(s) could not be imported" in err
    assert "trivy-image.json: trivy" in out  # the good report still went in
    code, out, _ = run_cli(capsys, "findings", "list", "--project", "safety", "--db", db, "--format", "json")
    assert len(json.loads(out)) == 3


def test_unknown_project_and_bad_options_are_clear(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "findings", "list", "--project", "nope-never", "--db", db)
    assert code == 2 and "no project named 'nope-never'" in err
    code, _, err = run_cli(capsys, "findings", "list", "--project", "x", "--db", db, "--severity", "urgent")
    assert code == 2 and "unknown severity 'urgent'" in err
    code, _, err = run_cli(capsys, "findings", "show", "99999999", "--db", db)
    assert code == 2 and "no finding with id 99999999" in err


def test_db_from_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db_file = tmp_path / "env.db"
    monkeypatch.setenv("CNSMM_DB", str(db_file))
    code, _, err = run_cli(capsys, "import", str(DATA / "grype-image.json"), "--project", "env")
    assert code == 0, err
    assert db_file.exists()
    code, out, _ = run_cli(capsys, "findings", "list", "--project", "env", "--format", "json")
    assert len(json.loads(out)) == 3
