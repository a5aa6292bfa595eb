"""Fixtures of the end-to-end CLI tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def db(db_url: str) -> str:
    """The module's store database (tests/conftest.py: SQLite and PostgreSQL)."""
    return db_url
