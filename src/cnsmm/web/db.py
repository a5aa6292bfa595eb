"""Opening the store for the web service: the findings tables plus the web tables."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from cnsmm.tracking.store import Store, open_store

_MIGRATION_LOCK = 7276001


def open_web_store(url: str | None = None) -> Store:
    """Open the store (creating or upgrading both the findings and the web tables)."""
    store = open_store(url)
    _migrate_web(store)
    return store


def _migrate_web(store: Store) -> None:
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    opts = {"version_table": "web_alembic_version"}  # as in migrations/env.py
    with store.read() as conn:
        if MigrationContext.configure(conn, opts=opts).get_current_revision() == head:
            return
    with store.write() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
        if MigrationContext.configure(conn, opts=opts).get_current_revision() == head:
            return
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
