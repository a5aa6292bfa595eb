"""Shared test helpers."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"
SCHEMAS = REPO.parent / "shared" / "schemas"


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
