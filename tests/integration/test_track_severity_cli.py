"""End to end: severities cnsmm assigns where the tool gives none, and a project's overrides."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import run_cli

SAMPLE = Path(__file__).parents[1] / "importers" / "samples" / "checkov-json" / "multi-framework.json"




def _by_rule(capsys: pytest.CaptureFixture[str], db: str) -> dict[str, dict[str, object]]:
    code, out, err = run_cli(capsys, "findings", "list", "-p", "sev", "--db", db, "--format", "json")
    assert code == 0, err
    return {f["rule"]: f for f in json.loads(out)}


def test_checkov_without_severities_gets_graded_levels_and_project_overrides(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(capsys, "import", str(SAMPLE), "-p", "sev", "--db", db)
    assert code == 0, err
    found = _by_rule(capsys, db)
    levels = {rule: f["severity"] for rule, f in found.items()}
    assert levels == {"CKV_K8S_20": "high", "CKV_K8S_37": "high", "CKV_DOCKER_3": "medium", "CKV_SECRET_6": "high"}

    code, out, _ = run_cli(capsys, "findings", "show", str(found["CKV_K8S_20"]["id"]), "--db", db)
    assert "severity assigned by cnsmm (the tool gives none)" in out
    code, out, _ = run_cli(capsys, "findings", "show", str(found["CKV_K8S_37"]["id"]), "--db", db)
    assert "severity assigned by cnsmm" not in out  # the report graded this one

    # the project overrides one check; the tool's own grades are never overridden
    code, _, err = run_cli(capsys, "import", str(SAMPLE), "-p", "sev", "--db", db, "--full",
                       "--assign-severity", "ckv_k8s_20=low", "--assign-severity", "CKV_K8S_37=info")
    assert code == 0, err
    levels = {rule: f["severity"] for rule, f in _by_rule(capsys, db).items()}
    assert (levels["CKV_K8S_20"], levels["CKV_K8S_37"]) == ("low", "high")
    code, _, err = run_cli(capsys, "import", str(SAMPLE), "-p", "sev", "--db", db, "--full",
                       "--assign-severity", "CKV_K8S_20=auto")
    assert code == 0, err
    assert _by_rule(capsys, db)["CKV_K8S_20"]["severity"] == "high"

    code, _, err = run_cli(capsys, "import", str(SAMPLE), "-p", "sev", "--db", db, "--assign-severity", "CKV_K8S_20")
    assert code == 2 and "--assign-severity" in err and "RULE=SEVERITY" in err
