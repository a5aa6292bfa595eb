"""The pre-commit hooks for real: `pre-commit try-repo` installs cnsmm from this repository into
its own environment (packages from the package index) and runs the hooks on the staged files of
a temporary git repository holding a good and a bad manifest."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from tests.conftest import REPO

GOOD_MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      automountServiceAccountToken: false
      securityContext: {runAsNonRoot: true, runAsUser: 10001, seccompProfile: {type: RuntimeDefault}}
      containers:
        - name: api
          image: registry.example.com/shop/api:1.4.2
          securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
          resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {cpu: 500m, memory: 256Mi}}
"""
BAD_MANIFEST = """\
apiVersion: v1
kind: Pod
metadata: {name: debug, namespace: shop}
spec:
  hostNetwork: true
  containers:
    - name: shell
      image: busybox
      securityContext: {privileged: true}
"""
GOOD_DOCKERFILE = """\
FROM python:3.12-slim
WORKDIR /app
COPY app/ ./app/
USER 10001
CMD ["python", "-m", "app"]
"""
BAD_DOCKERFILE = "FROM ubuntu\nRUN curl -k https://get.example.com/install.sh | sh\n"
GOOD_PIPELINE = "test:\n  image: python:3.12-slim\n  script:\n    - python -m pytest\n"


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)


def _init(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    _git(path, "init", "-q", "-b", "main")
    _git(path, "config", "user.email", "ci@example.com")
    _git(path, "config", "user.name", "CI")
    _git(path, "config", "commit.gpgsign", "false")
    return path


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This project's working tree (as it is now) committed to a repository of its own."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = _init(tmp_path_factory.mktemp("hooks") / "cnsmm")
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        shutil.copy2(REPO / name, repo / name)
    shutil.copytree(REPO / "src", repo / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "snapshot")
    return repo


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def _try_repo(project: Path, hook_repo: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), "--verbose"],
                          cwd=project, env=env, capture_output=True, text=True, timeout=900, check=False)


def _status(output: str, hook_name: str) -> str:
    line = next(line for line in output.splitlines() if line.startswith(hook_name))
    return line.rsplit(".", 1)[-1].strip().split(")")[-1]


def test_hooks_file_declares_the_three_hooks() -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert [h["id"] for h in hooks] == ["cnsmm-manifests", "cnsmm-dockerfiles", "cnsmm-ci"]
    assert all(h["language"] == "python" and h["entry"].startswith("cnsmm scan ") for h in hooks)
    assert all(h.get("pass_filenames", True) and h["require_serial"] for h in hooks)


def test_try_repo_passes_good_changes_and_fails_bad_ones(tmp_path: Path, hook_repo: Path,
                                                          pre_commit_home: Path) -> None:
    project = _init(tmp_path / "project")
    (project / "k8s").mkdir()
    # Committed before the hooks: never passed to them, since it does not change.
    (project / "k8s" / "legacy.yaml").write_text(BAD_MANIFEST.replace("debug", "legacy"), encoding="utf-8")
    _git(project, "add", "-A")
    _git(project, "commit", "-q", "-m", "legacy")

    (project / "k8s" / "api.yaml").write_text(GOOD_MANIFEST, encoding="utf-8")
    (project / "Dockerfile").write_text(GOOD_DOCKERFILE, encoding="utf-8")
    (project / ".gitlab-ci.yml").write_text(GOOD_PIPELINE, encoding="utf-8")
    (project / "values.yaml").write_text("replicaCount: 2\n", encoding="utf-8")  # YAML that is no manifest
    _git(project, "add", "-A")
    good = _try_repo(project, hook_repo, pre_commit_home)
    out = good.stdout + good.stderr
    assert good.returncode == 0, out[-4000:]
    for hook in ("cnsmm (Kubernetes manifests)", "cnsmm (Dockerfiles)", "cnsmm (CI pipelines)"):
        assert _status(out, hook) == "Passed", out[-4000:]
    assert "legacy" not in out

    (project / "k8s" / "debug.yaml").write_text(BAD_MANIFEST, encoding="utf-8")
    (project / "tools.Dockerfile").write_text(BAD_DOCKERFILE, encoding="utf-8")
    _git(project, "add", "-A")
    bad = _try_repo(project, hook_repo, pre_commit_home)
    out = bad.stdout + bad.stderr
    assert bad.returncode == 1, out[-4000:]
    assert _status(out, "cnsmm (Kubernetes manifests)") == "Failed"
    assert _status(out, "cnsmm (Dockerfiles)") == "Failed"
    assert _status(out, "cnsmm (CI pipelines)") == "Passed"
    assert out.count("- exit code: 1") == 2
    assert "K8S-001" in out and "K8S-003" in out and "DKR-014" in out
    assert "k8s/debug.yaml" in out and "legacy" not in out
