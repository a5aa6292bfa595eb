"""What each scan covered, and the repository and commit it scanned.

``coverage`` (JSON: paths, exclude globs, unread files, rules; NULL for "the whole scope")
limits auto-close to the findings the scan looked at; ``repository`` and ``commit`` say which
checkout the scan's repository-relative paths belong to.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 08:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("scans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("coverage", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("repository", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("commit", sa.String(length=64), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("scans", schema=None) as batch_op:
        batch_op.drop_column("commit")
        batch_op.drop_column("repository")
        batch_op.drop_column("coverage")
