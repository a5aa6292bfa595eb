"""The `render:` section of the configuration file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cnsmm.config import load_config
from cnsmm.errors import ConfigError


def test_render_settings_are_read_with_paths_expanded(tmp_path: Path) -> None:
    cfg = tmp_path / "cnsmm.yaml"
    cfg.write_text("render:\n  helm: ~/bin/helm\n  timeout: 30\n  helm_values: [a.yaml, b.yaml]\n"
                   "  helm_ci_values: true\n  cache_dir: ''\n")
    render = load_config(str(cfg), set()).render
    assert render.helm == os.path.expanduser("~/bin/helm")
    assert (render.timeout, render.helm_values, render.helm_ci_values, render.cache_dir) == (
        30.0, ("a.yaml", "b.yaml"), True, "")
    assert render.kustomize is None and render.enabled


@pytest.mark.parametrize(("text", "message"), [
    ("render:\n  kustomise: /bin/k\n", "`render` accepts only"),
    ("render:\n  timeout: soon\n", "render.timeout has value 'soon'"),
    ("render:\n  timeout: 0\n", "expected seconds > 0"),
    ("render:\n  helm_values: prod.yaml\n", "render.helm_values must be a list"),
])
def test_bad_render_settings_are_errors(tmp_path: Path, text: str, message: str) -> None:
    cfg = tmp_path / "cnsmm.yaml"
    cfg.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(str(cfg), set())
