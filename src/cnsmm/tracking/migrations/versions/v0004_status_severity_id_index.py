"""Finding lists filtered by status and severity, or by owner and sorted by due date, read
from one index each.

The index on (project, status, severity rank) gains the id, so a page of open high findings
is an index range in the list's order instead of a walk past every more severe finding; the
index on (project, owner) gains the due date and the id, so a team's list by due date is too.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 11:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_index("ix_findings_project_status_severity")
        batch_op.create_index("ix_findings_project_status_severity_id", ["project_id", "status", "severity_rank", "id"],
                              unique=False)
        batch_op.drop_index("ix_findings_project_owner")
        batch_op.create_index("ix_findings_project_owner_due_id", ["project_id", "owner", "due", "id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_index("ix_findings_project_owner_due_id")
        batch_op.create_index("ix_findings_project_owner", ["project_id", "owner"], unique=False)
        batch_op.drop_index("ix_findings_project_status_severity_id")
        batch_op.create_index("ix_findings_project_status_severity", ["project_id", "status", "severity_rank"],
                              unique=False)
