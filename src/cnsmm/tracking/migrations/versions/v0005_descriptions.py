"""The tools' long descriptions of findings, kept once per distinct text.

A vulnerability's description is the same for every package and image it is found in, so
findings refer to it by digest instead of carrying a copy. The per-finding ``description``
column, never filled, goes. On SQLite, due dates that an earlier version stored as empty text
for findings with long text become empty (NULL), as they could not be read back.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "descriptions",
        sa.Column("digest", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_descriptions")),
    )
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("description_digest", sa.String(length=32), nullable=True))
        batch_op.drop_column("description")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("UPDATE findings SET due = NULL WHERE due = ''")


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("description", sa.Text(), nullable=True))
        batch_op.drop_column("description_digest")
    op.drop_table("descriptions")
