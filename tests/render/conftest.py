"""Helpers for the rendering tests: small Kustomize trees and charts, and the real binaries."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tests.conftest import require_service

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.25.3
"""

HARDENING_PATCH = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      securityContext:
        runAsNonRoot: true
        seccompProfile: {type: RuntimeDefault}
      containers:
        - name: web
          securityContext:
            readOnlyRootFilesystem: true
            allowPrivilegeEscalation: false
            capabilities: {drop: [ALL]}
"""


def need(binary: str) -> None:
    """Skip (fail in CI) when ``binary`` is not on PATH."""
    if shutil.which(binary) is None:
        require_service(f"`{binary}` is not on PATH")


@pytest.fixture
def base_overlay(tmp_path: Path) -> Path:
    """base/ (a Deployment without securityContext) and overlays/prod/ (a hardening patch)."""
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "deployment.yaml").write_text(DEPLOYMENT)
    (tmp_path / "base" / "kustomization.yaml").write_text("resources:\n  - deployment.yaml\n")
    prod = tmp_path / "overlays" / "prod"
    prod.mkdir(parents=True)
    (prod / "harden.yaml").write_text(HARDENING_PATCH)
    (prod / "kustomization.yaml").write_text(
        "namespace: prod\nresources:\n  - ../../base\npatches:\n  - path: harden.yaml\n"
    )
    return tmp_path
