"""End to end: `cnsmm scan` reports what it covered and where it ran; `cnsmm import` closes
only what a scan looked at and stores one location for two checkouts."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from tests.conftest import run_cli

from cnsmm.vcs import _CI_COMMITS, _CI_ROOTS

POD = """apiVersion: v1
kind: Pod
metadata: {{name: {name}, namespace: shop}}
spec:
  containers:
    - name: app
      image: registry.example.com/shop/{name}:1.0
      securityContext: {{privileged: true}}
"""




@pytest.fixture(autouse=True)
def _no_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in (*_CI_ROOTS, *_CI_COMMITS, "GITHUB_REPOSITORY", "CI_PROJECT_URL", "GIT_URL"):
        monkeypatch.delenv(var, raising=False)


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(cwd), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                          check=True, capture_output=True, text=True).stdout.strip()


def _repo(tmp: Path) -> Path:
    origin = tmp / "origin"
    (origin / "charts" / "web").mkdir(parents=True)
    (origin / "charts" / "legacy").mkdir(parents=True)
    (origin / "charts" / "web" / "pod.yaml").write_text(POD.format(name="web"))
    (origin / "charts" / "legacy" / "pod.yaml").write_text(POD.format(name="legacy"))
    _git(origin, "init", "-q", "-b", "main")
    _git(origin, "add", ".")
    _git(origin, "commit", "-qm", "charts")
    return origin


def _clone(origin: Path, where: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(origin), str(where)], check=True)
    _git(where, "remote", "set-url", "origin", "https://ci-user:s3cret@git.example.com/acme/shop.git")
    return where


def _scan(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, cwd: Path, out: Path,
          *args: str) -> dict[str, object]:
    monkeypatch.chdir(cwd)
    code, _, err = run_cli(capsys, "scan", *args, "-f", "json", "-o", str(out), "--fail-on", "never")
    assert code == 0, err
    doc: dict[str, object] = json.loads(out.read_text())
    return doc


def _findings(capsys: pytest.CaptureFixture[str], db: str, project: str) -> dict[tuple[str, str], str]:
    code, out, err = run_cli(capsys, "findings", "list", "-p", project, "--db", db, "--status",
                         "open,fixed", "--format", "json")
    assert code == 0, err
    return {(f["rule"], f["location"].split(":")[0]): f["status"] for f in json.loads(out)}


def test_two_checkouts_one_location_and_no_close_outside_coverage(
    db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    origin = _repo(tmp_path)
    a = _clone(origin, tmp_path / "runner-a" / "work" / "shop")
    b = _clone(origin, tmp_path / "runner-b" / "builds" / "shop")
    project = f"cov-{tmp_path.name[-8:]}".lower().replace("_", "-")

    # runner A scans by absolute path from elsewhere, runner B from inside the checkout
    doc = _scan(capsys, monkeypatch, tmp_path, tmp_path / "a.json", str(a))
    checkout = doc["checkout"]
    assert isinstance(checkout, dict)
    assert checkout["repository"] == "git.example.com/acme/shop"  # credentials never written
    assert checkout["commit"] == _git(a, "rev-parse", "HEAD")
    _scan(capsys, monkeypatch, b / "charts", tmp_path / "b.json", ".")
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(capsys, "import", str(tmp_path / "a.json"), str(tmp_path / "b.json"), "-p", project,
                         "--db", db)
    assert code == 0, err
    first = _findings(capsys, db, project)
    assert {f for _, f in first} == {"charts/web/pod.yaml", "charts/legacy/pod.yaml"}
    assert "0 new" in out.splitlines()[1] and "0 closed as fixed" in out.splitlines()[1]

    # runner B excludes the legacy folder: its findings were not looked at, so they stay open
    _scan(capsys, monkeypatch, b, tmp_path / "narrow.json", ".", "--exclude", "legacy")
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(capsys, "import", str(tmp_path / "narrow.json"), "-p", project, "--db", db)
    assert code == 0, err
    assert "0 closed as fixed" in out and "outside what the scan covered: left open" in out
    assert set(_findings(capsys, db, project).values()) == {"open"}

    # the legacy chart goes; a full scan of runner A now closes its findings as fixed
    (a / "charts" / "legacy" / "pod.yaml").unlink()
    _scan(capsys, monkeypatch, tmp_path, tmp_path / "full.json", str(a))
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(capsys, "import", str(tmp_path / "full.json"), "-p", project, "--db", db)
    assert code == 0, err
    after = _findings(capsys, db, project)
    assert {f: s for (_, f), s in after.items()} == {"charts/web/pod.yaml": "open", "charts/legacy/pod.yaml": "fixed"}


def test_import_flags_say_what_a_report_covered(
    db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    origin = _repo(tmp_path)
    project = f"flags-{tmp_path.name[-8:]}".lower().replace("_", "-")
    full = _scan(capsys, monkeypatch, origin, tmp_path / "full.json", ".")
    web_only = dict(full, findings=[f for f in full["findings"] if "legacy" not in f["file"]],  # type: ignore[union-attr]
                    covered=None)
    (tmp_path / "web.json").write_text(json.dumps(web_only))
    monkeypatch.chdir(tmp_path)
    assert run_cli(capsys, "import", str(tmp_path / "full.json"), "-p", project, "--db", db)[0] == 0
    code, out, err = run_cli(capsys, "import", str(tmp_path / "web.json"), "-p", project, "--db", db,
                         "--covers", "charts/web", "--repo", "https://git.example.com/acme/shop",
                         "--commit", "0123abcd" * 5)
    assert code == 0, err
    assert "0 closed as fixed" in out
    code, _, err = run_cli(capsys, "import", str(tmp_path / "web.json"), "-p", project, "--db", db,
                       "--commit", "not-a-commit")
    assert code == 2 and "--commit" in err and "not a commit id" in err
