"""Alembic environment of the web tables (own version table, run by ``cnsmm.web.db``)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from cnsmm.web.models import WebBase

VERSION_TABLE = "web_alembic_version"

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("cnsmm web migrations run through cnsmm.web.db.open_web(), not the alembic CLI")

context.configure(
    connection=connection,
    target_metadata=WebBase.metadata,
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
