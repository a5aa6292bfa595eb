"""Alembic environment: migrations run on a connection handed over by ``cnsmm.tracking.store``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from cnsmm.tracking.models import Base

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("cnsmm migrations run through cnsmm.tracking.store.open_store(), not the alembic CLI")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
