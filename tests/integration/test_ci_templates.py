"""The GitHub Action and the GitLab CI template: cnsmm's own CI rules find nothing in them, and
their scan scripts run for real with bash against a bad manifest."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml
from tests.conftest import REPO
from tests.integration.test_scan_cli import POD, run

BIN = str(Path(sys.executable).parent)


def test_own_ci_rules_find_nothing_in_either_file(capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(REPO)
    code, out, _ = run(["scan", "action.yml", "ci/cnsmm.gitlab-ci.yml", "-f", "json", "--fail-on", "low"], capsys)
    doc = json.loads(out)
    assert code == 0 and doc["findings"] == [] and doc["complete"]
    assert sorted(p["system"] for p in doc["pipelines"]) == ["github-actions", "gitlab-ci"]


def test_action_scan_step_writes_sarif_and_exit_code(tmp_path: Path) -> None:
    action = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    assert {"paths", "fail-on", "sarif-file", "upload-url", "upload-project", "upload-token"} <= set(action["inputs"])
    step = next(s for s in action["runs"]["steps"] if s.get("id") == "scan")
    assert all("${{" not in line for line in step["run"].splitlines())  # inputs reach the shell only as env
    (tmp_path / "k8s").mkdir()
    (tmp_path / "k8s" / "pod.yaml").write_text(POD, encoding="utf-8")
    outputs = tmp_path / "github_output"
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", "GITHUB_OUTPUT": str(outputs),
           "SCAN_PATHS": "k8s", "FAIL_ON": "high", "SARIF_FILE": "out.sarif", "EXTRA_ARGS": "--min-severity high",
           "UPLOAD_URL": "", "UPLOAD_PROJECT": "", "CNSMM_TOKEN": ""}
    proc = subprocess.run(["bash", "-c", step["run"]], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 1, proc.stderr
    assert "K8S-001" in proc.stdout and "below high not shown" in proc.stdout
    sarif = json.loads((tmp_path / "out.sarif").read_text())
    assert "K8S-001" in {r["ruleId"] for r in sarif["runs"][0]["results"]}  # SARIF keeps every finding
    assert outputs.read_text().splitlines() == ["sarif-file=out.sarif", "exit-code=1"]
    env["FAIL_ON"] = "never"
    proc = subprocess.run(["bash", "-c", step["run"]], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0 and outputs.read_text().splitlines()[-1] == "exit-code=0"


def test_gitlab_job_writes_the_reports_it_declares(tmp_path: Path) -> None:
    template = yaml.safe_load((REPO / "ci" / "cnsmm.gitlab-ci.yml").read_text(encoding="utf-8"))
    job = template["cnsmm"]
    reports = job["artifacts"]["reports"]
    assert set(reports) == {"sast", "codequality", "junit"} and job["artifacts"]["when"] == "always"
    (tmp_path / "pod.yaml").write_text(POD, encoding="utf-8")
    script = job["script"][1]  # the scan, with the venv of these tests in place of the job's
    env = {**os.environ, **template["variables"], "CNSMM_FAIL_ON": "critical"}
    proc = subprocess.run(["bash", "-ec", script.replace("/tmp/cnsmm/bin/", f"{BIN}/")], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 1, proc.stderr  # the privileged container is critical
    sast = json.loads((tmp_path / reports["sast"]).read_text())
    assert sast["scan"]["type"] == "sast"
    assert "K8S-001" in {v["identifiers"][0]["value"] for v in sast["vulnerabilities"]}
    quality = json.loads((tmp_path / reports["codequality"]).read_text())
    assert any(i["check_name"] == "K8S-001" and i["severity"] == "blocker" for i in quality)
    assert (tmp_path / reports["junit"]).read_text().startswith("<?xml")
    assert set(job["artifacts"]["paths"]) == set(reports.values())
