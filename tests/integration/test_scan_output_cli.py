"""`cnsmm scan` output options and configuration discovery, through main(argv)."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from tests.integration.test_scan_cli import POD, run

LOW_ONLY = """\
apiVersion: v1
kind: Pod
metadata: {name: low, namespace: apps}
spec:
  containers:
    - name: app
      image: nginx:1.25
"""


def test_min_severity_does_not_change_fail_on(write, capsys) -> None:  # type: ignore[no-untyped-def]
    f = write("p.yaml", POD)
    code, out, _err = run(["scan", str(f), "--min-severity", "critical", "--enable", "K8S-001", "--enable", "K8S-076"],
                         capsys)
    assert code == 1 and "CRITICAL K8S-001" in out and "K8S-076" in out.split("Scanned")[0]  # in top rules
    assert "1 finding(s) below critical not shown" in out
    code, out, _ = run(["scan", str(f), "--min-severity", "critical", "--fail-on", "low", "--enable", "K8S-076"],
                       capsys)
    assert code == 1 and "Findings: 1 (1 low)" in out and "LOW" not in out  # hidden, still fails the build


def test_quiet_group_by_and_formats_by_suffix(write, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    f = write("p.yaml", POD)
    code, out, _ = run(["scan", str(f), "-q", "--fail-on", "never"], capsys)
    assert code == 0 and out.startswith("Findings: ") and "fix:" not in out
    code, out, _ = run(["scan", str(f), "--group-by", "rule", "--fail-on", "never", "--enable", "K8S-001"], capsys)
    assert "K8S-001 Container runs privileged (1)" in out
    html, csv, sast, cq = (tmp_path / n for n in ("r.html", "r.csv", "sast.json", "cq.json"))
    code, _, _err = run(["scan", str(f), "--fail-on", "never", "-o", str(html), "-o", str(csv)], capsys)
    assert code == 0 and html.read_text().startswith("<!DOCTYPE html>") and csv.read_text().startswith("id,")
    code, _, _ = run(["scan", str(f), "--fail-on", "never", "-f", "gitlab-sast", "-o", str(sast),
                      "-f", "gitlab-codequality", "-o", str(cq)], capsys)
    assert json.loads(sast.read_text())["scan"]["type"] == "sast" and isinstance(json.loads(cq.read_text()), list)


def test_config_is_found_up_to_the_repository_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys) -> None:  # type: ignore[no-untyped-def]
    repo = tmp_path / "repo"
    deep = repo / "apps" / "shop"
    deep.mkdir(parents=True)
    (repo / ".git").mkdir()
    (deep / "p.yaml").write_text(POD, encoding="utf-8")
    (tmp_path / "cnsmm.yaml").write_text("rules: {only: [K8S-076]}\n", encoding="utf-8")  # above the root: unused
    (repo / "pyproject.toml").write_text('[tool.cnsmm]\nrules = {only = ["K8S-001"]}\n', encoding="utf-8")
    (repo / "apps" / "pyproject.toml").write_text("[tool.black]\n", encoding="utf-8")  # no [tool.cnsmm]: skipped
    monkeypatch.chdir(deep)
    code, out, err = run(["scan", "p.yaml", "-v", "--fail-on", "never"], capsys)
    assert code == 0 and f"config: {repo / 'pyproject.toml'} [tool.cnsmm]" in err.splitlines()
    assert "K8S-001" in out and "K8S-076" not in out
    (repo / "apps" / "cnsmm.yaml").write_text("rules: {only: [K8S-076]}\n", encoding="utf-8")  # nearer wins
    code, out, err = run(["scan", "p.yaml", "-v", "--fail-on", "never"], capsys)
    assert code == 0 and f"config: {repo / 'apps' / 'cnsmm.yaml'}" in err and "K8S-076" in out and "K8S-001" not in out
    (repo / ".git").rmdir()  # outside a repository only the current folder counts
    code, out, err = run(["scan", "p.yaml", "-v", "--fail-on", "never"], capsys)
    assert code == 0 and "config: none found" in err and "K8S-001" in out and "K8S-076" in out


def test_terminal_gets_wrapped_text_and_a_rendered_rule_page(tmp_path: Path) -> None:
    """Through a pseudo-terminal, as a person runs it."""
    (tmp_path / "p.yaml").write_text(POD, encoding="utf-8")

    def on_tty(*args: str) -> str:
        leader, follower = pty.openpty()
        env = {**os.environ, "COLUMNS": "70", "LINES": "40", "TERM": "xterm"}
        proc = subprocess.Popen([sys.executable, "-m", "cnsmm", *args], stdin=follower, stdout=follower,
                                stderr=subprocess.DEVNULL, env=env, cwd=tmp_path)
        os.close(follower)
        chunks = []
        while True:
            try:
                data = os.read(leader, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        proc.wait(timeout=60)
        os.close(leader)
        return b"".join(chunks).decode()

    page = on_tty("rules", "K8S-001")
    assert "\x1b[" in page and "## K8S-001" not in page and "Why is this bad?" in page
    out = on_tty("scan", "p.yaml", "--fail-on", "never", "--no-progress")
    import re

    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out).replace("\r\n", "\n")
    assert "K8S-001" in plain and max(len(line) for line in plain.splitlines()) <= 70
