"""Opening a store with the service tables: the findings tables plus accounts, assessments and jobs."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from cnsmm.tracking.store import Store, open_store

_MIGRATION_LOCK = 7276001
MIGRATIONS = Path(__file__).resolve().parent.parent / "web" / "migrations"
"""The service tables' migration scripts (one history for accounts and the web's own tables)."""


def open_service_store(url: str | None = None) -> Store:
    """Open the store (creating or upgrading both the findings and the service tables)."""
    store = open_store(url)
    _migrate(store)
    return store


def _migrate(store: Store) -> None:
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
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
