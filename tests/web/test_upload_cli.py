"""`cnsmm import --upload` and `cnsmm assess --upload` against a live service (uvicorn on 127.0.0.1)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import REPO, free_port

from cnsmm._cli import main
from cnsmm.accounts.service import Role, create_token
from cnsmm.web.db import open_web_store

SAMPLES = REPO / "tests" / "importers" / "samples"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, str]]:
    import uvicorn

    from cnsmm.web.app import create_app

    db_url = f"sqlite:///{tmp_path_factory.mktemp('upload') / 'service.db'}"
    store = open_web_store(db_url)
    token = create_token(store, "shop", Role.SECURITY, name="ci", created_by="test")[0]
    viewer = create_token(store, "shop", Role.VIEWER, name="ro", created_by="test")[0]
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(store=store), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", token, viewer
    server.should_exit = True
    thread.join(timeout=30)


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_import_upload_reports_and_dedup(live: tuple[str, str, str], capsys: pytest.CaptureFixture[str]) -> None:
    url, token, _ = live
    trivy = SAMPLES / "trivy-json" / "image.json"
    code, _, err = _run(["import", str(trivy), "--project", "shop", "--upload", url, "--token", token], capsys)
    assert code == 0, err
    assert "image.json: 5 new" in err
    code, _, err = _run(["import", str(trivy), "--project", "shop", "--upload", url, "--token", token], capsys)
    assert code == 0 and "0 new, 5 seen again" in err


def test_import_upload_refusals(live: tuple[str, str, str], capsys: pytest.CaptureFixture[str],
                                tmp_path: Path) -> None:
    url, _, viewer = live
    trivy = SAMPLES / "trivy-json" / "image.json"
    code, _, err = _run(["import", str(trivy), "--project", "shop", "--upload", url, "--token", viewer], capsys)
    assert code == 2 and "403" in err and "security role" in err
    code, _, err = _run(["import", str(trivy), "--project", "shop", "--upload", url, "--token", "cnsmm_wrong"], capsys)
    assert code == 2 and "401" in err
    bad = tmp_path / "broken.json"
    bad.write_text('{"SchemaVersion": 2, "Results": [')
    code, _, err = _run(["import", str(bad), "--project", "shop", "--upload", url, "--token", live[1]], capsys)
    assert code == 2 and "could not import broken.json" in err


def test_assess_upload(live: tuple[str, str, str], capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    url, token, _ = live
    out = tmp_path / "a.json"
    code, _, err = _run(["assess", str(REPO / "examples"), "--format", "json", "-o", str(out), "--upload", url,
                         "--project", "shop", "--token", token], capsys)
    assert code == 0, err
    assert "uploaded the assessment" in err
    assert json.loads(out.read_text())["overall"]["level"] >= 0


@pytest.mark.parametrize("command", ["scan", "assess"])
@pytest.mark.parametrize("missing", ["--token", "--project"])
def test_upload_without_token_or_project_is_a_usage_error(
    command: str, missing: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CNSMM_TOKEN", raising=False)
    given = {"--token": ["--token", "cnsmm_x"], "--project": ["--project", "shop"]}
    extra = [arg for name, args in given.items() if name != missing for arg in args]
    code, out, err = _run([command, str(REPO / "examples"), "--upload", "http://127.0.0.1:9", *extra], capsys)
    assert code == 2 and out == ""  # refused before any work
    assert "--upload needs --project and --token (or $CNSMM_TOKEN)" in err
