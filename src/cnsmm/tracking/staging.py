"""The staging table: one import's findings, deduplicated by fingerprint, before the merge.

Rows are written in batches with the driver's fastest bulk path (``executemany`` on SQLite,
``COPY`` on PostgreSQL) into a temporary table private to the connection, so that nothing in
the store changes until the merge transaction, and a report that fails half-way leaves no
trace.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import date
from hashlib import blake2b
from itertools import islice
from typing import Any

from sqlalchemy import Column, Connection, Date, Integer, MetaData, String, Table, Text, func, select

from cnsmm.findings import Finding, Severity
from cnsmm.tracking.fingerprint import fingerprint
from cnsmm.tracking.owners import OwnerResolver
from cnsmm.vcs import PathMap

_meta = MetaData()
stage = Table(
    "cnsmm_stage",
    _meta,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("fingerprint", String(64)),
    Column("kind", String(20)),
    Column("severity", String(10)),
    Column("severity_rank", Integer),
    Column("tool_severity", String(50)),
    Column("title", Text),
    Column("message", Text),
    Column("fix", Text),
    Column("category", String(30)),
    Column("rule", String(300)),
    Column("vuln_id", String(300)),
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
    Column("reference", Text),
    Column("owner", String(200)),
    Column("due", Date),
    Column("description_digest", String(32)),
    Column("description", Text),
    prefixes=["TEMPORARY"],
)
"""Every finding of the report, in report order (``seq``).

The tool's long description is the same text for every package and image a vulnerability is
found in: each row has its digest, and only the first row with a given digest has the text,
which goes to the ``descriptions`` table once.
"""
keys = Table(
    "cnsmm_stage_keys",
    _meta,
    Column("fingerprint", String(64), primary_key=True),
    Column("row", Integer, nullable=False),
    Column("finding_id", Integer),
    prefixes=["TEMPORARY"],
    sqlite_with_rowid=False,
)
"""One row per distinct fingerprint: its first staged row and the matching finding, if any."""
COLUMNS = tuple(c.name for c in stage.columns if c.name != "seq")
"""Staged columns, in the order of the rows that :func:`rows` yields."""
FINDING_COLUMNS = tuple(c for c in COLUMNS if c not in ("fingerprint", "description"))
"""Staged columns that are columns of a new finding, besides its fingerprint."""
MAX_DESCRIPTION = 20_000
"""Longest description kept (characters)."""
_MAX_INT = 2**31 - 1
_LIMITS: tuple[int, ...] = (64, 20, 10, 0, 50, 1000, 4000, 4000, 30, 300, 300, 2000, 1000, 1000, 200, 1000)
_LIMITS += (2000, 0, 1000, 1000, 2000, 2000, 200, 0, 32, MAX_DESCRIPTION)
"""Longest value kept per staged column (longer text is cut); 0: not text, never cut (the due
date is an ISO string on SQLite)."""
_FAST_LIMIT = 1000
"""Rows with less text than the shortest text limit need no cutting (given the other checks)."""


def _t(value: str, limit: int) -> str:
    """Text safe for both databases: no NUL characters, at most ``limit`` characters."""
    return value.replace("\x00", "")[:limit]


def _reference(references: tuple[str, ...]) -> str | None:
    """The first http(s) link among a finding's references (other schemes are never kept)."""
    return next((r for r in references if r.startswith(("https://", "http://"))), None)


def rows(
    findings: Iterable[Finding],
    scope: str,
    owners: OwnerResolver,
    due_by_severity: dict[str, date | str | None],
    paths: PathMap | None = None,
    severities: dict[str, str] | None = None,
) -> Iterator[tuple[Any, ...]]:
    """Staging rows (in :data:`COLUMNS` order) for ``findings``.

    ``due_by_severity`` gives the due date per severity, as a ``date`` or, for SQLite, as
    the ISO string that SQLAlchemy stores. ``paths`` makes file paths repository-relative
    (before the fingerprint is computed, so that two checkouts give one finding);
    ``severities`` (rule in upper case -> severity) grades findings their tool did not grade.
    """
    described: set[str] = set()
    for found in findings:
        f = found
        if paths is not None and f.location.file:
            portable = paths.portable(f.location.file)
            if portable != f.location.file:
                f = replace(f, location=replace(f.location, file=portable))
        if severities and f.tool_severity is None and (level := severities.get(f.rule.upper())):
            f = replace(f, severity=Severity(level))
        kind, value, vuln_id = fingerprint(f, scope)
        text = (_t(f.description, MAX_DESCRIPTION) or None) if f.description else None
        digest = blake2b(text.encode(), digest_size=16).hexdigest() if text else None
        if digest is not None:
            if digest in described:
                text = None  # stored with its first finding
            else:
                described.add(digest)
        loc = f.location
        owner = owners.owner(loc.file, loc.image, loc.resource) if owners else None
        line = loc.line if loc.line is not None and 0 <= loc.line <= _MAX_INT else None
        row: tuple[Any, ...] = (
            value,
            kind,
            f.severity.value,
            f.severity.rank,
            f.tool_severity,
            f.title,
            f.message,
            f.fix,
            f.category,
            f.rule,
            vuln_id,
            " ".join(f.aliases) or None,
            " ".join(f.cwe) or None,
            f.component,
            f.installed_version,
            f.fixed_version,
            loc.file,
            line,
            loc.resource,
            loc.image,
            loc.url,
            _reference(f.references),
            owner,
            due_by_severity.get(f.severity.value),
            digest,
            text,
        )
        # Cheap checks per row; the rare long or NUL-carrying rows are cut field by field
        # (the description is already cut).
        joined = "".join([v for v in row[:-1] if type(v) is str])
        if (
            len(joined) > _FAST_LIMIT
            or "\x00" in joined
            or len(f.rule) > 300
            or len(f.category) > 30
            or len(f.tool_severity or "") > 50
            or len(f.installed_version or "") > 200
            or len(owner or "") > 200
        ):
            row = tuple(_t(v, lim) if lim and type(v) is str else v for v, lim in zip(row, _LIMITS, strict=True))
        yield row


def create(conn: Connection) -> None:
    """(Re)create the empty staging tables on this connection."""
    drop(conn)
    stage.create(conn)
    keys.create(conn)


def drop(conn: Connection) -> None:
    """Drop the staging tables if they exist."""
    keys.drop(conn, checkfirst=True)
    stage.drop(conn, checkfirst=True)


def load(
    conn: Connection,
    staged: Iterator[tuple[Any, ...]],
    *,
    batch_size: int = 5000,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write ``staged`` rows, then one key row per distinct fingerprint; return the rows read.

    The key table is small and ordered by fingerprint, which keeps the merge's index probes
    sequential; the bulky columns are read from the stage only for new or changed findings.
    """
    dbapi = conn.connection.driver_connection
    assert dbapi is not None
    total = 0
    names = ", ".join(COLUMNS)
    if conn.dialect.name == "sqlite":
        marks = ", ".join("?" * len(COLUMNS))
        sql = f"INSERT INTO {stage.name} ({names}) VALUES ({marks})"  # noqa: S608
        cursor = dbapi.cursor()
        while True:
            cursor.executemany(sql, islice(staged, batch_size))
            if cursor.rowcount <= 0:
                break
            total += cursor.rowcount
            if progress:
                progress(total)
        cursor.close()
    else:
        with dbapi.cursor() as cursor, cursor.copy(f"COPY {stage.name} (seq, {names}) FROM STDIN") as copy:
            for row in staged:
                total += 1
                copy.write_row((total, *row))
                if progress and total % batch_size == 0:
                    progress(total)
        if progress:
            progress(total)
    conn.execute(
        keys.insert().from_select(
            ["fingerprint", "row"],
            select(stage.c.fingerprint, func.min(stage.c.seq)).group_by(stage.c.fingerprint),
        )
    )
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"ANALYZE {stage.name}")
        conn.exec_driver_sql(f"ANALYZE {keys.name}")
    return total
