"""Users, passwords, API tokens, sessions, CSRF and login rate limiting.

- Passwords: Argon2id (argon2-cffi defaults), never logged or returned.
- API tokens and session cookies: 256-bit random values; only their SHA-256 is stored
  (a fast hash is right for random secrets; a slow KDF is for passwords).
- Login: at most 5 failures per user name from one client address, and 20 per client address,
  in 15 minutes. Failures from one address never lock the user out of another one, so nobody
  can lock the administrator out by guessing wrong on purpose.
- An unknown user name costs the same Argon2 check as a known one (no user enumeration by timing).
"""

from __future__ import annotations

import enum
import hashlib
import logging
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, delete, func, select, update
from sqlalchemy.orm import Session

from cnsmm.accounts.models import ApiToken, LoginFailure, Membership, User, WebSession
from cnsmm.errors import AuthError, LoginFailedError, LoginThrottledError, StoreBusyError
from cnsmm.tracking.store import Store, utcnow

TOKEN_PREFIX = "cnsmm_"  # noqa: S105 - a label, not a secret
SESSION_TTL = timedelta(hours=12)
FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_ADDRESS = 20
MIN_PASSWORD = 12
LAST_USED_EVERY = timedelta(minutes=5)
"""A token's ``last_used_at`` is written at most this often (not a write per request)."""
_hasher = PasswordHasher()
_dummy_hash: dict[str, str] = {}
"""A hash checked for unknown or disabled users, made once per hasher's parameters."""


class Role(enum.StrEnum):
    """Project roles, from least to most powerful."""

    VIEWER = "viewer"
    DEVELOPER = "developer"
    SECURITY = "security"
    OWNER = "owner"

    @property
    def rank(self) -> int:
        """0 for viewer up to 3 for owner."""
        return list(Role).index(self)


@dataclass
class Principal:
    """Who is calling: a user (session or password) or a project-scoped API token."""

    name: str
    is_admin: bool = False
    roles: dict[str, Role] = field(default_factory=dict)
    via: str = "session"
    csrf_token: str | None = None

    def role_in(self, project: str) -> Role | None:
        """The caller's role in ``project`` (admins are owners everywhere)."""
        if self.is_admin:
            return Role.OWNER
        return self.roles.get(project)


def sha256(value: str) -> str:
    """Hex SHA-256 of a secret."""
    return hashlib.sha256(value.encode()).hexdigest()


def hash_password(password: str) -> str:
    """Argon2id hash of a password; refuses short ones."""
    if len(password) < MIN_PASSWORD:
        raise AuthError(f"password too short (got {len(password)} characters, expected at least {MIN_PASSWORD})")
    return _hasher.hash(password)


def create_user(store: Store, name: str, password: str, *, admin: bool = False) -> User:
    """Create a local user (names are unique)."""
    name = name.strip()
    if not name or len(name) > 100 or any(c.isspace() for c in name):
        raise AuthError(f"invalid user name {name!r} (1-100 characters, no spaces)")
    hashed = hash_password(password)
    with store.session() as s:
        if s.scalar(select(User.id).where(User.name == name)) is not None:
            raise AuthError(f"user {name!r} already exists")
        user = User(name=name, password_hash=hashed, is_admin=admin, disabled=False, created_at=utcnow())
        s.add(user)
        s.flush()
        return user


def set_membership(store: Store, user_name: str, project: str, role: Role | None) -> None:
    """Give ``user_name`` ``role`` in ``project`` (None removes the membership)."""
    with store.session() as s:
        user = s.scalar(select(User).where(User.name == user_name))
        if user is None:
            raise AuthError(f"no user named {user_name!r}")
        s.execute(delete(Membership).where(Membership.user_id == user.id, Membership.project == project))
        if role is not None:
            s.add(Membership(user_id=user.id, project=project, role=role.value))
    forget_checked_credentials(store)


def _principal_for(s: Session, user: User, via: str, csrf: str | None = None) -> Principal:
    return Principal(user.name, user.is_admin, _roles_of(s.connection(), user.id), via, csrf)


def _too_many(s: Session, key: str, limit: int, now: datetime) -> bool:
    recent = (LoginFailure.key == key, LoginFailure.at > now - FAILURE_WINDOW)
    count = s.scalar(select(func.count()).select_from(LoginFailure).where(*recent))
    return (count or 0) >= limit


def login(store: Store, name: str, password: str, address: str) -> tuple[str, Principal]:
    """Check a password and open a session; returns the cookie value and the principal."""
    now = utcnow()
    name, address = name.replace("\x00", ""), address.replace("\x00", "")  # PostgreSQL text holds no NUL
    user_key = f"user:{name}@{address}"[:200]
    with store.session() as s:
        if _too_many(s, user_key, MAX_FAILURES_PER_USER, now) or _too_many(
            s, f"addr:{address}"[:200], MAX_FAILURES_PER_ADDRESS, now
        ):
            raise LoginThrottledError("too many failed logins; wait 15 minutes and try again")
        user = s.scalar(select(User).where(User.name == name[:100]))
        known = user is not None and not user.disabled
        try:
            ok: bool = _hasher.verify(user.password_hash if user is not None and known else _dummy(), password)
        except (VerificationError, InvalidHashError):
            ok = False
        ok = ok and known
        if not ok or user is None:
            s.add(LoginFailure(key=user_key, at=now))
            s.add(LoginFailure(key=f"addr:{address}"[:200], at=now))
    if not ok or user is None:
        raise LoginFailedError("wrong user name or password")
    cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    with store.session() as s:
        s.execute(delete(WebSession).where(WebSession.expires_at < now))
        s.add(WebSession(token_hash=sha256(cookie), user_id=user.id, csrf_token=csrf, created_at=now,
                         expires_at=now + SESSION_TTL))
        return cookie, _principal_for(s, user, "session", csrf)


def _dummy() -> str:
    """A valid hash of a random password, with the current hasher's cost."""
    key = repr((_hasher.time_cost, _hasher.memory_cost, _hasher.parallelism))
    if key not in _dummy_hash:
        _dummy_hash[key] = _hasher.hash(secrets.token_urlsafe(16))
    return _dummy_hash[key]


CREDENTIAL_CACHE_S = 5.0
"""How long a server process reuses a checked token or session cookie. A revocation, logout,
disabled user or role change made through another server process takes effect there within
this time (at once in the process that made it); expiry is always checked exactly."""
_MAX_CACHED = 10_000
_checked_lock = threading.Lock()


def _checked(store: Store) -> dict[str, tuple[float, datetime | None, Principal]]:
    checked: dict[str, tuple[float, datetime | None, Principal]] = store.memo.setdefault("credentials", {})
    return checked


def recall(store: Store, kind: str, secret: str) -> Principal | None:
    """The principal of a token (``kind`` "token") or session cookie ("session") checked less
    than ``CREDENTIAL_CACHE_S`` ago by this process, without asking the store; else None."""
    return _recall(store, f"{kind}:{sha256(secret)}", utcnow())


def _recall(store: Store, key: str, now: datetime) -> Principal | None:
    hit = _checked(store).get(key)
    if hit is None or hit[0] < time.monotonic() or (hit[1] is not None and hit[1] <= now):
        return None
    return hit[2]


def _remember(store: Store, key: str, expires: datetime | None, principal: Principal) -> None:
    with _checked_lock:
        checked = _checked(store)
        if len(checked) >= _MAX_CACHED:
            checked.clear()
        checked[key] = (time.monotonic() + CREDENTIAL_CACHE_S, expires, principal)


def forget_checked_credentials(store: Store) -> None:
    """Check every token and session against the store again (after a change to any of them)."""
    with _checked_lock:
        _checked(store).clear()


def _roles_of(conn: Connection, user_id: int) -> dict[str, Role]:
    rows = conn.execute(select(Membership.project, Membership.role).where(Membership.user_id == user_id))
    return {project: Role(role) for project, role in rows}


def session_principal(store: Store, cookie: str) -> Principal | None:
    """The user of a session cookie, or None when unknown or expired."""
    now, digest = utcnow(), sha256(cookie)
    key = f"session:{digest}"
    known = _recall(store, key, now)
    if known is not None:
        return known
    with store.read() as conn:
        row = conn.execute(
            select(User.id, User.name, User.is_admin, WebSession.csrf_token, WebSession.expires_at)
            .join(User, User.id == WebSession.user_id)
            .where(WebSession.token_hash == digest, WebSession.expires_at > now,
                   User.disabled.is_(False))
        ).first()
        if row is None:
            return None
        principal = Principal(row.name, row.is_admin, _roles_of(conn, row.id), "session", row.csrf_token)
    _remember(store, key, row.expires_at, principal)
    return principal


def logout(store: Store, cookie: str) -> None:
    """End a session."""
    with store.session() as s:
        s.execute(delete(WebSession).where(WebSession.token_hash == sha256(cookie)))
    forget_checked_credentials(store)


def create_token(
    store: Store, project: str, role: Role, *, name: str, created_by: str, days: int | None = 90
) -> tuple[str, ApiToken]:
    """A new API token; the secret is returned once and only its hash is kept."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(
        token_hash=sha256(secret), prefix=secret[: len(TOKEN_PREFIX) + 6], name=name, project=project,
        role=role.value, created_by=created_by, created_at=now,
        expires_at=now + timedelta(days=days) if days else None,
    )
    with store.session() as s:
        s.add(token)
        s.flush()
    return secret, token


def token_principal(store: Store, secret: str) -> Principal | None:
    """The principal of an API token, or None when unknown, revoked or expired."""
    now, digest = utcnow(), sha256(secret)
    key = f"token:{digest}"
    known = _recall(store, key, now)
    if known is not None:
        return known
    T = ApiToken.__table__
    with store.read() as conn:
        token = conn.execute(
            select(T.c.id, T.c.name, T.c.project, T.c.role, T.c.expires_at, T.c.last_used_at)
            .where(T.c.token_hash == digest, T.c.revoked_at.is_(None))
        ).first()
    if token is None or (token.expires_at and token.expires_at <= now):
        return None
    principal = Principal(f"token:{token.name}", False, {token.project: Role(token.role)}, "token")
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_EVERY:
        _note_use(store, token.id, now)
    _remember(store, key, token.expires_at, principal)
    return principal


def _note_use(store: Store, token_id: int, now: datetime) -> None:
    """Record a token's use if the store can take the write at once: bookkeeping never makes
    a request wait for the write lock; a use that could not be recorded is recorded on a later one."""
    try:
        with store.write_now() as conn:
            conn.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
    except StoreBusyError:
        logging.getLogger(__name__).debug("store busy: the use of API token %s is recorded later", token_id)


def list_users(store: Store) -> list[dict[str, Any]]:
    """Local users (name, admin, disabled), by name; never their password hashes."""
    U = User.__table__
    with store.read() as conn:
        rows = conn.execute(select(U.c.name, U.c.is_admin, U.c.disabled).order_by(U.c.name)).all()
    return [{"name": n, "admin": bool(a), "disabled": bool(d)} for n, a, d in rows]


def project_members(store: Store, project: str) -> list[dict[str, str]]:
    """The members of ``project`` and their roles, by user name."""
    with store.read() as conn:
        rows = conn.execute(select(User.name, Membership.role).join(User, User.id == Membership.user_id)
                            .where(Membership.project == project).order_by(User.name)).all()
    return [{"user": u, "role": r} for u, r in rows]


def list_tokens(store: Store, project: str) -> list[dict[str, Any]]:
    """The API tokens of ``project``, oldest first (never their secrets)."""
    T = ApiToken.__table__
    with store.read() as conn:
        rows = conn.execute(select(T).where(T.c.project == project).order_by(T.c.id)).all()
    return [{"id": t.id, "name": t.name, "prefix": t.prefix, "role": t.role, "created_by": t.created_by,
             "expires_at": t.expires_at.isoformat(timespec="seconds") if t.expires_at else None,
             "last_used_at": t.last_used_at.isoformat(timespec="seconds") if t.last_used_at else None,
             "revoked": t.revoked_at is not None} for t in rows]


def revoke_token(store: Store, project: str, token_id: int) -> bool:
    """Revoke a token of ``project``; False when there is no such token."""
    with store.session() as s:
        result = s.execute(
            update(ApiToken).where(ApiToken.id == token_id, ApiToken.project == project, ApiToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        revoked = bool(getattr(result, "rowcount", 0))
    forget_checked_credentials(store)
    return revoked
