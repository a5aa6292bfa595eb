"""Start-up: `--version`, `rules` and a small scan load neither the database nor the web stack."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest

from cnsmm import _cli

HEAVY = ("sqlalchemy", "alembic", "fastapi", "starlette", "uvicorn", "psycopg", "jinja2", "httpx2")
POD = """\
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: apps}
spec:
  containers:
    - name: app
      image: nginx:1.25
"""


def _imported(*args: str) -> set[str]:
    """Top-level packages imported by `python -m cnsmm ARGS` (from -X importtime)."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "cnsmm", *args],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    names = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    assert "cnsmm" in names  # the trace was read
    return names


@pytest.mark.parametrize("args", [("--version",), ("rules",), ("rules", "K8S-001"), ("scan", "{dir}")])
def test_light_commands_do_not_load_database_or_web(args: tuple[str, ...], tmp_path: Path) -> None:
    (tmp_path / "pod.yaml").write_text(POD, encoding="utf-8")
    loaded = _imported(*(a.format(dir=tmp_path) for a in args), *(["--fail-on", "never"] if "scan" in args else []))
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_track_command_still_loads_the_store() -> None:
    assert "sqlalchemy" in _imported("findings", "list", "--help")


def test_every_command_module_entry_names_a_real_command() -> None:
    import importlib

    modules = set(_cli.COMMAND_MODULES.values())
    declared = {}
    for module in modules:
        for command in importlib.import_module(module).COMMANDS:
            declared[command.name] = module
    assert declared == _cli.COMMAND_MODULES
    ctx = click.Context(_cli.cli)
    assert _cli.cli.list_commands(ctx) == sorted(declared)
    assert all(_cli.cli.get_command(ctx, name) is not None for name in declared)
    assert _cli.cli.get_command(ctx, "no-such-command") is None


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_shell_completion_scripts_and_answers(shell: str) -> None:
    env_base = {"PATH": str(Path(sys.executable).parent)}
    script = subprocess.run([sys.executable, "-m", "cnsmm"], env={**env_base, "_CNSMM_COMPLETE": f"{shell}_source"},
                            capture_output=True, text=True, timeout=60, check=True).stdout
    assert "_cnsmm_completion" in script
    if shell != "bash":
        return
    answers = {}
    for words, cword in (("cnsmm sc", 1), ("cnsmm scan --group-by ", 3), ("cnsmm scan --format gitlab", 3)):
        proc = subprocess.run([sys.executable, "-m", "cnsmm"], capture_output=True, text=True, timeout=60, check=True,
                              env={**env_base, "_CNSMM_COMPLETE": "bash_complete", "COMP_WORDS": words,
                                   "COMP_CWORD": str(cword)})
        answers[words] = [line.split(",", 1)[1] for line in proc.stdout.splitlines()]
    assert answers["cnsmm sc"] == ["scan"]
    assert answers["cnsmm scan --group-by "] == ["file", "rule", "resource"]
    assert answers["cnsmm scan --format gitlab"] == ["gitlab-sast", "gitlab-codequality"]
