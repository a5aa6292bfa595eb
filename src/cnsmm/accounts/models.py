"""Tables of the accounts: users, project memberships, API tokens, browser sessions, failed logins.

They live beside the findings tables with the service's own migration history (version table
``web_alembic_version``). Projects are referred to by their unique name, the key the CLI uses
too. Timestamps are naive UTC, as in the findings store.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, MetaData, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from cnsmm.tracking.models import NAMING


class WebBase(DeclarativeBase):
    """Declarative base of the web tables (own metadata, own migration history)."""

    metadata = MetaData(naming_convention=NAMING)


class User(WebBase):
    """A local user; the password is stored as an Argon2id hash."""

    __tablename__ = "web_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Membership(WebBase):
    """A user's role in one project."""

    __tablename__ = "web_memberships"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("web_users.id", ondelete="CASCADE"))
    project: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))

    __table_args__ = (UniqueConstraint("user_id", "project", name="uq_web_memberships_user_project"),)


class ApiToken(WebBase):
    """A project-scoped API token; only its SHA-256 is stored."""

    __tablename__ = "web_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    project: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)


class WebSession(WebBase):
    """A browser session; the cookie value is stored hashed, with its CSRF token."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("web_users.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)


class LoginFailure(WebBase):
    """A failed login, for rate limiting by user name and by client address."""

    __tablename__ = "web_login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (Index("ix_web_login_failures_key_at", "key", "at"),)
