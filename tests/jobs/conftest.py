"""Fixtures of the background job tests: a fresh service store on SQLite or PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.conftest import STORE_KINDS, db_url_for

from cnsmm.tracking.store import Store
from cnsmm.web.db import open_web_store


@dataclass
class Db:
    """An open store and its URL (for worker processes)."""

    url: str
    store: Store


def _fresh(kind: str, tmp_path: Path) -> Iterator[Db]:
    for url in db_url_for(kind, tmp_path):
        store = open_web_store(url)
        yield Db(url, store)
        store.dispose()


@pytest.fixture(params=STORE_KINDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Db]:
    """A new, empty service store (one per test)."""
    yield from _fresh(request.param, tmp_path)
