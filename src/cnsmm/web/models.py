"""Tables of the web service beside the accounts: assessments, attestations, background jobs.

The account tables (users, memberships, tokens, sessions) are in :mod:`cnsmm.accounts.models`
and share this module's declarative base and migration history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cnsmm.accounts.models import ApiToken, LoginFailure, Membership, User, WebBase, WebSession

__all__ = ["ApiToken", "Assessment", "Attestation", "Job", "JobChunk", "LoginFailure", "Membership", "User", "WebBase",
           "WebSession"]


class Assessment(WebBase):
    """A maturity assessment uploaded or run on the service (its JSON document)."""

    __tablename__ = "web_assessments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(100))
    overall_level: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__ = (Index("ix_web_assessments_project_created", "project", "created_at"),)


class Attestation(WebBase):
    """The current attestation document of a project (YAML text, as `cnsmm assess` reads it)."""

    __tablename__ = "web_attestations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project: Mapped[str] = mapped_column(String(200), unique=True)
    text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    updated_by: Mapped[str] = mapped_column(String(100))


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
