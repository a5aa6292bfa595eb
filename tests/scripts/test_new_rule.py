"""scripts/new_rule.py in a copy of the repository: the scaffolded rule registers with the next
free id, and its fixtures pass the fixture test as they are."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import REPO, load_script

new_rule = load_script(REPO / "scripts" / "new_rule.py")


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("repo")
    shutil.copytree(REPO / "src", root / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    shutil.copytree(REPO / "tests", root / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    return root


def _run_fixture_tests(root: Path, rule_id: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
         "tests/rules/test_fixtures.py", "-k", rule_id],
        cwd=root, env=env, capture_output=True, text=True, timeout=300, check=False,
    )


@pytest.mark.slow
@pytest.mark.parametrize("group", ["k8s", "docker", "ci"])
def test_a_scaffolded_rule_registers_and_passes_its_fixtures(copy: Path, group: str) -> None:
    prefix = new_rule.GROUPS[group].prefix
    expected_id = new_rule.next_id(copy, prefix)
    assert not (REPO / "tests/fixtures/rules" / expected_id).exists()
    code = new_rule.main([group, f"example-{group}-flag", "--title", "Example flag set", "--requirement",
                          "PLT.RUN.L2.1", "--root", str(copy)])
    assert code == 0
    fixtures = copy / "tests/fixtures/rules" / expected_id
    assert (fixtures / "pass").is_dir() and (fixtures / "fail").is_dir()
    assert new_rule.next_id(copy, prefix) != expected_id  # the id is taken now
    proc = _run_fixture_tests(copy, expected_id)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "2 passed" in proc.stdout


def test_bad_requests_are_refused_with_the_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert new_rule.main(["k8s", "privileged-container", "--title", "t", "--requirement", "PLT.RUN.L2.1"]) == 2
    assert "a rule named 'privileged-container' exists already" in capsys.readouterr().err
    assert new_rule.main(["k8s", "brand-new-thing", "--title", "t", "--requirement", "PLT.RUN.L2.99"]) == 2
    assert "requirement ids ['PLT.RUN.L2.99'] are not in the model" in capsys.readouterr().err
    assert new_rule.main(["docker", "Not_Kebab", "--title", "t", "--requirement", "PLT.RUN.L2.1"]) == 2
    assert "is not kebab-case" in capsys.readouterr().err
