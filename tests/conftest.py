"""Shared test helpers, and the one way tests get a findings store (SQLite and PostgreSQL)."""

from __future__ import annotations

import importlib.util
import os
import socket
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy import create_engine, text

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"
SCHEMAS = REPO.parent / "shared" / "schemas"


def load_script(path: Path) -> ModuleType:
    """The script at ``path`` (``scripts/``, ``benchmarks/``) as a module named after its file,
    registered in ``sys.modules`` so that its dataclasses work."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    """A free TCP port on 127.0.0.1, for a service a test starts."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def require_service(reason: str) -> None:
    """Skip for a missing service, or fail when CI requires every service (CNSMM_REQUIRE_SERVICES=1)."""
    if os.environ.get("CNSMM_REQUIRE_SERVICES") == "1":
        pytest.fail(f"required service missing in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture
def write(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write ``text`` to ``tmp_path/name`` and return the path."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return _write


STORE_KINDS = ("sqlite", "postgresql")
"""Every store test runs on both; PostgreSQL when ``CNSMM_TEST_PG_URL`` names a server
(``scripts/start-postgres.sh`` prints one)."""


def pg_base_url() -> str | None:
    """The PostgreSQL server of the tests, if any."""
    return os.environ.get("CNSMM_TEST_PG_URL")


def db_url_for(kind: str, tmp: Path) -> Iterator[str]:
    """Yield the URL of a fresh, empty database of ``kind`` (sqlite or postgresql), dropped afterwards.

    Without a PostgreSQL server the test is skipped (failed in CI, see :func:`require_service`).
    """
    if kind == "sqlite":
        yield f"sqlite:///{tmp / f'store-{uuid.uuid4().hex[:8]}.db'}"
        return
    base = pg_base_url()
    if not base:
        require_service("PostgreSQL store tests need a server: set CNSMM_TEST_PG_URL (scripts/start-postgres.sh)")
        return
    name = "cnsmm_test_" + uuid.uuid4().hex[:12]
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module", params=STORE_KINDS)
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of an empty database shared by the tests of a module, once on SQLite and once on PostgreSQL.
    Open it with the store the tests need (``open_store`` for findings, ``open_web_store`` for the service)."""
    yield from db_url_for(request.param, tmp_path_factory.mktemp("store"))


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run ``cnsmm ARGV`` in this process (``main(argv)``); returns (exit code, stdout, stderr)."""
    from cnsmm._cli import main

    try:
        main(list(argv))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err
