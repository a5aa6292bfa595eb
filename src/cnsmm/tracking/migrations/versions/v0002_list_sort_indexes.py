"""Indexes for the default sorts of finding lists (most severe first; newest or oldest first).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 10:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.create_index("ix_findings_project_severity_id", ["project_id", "severity_rank", "id"], unique=False)
        batch_op.create_index("ix_findings_project_first_seen_id", ["project_id", "first_seen", "id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_index("ix_findings_project_first_seen_id")
        batch_op.drop_index("ix_findings_project_severity_id")
