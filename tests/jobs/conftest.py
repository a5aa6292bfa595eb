"""Fixtures of the background job tests: a fresh service store on SQLite or PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from tests.conftest import require_service

from cnsmm.tracking.store import Store
from cnsmm.web.db import open_web_store


@dataclass
class Db:
    """An open store and its URL (for worker processes)."""

    url: str
    store: Store


def _fresh(kind: str, tmp_path: Path) -> Iterator[Db]:
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'jobs.db'}"
        store = open_web_store(url)
        yield Db(url, store)
        store.dispose()
        return
    base = os.environ.get("CNSMM_TEST_PG_URL")
    if not base:
        require_service("PostgreSQL (set CNSMM_TEST_PG_URL; scripts/start-postgres.sh)")
        return
    name = "cnsmm_jobs_" + uuid.uuid4().hex[:12]
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.rsplit("/", 1)[0] + "/" + name
    store = open_web_store(url)
    yield Db(url, store)
    store.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Db]:
    """A new, empty service store (one per test)."""
    yield from _fresh(request.param, tmp_path)
