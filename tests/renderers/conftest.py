"""Sample scans for the renderer tests: a deployment with several findings, a Dockerfile, a
GitLab pipeline, hostile names (HTML, Markdown, formulas, terminal escapes) and a broken file."""

from __future__ import annotations

from pathlib import Path

import pytest

from cnsmm.config import Config
from cnsmm.renderers import ScanReport
from cnsmm.scan import scan_paths

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx:latest
          securityContext: {privileged: true, allowPrivilegeEscalation: true}
        - name: sidecar
          image: busybox
          securityContext: {privileged: true}
"""
HOSTILE_POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: "x<script>alert(1)</script>\\u001b[31m\\u001b]0;owned\\u0007"
  namespace: apps
spec:
  containers:
    - name: "=cmd|' /C calc'!A0"
      image: nginx:1.25
      securityContext: {privileged: true}
"""
DOCKERFILE = """\
FROM python:latest
RUN curl -sSL https://example.com/install.sh | sh
COPY . /app
"""
GITLAB_CI = """\
build:
  image: docker:latest
  script:
    - curl -k https://example.com/get.sh | bash
"""


@pytest.fixture
def sample_dir(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "k8s").mkdir(parents=True)
    (root / "k8s" / "web.yaml").write_text(DEPLOYMENT, encoding="utf-8")
    (root / "k8s" / "hostile.yaml").write_text(HOSTILE_POD, encoding="utf-8")
    (root / "k8s" / "broken.yaml").write_text("kind: [\n", encoding="utf-8")
    (root / "Dockerfile").write_text(DOCKERFILE, encoding="utf-8")
    (root / ".gitlab-ci.yml").write_text(GITLAB_CI, encoding="utf-8")
    return root


@pytest.fixture
def sample_report(sample_dir: Path, monkeypatch: pytest.MonkeyPatch) -> ScanReport:
    """A scan of :func:`sample_dir` with relative paths, as a CI job runs it."""
    monkeypatch.chdir(sample_dir)
    result = scan_paths(["."], Config())
    assert result.findings and result.errors
    return ScanReport(result, ["."], "0.1.0", "high")
