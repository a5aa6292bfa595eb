"""How many items of each imported report were not read (0 for a complete import).

A file identical to the latest scan of its stream is not read again only when that scan was
complete: a partial import is read again, so that its errors are reported again.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("scans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("error_count", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("scans", schema=None) as batch_op:
        batch_op.drop_column("error_count")
