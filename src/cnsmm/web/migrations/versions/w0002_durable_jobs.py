"""Durable background jobs: the upload kept in the store, attempts and a lease per job.

Revision ID: w0002
Revises: w0001
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "w0002"
down_revision = "w0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("web_jobs") as batch:
        batch.add_column(sa.Column("params", sa.JSON))
        batch.add_column(sa.Column("attempts", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("lease_owner", sa.String(64)))
        batch.add_column(sa.Column("lease_until", sa.DateTime))
        batch.add_column(sa.Column("started_at", sa.DateTime))
        batch.add_column(sa.Column("upload_size", sa.BigInteger))
        batch.add_column(sa.Column("upload_sha256", sa.String(64)))
    op.create_index("ix_web_jobs_status_created", "web_jobs", ["status", "created_at"])
    op.create_index("ix_web_jobs_project_status", "web_jobs", ["project", "status"])
    op.create_table(
        "web_job_chunks",
        sa.Column("job_id", sa.String(36), sa.ForeignKey("web_jobs.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    # jobs accepted before this revision lost their upload with the process that held it
    op.execute("UPDATE web_jobs SET status = 'failed', error = 'the service stopped before this upload was "
               "imported (uploads were not kept then); upload the report again' "
               "WHERE status IN ('queued', 'running')")


def downgrade() -> None:
    op.drop_table("web_job_chunks")
    op.drop_index("ix_web_jobs_project_status", "web_jobs")
    op.drop_index("ix_web_jobs_status_created", "web_jobs")
    with op.batch_alter_table("web_jobs") as batch:
        for column in ("upload_sha256", "upload_size", "started_at", "lease_until", "lease_owner", "attempts",
                       "params"):
            batch.drop_column(column)
