"""The findings of a status in id order, from an index alone.

A list filtered by status and tool counts its matches (exactly, up to 1,000) by walking the
findings of the status in id order beside the tool's sources; without this index each finding
was read from the table to check its status (2.8 ms instead of 1.2 ms for a list of open grype
findings among 1,000,000).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 13:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.create_index("ix_findings_project_status_id", ["project_id", "status", "id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_index("ix_findings_project_status_id")
