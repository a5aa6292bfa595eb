"""Projects and their settings (owner rules, CODEOWNERS, SLA days)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects import postgresql, sqlite

from cnsmm.errors import ConfigError, ProjectNotFoundError
from cnsmm.tracking.models import Project
from cnsmm.tracking.store import Store, lock_project, utcnow

PROJECT_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
"""Project names: 1-100 letters, digits, ``.``, ``_`` and ``-``, starting with a letter or digit
(the same for the CLI and the service)."""


def check_project_name(name: str) -> str:
    """``name``, or :class:`ConfigError` when it is not a valid project name."""
    if not re.match(PROJECT_NAME, name):
        raise ConfigError(
            f"--project {name[:60]!r}: not a valid project name (expected 1-100 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit)",
            hint="The service accepts the same names; e.g. --project shop-web",
        )
    return name


def ensure_project(conn: Connection, name: str) -> int:
    """Id of project ``name``, created if missing (safe against concurrent creators)."""
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    conn.execute(
        insert(Project)
        .values(name=name, settings={}, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["name"])
    )
    return int(conn.execute(select(Project.id).where(Project.name == name)).scalar_one())


def project_id(conn: Connection, name: str) -> int:
    """Id of an existing project; a clear error naming the known projects otherwise."""
    found = conn.execute(select(Project.id).where(Project.name == name)).scalar_one_or_none()
    if found is None:
        known = conn.execute(select(Project.name).order_by(Project.name).limit(20)).scalars().all()
        raise ProjectNotFoundError(
            f"no project named {name!r} in the store",
            hint=(f"Known projects: {', '.join(known)}" if known else "Import a report first")
            + " (or check --db / $CNSMM_DB)",
        )
    return int(found)


def project_settings(store: Store, name: str) -> dict[str, Any]:
    """Settings of project ``name`` (empty when it does not exist yet)."""
    with store.read() as conn:
        settings = conn.execute(select(Project.settings).where(Project.name == name)).scalar_one_or_none()
    return dict(settings or {})


def update_settings(store: Store, name: str, **changes: Any) -> dict[str, Any]:
    """Store ``changes`` in the settings of project ``name`` (created if missing)."""
    with store.write() as conn:
        lock_project(conn, name)
        pid = ensure_project(conn, name)
        settings = dict(conn.execute(select(Project.settings).where(Project.id == pid)).scalar_one() or {})
        settings.update(changes)
        conn.execute(update(Project).where(Project.id == pid).values(settings=settings))
    return settings


ASSIGNABLE = ("critical", "high", "medium", "low", "info")
"""Levels a project may assign to a rule whose tool gives no severity (``auto``: cnsmm's own)."""


def set_assigned_severities(store: Store, name: str, changes: Mapping[str, str | None]) -> dict[str, str]:
    """Change project ``name``'s severities for rules whose tool gives none (rule ids in any
    letter case; a level of None or ``auto`` goes back to cnsmm's own); returns the whole table.
    Applied on every later import (stored findings change on their stream's next import)."""
    checked: dict[str, str] = {}
    for rule, level in changes.items():
        key, wanted = rule.strip().upper(), (level or "auto").strip().lower()
        if not key or len(key) > 300 or any(ord(c) < 32 for c in key):
            raise ConfigError(f"rule {rule[:60]!r}: expected a rule id of 1-300 printable characters")
        if wanted not in (*ASSIGNABLE, "auto"):
            raise ConfigError(f"{key}: severity {str(level)[:20]!r} (expected one of {', '.join(ASSIGNABLE)} or auto)")
        checked[key] = wanted
    with store.write() as conn:
        lock_project(conn, name)
        pid = ensure_project(conn, name)
        settings = dict(conn.execute(select(Project.settings).where(Project.id == pid)).scalar_one() or {})
        table = {str(k): str(v) for k, v in dict(settings.get("severity") or {}).items()}
        for key, wanted in checked.items():
            if wanted == "auto":
                table.pop(key, None)
            else:
                table[key] = wanted
        settings["severity"] = table
        conn.execute(update(Project).where(Project.id == pid).values(settings=settings))
    return dict(sorted(table.items()))
