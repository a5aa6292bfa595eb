"""Tables of the findings store (SQLAlchemy 2 typed ORM).

All timestamps are naive UTC (``datetime.now(UTC).replace(tzinfo=None)``): SQLite has no time
zones, and both databases then compare them the same way.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a naming convention so that migrations name constraints."""

    metadata = MetaData(naming_convention=NAMING)


class Project(Base):
    """A named set of findings (usually one product or repository)."""

    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Scan(Base):
    """One imported report."""

    __tablename__ = "scans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    tool: Mapped[str] = mapped_column(String(100))
    tool_version: Mapped[str | None] = mapped_column(String(100))
    format: Mapped[str] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(50), default="scan")
    scope: Mapped[str] = mapped_column(Text)
    generated_at: Mapped[datetime | None] = mapped_column(DateTime)
    imported_at: Mapped[datetime] = mapped_column(DateTime)
    imported_by: Mapped[str] = mapped_column(String(200))
    source_name: Mapped[str] = mapped_column(Text)
    source_sha256: Mapped[str] = mapped_column(String(64))
    finding_count: Mapped[int] = mapped_column(Integer, default=0)
    new_count: Mapped[int] = mapped_column(Integer, default=0)
    reopened_count: Mapped[int] = mapped_column(Integer, default=0)
    fixed_count: Mapped[int] = mapped_column(Integer, default=0)
    coverage: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    """What the scan looked at within its scope (``cnsmm.coverage.Coverage``); NULL: all of it."""
    repository: Mapped[str | None] = mapped_column(String(300), nullable=True)
    """Repository scanned (``host/owner/name``), when known."""
    commit: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """Commit scanned, when known."""
    error_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Items of the report that were not read (the import was partial when above 0)."""

    __table_args__ = (Index("ix_scans_project_tool_scope", "project_id", "tool", "scope"),)


class Description(Base):
    """A tool's long description of a finding, kept once however many findings share it (a
    CVE's text is the same in every image and package it is found in)."""

    __tablename__ = "descriptions"

    digest: Mapped[str] = mapped_column(String(32), primary_key=True)
    """BLAKE2b (128 bits) of the text, in hex."""
    text: Mapped[str] = mapped_column(Text)


class TrackedFinding(Base):
    """One problem in a project, unique by fingerprint, tracked until it is closed."""

    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    fingerprint: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))
    severity: Mapped[str] = mapped_column(String(10))
    severity_rank: Mapped[int] = mapped_column(Integer)
    tool_severity: Mapped[str | None] = mapped_column(String(50))
    title: Mapped[str] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text)
    description_digest: Mapped[str | None] = mapped_column(String(32))
    """Key of the tool's long description in ``descriptions`` (kept once per text)."""
    fix: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(30))
    rule: Mapped[str] = mapped_column(String(300))
    vuln_id: Mapped[str | None] = mapped_column(String(300))
    aliases: Mapped[str | None] = mapped_column(Text)
    """Space-separated ids (CVE, GHSA, ...)."""
    cwe: Mapped[str | None] = mapped_column(Text)
    """Space-separated CWE ids."""
    component: Mapped[str | None] = mapped_column(Text)
    installed_version: Mapped[str | None] = mapped_column(String(200))
    fixed_version: Mapped[str | None] = mapped_column(Text)
    file: Mapped[str | None] = mapped_column(Text)
    line: Mapped[int | None] = mapped_column(Integer)
    resource: Mapped[str | None] = mapped_column(Text)
    image: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    reference: Mapped[str | None] = mapped_column(Text)
    """The report's first http(s) reference link (advisory, rule page), when it gives one."""
    owner: Mapped[str | None] = mapped_column(String(200))
    due: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    regression: Mapped[bool] = mapped_column(Boolean, default=False)
    first_seen: Mapped[datetime] = mapped_column(DateTime)
    first_scan_id: Mapped[int | None] = mapped_column(Integer)
    fixed_at: Mapped[datetime | None] = mapped_column(DateTime)
    status_changed_at: Mapped[datetime | None] = mapped_column(DateTime)
    risk_approver: Mapped[str | None] = mapped_column(String(200))
    risk_reason: Mapped[str | None] = mapped_column(Text)
    risk_expires: Mapped[date | None] = mapped_column(Date)
    duplicate_of: Mapped[int | None] = mapped_column(ForeignKey("findings.id", ondelete="SET NULL"))

    __table_args__ = (
        UniqueConstraint("project_id", "fingerprint", name="uq_findings_project_fingerprint"),
        Index("ix_findings_project_status_severity_id", "project_id", "status", "severity_rank", "id"),
        Index("ix_findings_project_status_id", "project_id", "status", "id"),  # counts of a status and a tool
        Index("ix_findings_project_owner_due_id", "project_id", "owner", "due", "id"),
        Index("ix_findings_project_due", "project_id", "due"),
        Index("ix_findings_project_severity_id", "project_id", "severity_rank", "id"),
        Index("ix_findings_project_first_seen_id", "project_id", "first_seen", "id"),
    )


class SourceStream(Base):
    """The successive scans of one tool over one scope in a project (e.g. Trivy on an image)."""

    __tablename__ = "scan_streams"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    tool: Mapped[str] = mapped_column(String(100))
    scope: Mapped[str] = mapped_column(Text)
    last_scan_id: Mapped[int] = mapped_column(Integer)
    last_seen: Mapped[datetime] = mapped_column(DateTime)
    """Time of the latest scan: the last time every active source of the stream was seen."""

    __table_args__ = (UniqueConstraint("project_id", "tool", "scope", name="uq_scan_streams_project_tool_scope"),)


class FindingSource(Base):
    """A finding as reported by one stream (tool and scope).

    An active source was reported by the latest scan of its stream (so it was last seen at
    the stream's ``last_seen``); an inactive one was not, from scan ``gone_scan_id`` on.
    """

    __tablename__ = "finding_sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id", ondelete="CASCADE"))
    stream_id: Mapped[int] = mapped_column(ForeignKey("scan_streams.id", ondelete="CASCADE"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    first_scan_id: Mapped[int] = mapped_column(Integer)
    first_seen: Mapped[datetime] = mapped_column(DateTime)
    gone_scan_id: Mapped[int | None] = mapped_column(Integer)
    """The scan of the stream that no longer reported the finding (None while active)."""
    last_seen: Mapped[datetime | None] = mapped_column(DateTime)
    """Last time the stream reported it, set when the source becomes inactive."""

    __table_args__ = (
        UniqueConstraint("finding_id", "stream_id", name="uq_finding_sources_finding_stream"),
        Index("ix_finding_sources_stream_active", "stream_id", "active"),
    )


class StatusChange(Base):
    """One status transition: who, when, from, to, why (and the scan, for automatic ones)."""

    __tablename__ = "status_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(200))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    scan_id: Mapped[int | None] = mapped_column(Integer)


class Comment(Base):
    """A free-text note on a finding."""

    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    author: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)


class Webhook(Base):
    """An outgoing webhook of a project: where to send which events, signed with its secret."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(Text)
    secret: Mapped[str] = mapped_column(String(128))
    """Shared secret of the HMAC signature (needed in clear to sign; never shown again or logged)."""
    events: Mapped[list[str]] = mapped_column(JSON)
    format: Mapped[str] = mapped_column(String(10), default="json")
    """``json`` (signed JSON document) or ``slack`` (a Slack-compatible ``text`` message)."""
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class WebhookDelivery(Base):
    """One event sent (or being sent) to one webhook: the delivery log."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(50))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10))
    """``pending``, ``delivered`` or ``failed`` (no attempts left)."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    last_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime)
