"""Tables of the background jobs: the job records and the uploads they import.

They share the service's declarative base and migration history (:mod:`cnsmm.web.migrations`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cnsmm.accounts.models import WebBase

__all__ = ["Job", "JobChunk"]


class Job(WebBase):
    """Background work (an import), polled by its id. See :mod:`cnsmm.jobs`."""

    __tablename__ = "web_jobs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """What the job does (an import: format, name, scope)."""
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """How many times a worker started it."""
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    """The claim of the worker running it (a random token per start)."""
    lease_until: Mapped[datetime | None] = mapped_column(DateTime)
    """Until when that worker holds it; renewed while it runs, expired when the worker died."""
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    upload_size: Mapped[int | None] = mapped_column(BigInteger)
    upload_sha256: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (Index("ix_web_jobs_status_created", "status", "created_at"),
                      Index("ix_web_jobs_project_status", "project", "status"))


class JobChunk(WebBase):
    """A piece of a job's upload (zlib-compressed), kept until the job has finished."""

    __tablename__ = "web_job_chunks"

    job_id: Mapped[str] = mapped_column(String(36), ForeignKey("web_jobs.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
