"""``cnsmm org projects`` and ``cnsmm org search``: the organisation view from the command line,
on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import run_cli

DATA = Path(__file__).resolve().parent.parent / "tracking" / "data"


def test_projects_and_search_across_them(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "org", "projects", "--db", db_url)
    assert code == 0 and out == "" and "no projects" in err
    for project, files in (("org-a", ["trivy-image.json", "grype-image.json"]), ("org-b", ["grype-image.json"])):
        code, _, err = run_cli(capsys, "import", *(str(DATA / f) for f in files), "-p", project, "--db", db_url)
        assert code == 0, err

    code, out, _ = run_cli(capsys, "org", "projects", "--db", db_url, "--format", "json")
    rows = {r["project"]: r for r in json.loads(out)}
    assert (rows["org-a"]["open"], rows["org-a"]["open_by_severity"]["critical"]) == (4, 1)
    assert (rows["org-b"]["open"], rows["org-b"]["open_by_severity"]["critical"]) == (3, 0)
    code, out, _ = run_cli(capsys, "org", "projects", "--db", db_url)
    lines = out.splitlines()
    assert lines[0].split() == ["PROJECT", "CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO", "OPEN", "OVERDUE", "ACCEPTED",
                                "FIXED"]
    assert lines[1].split() == ["org-a", "1", "2", "0", "1", "0", "4", "0", "0", "0"]

    # where are we exposed? in both projects, any letter case
    code, out, _ = run_cli(capsys, "org", "search", "cve-2024-6119", "--db", db_url)
    assert code == 0 and out.splitlines()[:2] == ["org-a: 1", "org-b: 1"]
    assert "#" in out and "CVE-2024-6119" in out
    code, out, _ = run_cli(capsys, "org", "search", "CVE-2023-45853", "--db", db_url, "--format", "json")
    hits = json.loads(out)
    assert hits["counts"] == {"org-a": 1} and [f["project"] for f in hits["findings"]] == ["org-a"]

    # a fixed finding is found with --all only
    fid = hits["findings"][0]["id"]
    code, _, err = run_cli(capsys, "findings", "status", str(fid), "fixed", "--db", db_url)
    assert code == 0, err
    code, out, err = run_cli(capsys, "org", "search", "CVE-2023-45853", "--db", db_url)
    assert code == 0 and out == "" and "found in no project" in err and "--all" in err
    code, out, _ = run_cli(capsys, "org", "search", "CVE-2023-45853", "--all", "--db", db_url)
    assert out.splitlines()[0] == "org-a: 1" and "fixed" in out
