"""The staging table: one import's findings, deduplicated by fingerprint, before the merge.

Rows are written in batches with the driver's fastest bulk path (``executemany`` on SQLite,
``COPY`` on PostgreSQL) into a temporary table private to the connection, so that nothing in
the store changes until the merge transaction, and a report that fails half-way leaves no
trace.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import date
from itertools import islice
from typing import Any

from sqlalchemy import Column, Connection, Date, Integer, MetaData, String, Table, Text

from cnsmm.findings import Finding
from cnsmm.tracking.fingerprint import fingerprint
from cnsmm.tracking.owners import OwnerResolver

STAGE = "cnsmm_stage"
_RAW = "cnsmm_stage_raw"
_meta = MetaData()
stage = Table(
    STAGE,
    _meta,
    Column("fingerprint", String(64), primary_key=True),
    Column("finding_id", Integer),
    Column("kind", String(20)),
    Column("severity", String(10)),
    Column("severity_rank", Integer),
    Column("tool_severity", String(50)),
    Column("title", Text),
    Column("message", Text),
    Column("description", Text),
    Column("fix", Text),
    Column("category", String(30)),
    Column("rule", String(300)),
    Column("vuln_id", String(100)),
    Column("aliases", Text),
    Column("cwe", Text),
    Column("component", Text),
    Column("installed_version", String(200)),
    Column("fixed_version", Text),
    Column("file", Text),
    Column("line", Integer),
    Column("resource", Text),
    Column("image", Text),
    Column("url", Text),
    Column("owner", String(200)),
    Column("due", Date),
    prefixes=["TEMPORARY"],
)
COLUMNS = tuple(c.name for c in stage.columns if c.name != "finding_id")
"""Staged columns, in the order of the rows that :func:`rows` yields."""
_MAX_INT = 2**31 - 1


def _t(value: str | None, limit: int) -> str | None:
    """Text safe for both databases: no NUL characters, at most ``limit`` characters."""
    if value is None:
        return None
    if "\x00" in value:
        value = value.replace("\x00", "")
    return value[:limit]


def rows(
    findings: Iterable[Finding],
    scope: str,
    owners: OwnerResolver,
    due_by_severity: dict[str, date | None],
) -> Iterator[tuple[Any, ...]]:
    """Staging rows (in :data:`COLUMNS` order) for ``findings``."""
    for f in findings:
        kind, value, vuln_id = fingerprint(f, scope)
        loc = f.location
        owner = owners.owner(loc.file, loc.image, loc.resource) if owners else None
        line = loc.line if loc.line is not None and 0 <= loc.line <= _MAX_INT else None
        yield (
            value,
            kind,
            f.severity.value,
            f.severity.rank,
            _t(f.tool_severity, 50),
            _t(f.title, 1000) or "",
            _t(f.message, 4000) or "",
            _t(f.description, 8000),
            _t(f.fix, 4000),
            _t(f.category, 30),
            _t(f.rule, 300),
            _t(vuln_id, 100),
            _t(" ".join(f.aliases), 2000) or None,
            _t(" ".join(f.cwe), 1000) or None,
            _t(f.component, 1000),
            _t(f.installed_version, 200),
            _t(f.fixed_version, 1000),
            _t(loc.file, 2000),
            line,
            _t(loc.resource, 1000),
            _t(loc.image, 1000),
            _t(loc.url, 2000),
            _t(owner, 200),
            due_by_severity.get(f.severity.value),
        )


def create(conn: Connection) -> None:
    """(Re)create the empty staging table on this connection."""
    drop(conn)
    stage.create(conn)
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {_RAW} (seq bigint, LIKE {STAGE} INCLUDING DEFAULTS)")


def drop(conn: Connection) -> None:
    """Drop the staging tables if they exist."""
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {STAGE}")
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {_RAW}")


def load(
    conn: Connection,
    staged: Iterator[tuple[Any, ...]],
    *,
    batch_size: int = 5000,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write ``staged`` rows in batches (first occurrence of a fingerprint wins); return the count."""
    dbapi = conn.connection.driver_connection
    assert dbapi is not None
    total = 0
    names = ", ".join(COLUMNS)
    if conn.dialect.name == "sqlite":
        marks = ", ".join("?" * len(COLUMNS))
        sql = f"INSERT OR IGNORE INTO {STAGE} ({names}) VALUES ({marks})"  # noqa: S608
        cursor = dbapi.cursor()
        while batch := [(*r[:-1], r[-1].isoformat() if r[-1] else None) for r in islice(staged, batch_size)]:
            cursor.executemany(sql, batch)
            total += len(batch)
            if progress:
                progress(total)
        cursor.close()
        return total
    with dbapi.cursor() as cursor, cursor.copy(f"COPY {_RAW} (seq, {names}) FROM STDIN") as copy:
        for row in staged:
            copy.write_row((total, *row))
            total += 1
            if progress and total % batch_size == 0:
                progress(total)
    conn.exec_driver_sql(
        f"INSERT INTO {STAGE} ({names}) SELECT DISTINCT ON (fingerprint) {names} "  # noqa: S608
        f"FROM {_RAW} ORDER BY fingerprint, seq"
    )
    conn.exec_driver_sql(f"TRUNCATE {_RAW}")
    if progress:
        progress(total)
    return total
