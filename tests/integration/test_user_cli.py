"""`cnsmm user create --password-stdin`: the password is the first line of standard input, read
with a bound (a hostile or mistaken pipe of gigabytes is refused after a few kilobytes)."""

from __future__ import annotations

import io
import sys

import pytest
from sqlalchemy import select
from tests.conftest import run_cli

from cnsmm.accounts.models import User
from cnsmm.commands.serve import MAX_PASSWORD_BYTES, read_password_line
from cnsmm.errors import Error
from cnsmm.web.db import open_web_store


class Endless(io.RawIOBase):
    """A stream that never ends (``yes``-like), counting what was read from it."""

    def __init__(self) -> None:
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        buffer[:] = b"a" * len(buffer)
        self.read_bytes += len(buffer)
        return len(buffer)


def test_an_endless_line_is_refused_after_a_bounded_read() -> None:
    raw = Endless()
    with pytest.raises(Error, match="longer than 4,096 bytes"):
        read_password_line(io.BufferedReader(raw, buffer_size=8192))
    assert raw.read_bytes < 64 * 1024


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"correct horse battery\n", "correct horse battery"),
        (b"correct horse battery\r\nsecond line\n", "correct horse battery"),
        (b"no line end at all", "no line end at all"),
        ("pässwörd-ünïcode\n".encode(), "pässwörd-ünïcode"),
        (b"p" * MAX_PASSWORD_BYTES + b"\n", "p" * MAX_PASSWORD_BYTES),
    ],
)
def test_first_line_is_the_password(data: bytes, expected: str) -> None:
    assert read_password_line(io.BytesIO(data)) == expected


def test_not_utf8_is_refused() -> None:
    with pytest.raises(Error, match="not UTF-8"):
        read_password_line(io.BytesIO(b"caf\xe9-latin1-password\n"))


def _stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


def test_user_create_refuses_a_10_mb_line_and_creates_nobody(
    db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _stdin(monkeypatch, b"x" * 10_000_000)
    code, _out, err = run_cli(capsys, "user", "create", "mallory", "--password-stdin", "--db", db)
    assert code == 2
    assert "the password on standard input is longer than 4,096 bytes" in err
    assert "Traceback" not in err

    _stdin(monkeypatch, b"a-good-long-password\n")
    code, _out, err = run_cli(capsys, "user", "create", "alice", "--password-stdin", "--db", db)
    assert code == 0, err
    store = open_web_store(db)
    try:
        with store.session() as s:
            names = set(s.scalars(select(User.name)))
    finally:
        store.dispose()
    assert "alice" in names and "mallory" not in names
