"""Tables of the web service: assessments and attestations, and (re-exported) the others.

The account tables (users, memberships, tokens, sessions) are in :mod:`cnsmm.accounts.models`,
the background job tables in :mod:`cnsmm.jobs.models`; they share this module's declarative
base and migration history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cnsmm.accounts.models import ApiToken, LoginFailure, Membership, User, WebBase, WebSession
from cnsmm.jobs.models import Job, JobChunk

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
