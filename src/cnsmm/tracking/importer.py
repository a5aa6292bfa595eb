"""Importing a parsed report into a project: stage, then merge in one transaction.

1. The findings are streamed into a temporary staging table (see :mod:`staging`). Nothing
   in the store changes; a report that fails at item 500 leaves no trace.
2. One write transaction (``BEGIN IMMEDIATE`` on SQLite, a per-project advisory lock on
   PostgreSQL) merges the staged rows with set-based statements: reopen regressions, refresh
   the findings seen again, insert the new ones, record the sources, close as fixed what this
   tool and scope no longer report. A crash before the commit leaves the store as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Connection, Table, and_, exists, func, insert, literal, or_, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.types import Boolean, DateTime, Integer, String

from cnsmm.coverage import Coverage
from cnsmm.errors import ConfigError
from cnsmm.findings import Severity
from cnsmm.tracking import staging, vex
from cnsmm.tracking.models import (
    Description,
    FindingSource,
    Project,
    Scan,
    SourceStream,
    StatusChange,
    TrackedFinding,
)
from cnsmm.tracking.owners import OwnerResolver
from cnsmm.tracking.projects import ensure_project, project_settings
from cnsmm.tracking.sla import SlaPolicy
from cnsmm.tracking.states import OPEN_STATES, Status
from cnsmm.tracking.store import Store, _begin_with_retry, lock_project, utcnow
from cnsmm.tracking.workflow import expire_risk_acceptances
from cnsmm.vcs import PathMap, clean_commit, clean_repository
from cnsmm.vocab import ReportKind

if TYPE_CHECKING:
    from cnsmm.importers.interface import ImportedReport

F = cast(Table, TrackedFinding.__table__)
S = staging.stage
K = staging.keys
SRC = cast(Table, FindingSource.__table__)
DESCRIPTIONS = cast(Table, Description.__table__)
HIST = cast(Table, StatusChange.__table__)
STREAMS = cast(Table, SourceStream.__table__)
_REFRESHED = ("severity", "severity_rank", "tool_severity", "title", "message", "fixed_version", "file", "line",
              "description_digest")
"""Columns of a finding seen again that take the value of the latest report."""


@dataclass(frozen=True)
class ImportSummary:
    """What an import changed."""

    project: str
    scan_id: int
    source: str
    tool: str
    scope: str
    read: int
    """Findings in the report (before deduplication)."""
    unique: int
    """Distinct fingerprints in the report."""
    new: int
    seen_again: int
    reopened: int
    """Fixed findings that came back (flagged as regressions)."""
    closed_fixed: int
    """Open findings this tool and scope no longer reported."""
    expired: int
    """Risk acceptances that had expired and were reopened."""
    errors: tuple[str, ...] = ()
    """Items of the report that were malformed and not imported (position and why; at most
    the first 1,000). Non-empty means the import was partial."""
    error_count: int = 0
    """How many items were not imported (all of them, not only those listed)."""
    not_covered: int = 0
    """Open findings of the stream that this scan did not report but did not look at either
    (outside its coverage): left open."""
    vex_changed: int = 0
    """Findings of the project whose status the report's VEX statements changed."""

    @property
    def partial(self) -> bool:
        """Whether some items of the report were not imported."""
        return self.error_count > 0


@dataclass(frozen=True)
class ImportOptions:
    """What the caller knows about a report beyond its content (command-line flags, API
    parameters, the CI job's checkout)."""

    scope: str | None = None
    """Replaces the scope the report names."""
    roots: tuple[str, ...] = ()
    """Checkout folders: absolute paths under one of them are stored relative to it."""
    repository: str | None = None
    """Replaces the repository the report names."""
    commit: str | None = None
    """Replaces the commit the report names."""
    covers: tuple[str, ...] = ()
    """Paths the scan covered (replaces the report's, with ``excluded``)."""
    excluded: tuple[str, ...] = ()
    """Globs the scan skipped."""
    severities: tuple[tuple[str, str], ...] = ()
    """The project's severity per rule (upper case) for findings their tool does not grade."""

    def params(self) -> dict[str, str | list[str]]:
        """These options as JSON-able job parameters (see :meth:`from_params`), without ``scope``."""
        out: dict[str, str | list[str]] = {"covers": list(self.covers), "excluded": list(self.excluded),
                                           "roots": list(self.roots)}
        if self.repository:
            out["repo"] = self.repository
        if self.commit:
            out["commit"] = self.commit
        return out

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> ImportOptions:
        """Options from job parameters (anything of the wrong type is left out)."""

        def strings(key: str) -> tuple[str, ...]:
            value = params.get(key)
            return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()

        def text(key: str) -> str | None:
            value = params.get(key)
            return value if isinstance(value, str) and value else None

        return cls(text("scope"), strings("roots"), text("repo"), text("commit"), strings("covers"),
                   strings("excluded"))

    def with_project(self, settings: dict[str, Any]) -> ImportOptions:
        """These options with the project's severity overrides (settings key ``severity``)."""
        table = settings.get("severity")
        if not isinstance(table, dict):
            return self
        pairs = tuple(sorted((str(k).upper(), str(v)) for k, v in table.items() if str(v) in _SEVERITIES))
        return replace(self, severities=pairs)

    def query(self) -> dict[str, str | list[str] | None]:
        """The import API's query parameters for these options (besides ``scope``)."""
        return {"covers": list(self.covers), "excluded": list(self.excluded), "root": list(self.roots),
                "repo": self.repository, "commit": self.commit}

    def apply(self, report: ImportedReport) -> PathMap:
        """Set the report's scope, repository, commit and coverage from these options and
        return the map that makes its paths repository-relative (the coverage's paths are
        mapped already)."""
        if self.scope:
            report.scope = self.scope
        report.repository = clean_repository(self.repository) or clean_repository(report.repository)
        report.commit = clean_commit(self.commit) or clean_commit(report.commit)
        paths = PathMap.of(*self.roots, report.root, cwd=report.cwd)
        cov = report.coverage
        if self.covers or self.excluded:
            cov = Coverage.make(self.covers, self.excluded, cov.unread, cov.rules)
        report.coverage = Coverage.make(
            [paths.portable(p) or "" for p in cov.paths], cov.exclude,
            [paths.portable(p) or "" for p in cov.unread], cov.rules,
        )
        return paths


RowSource = Callable[
    [OwnerResolver, dict[str, "date | str | None"]], tuple["ImportedReport", Iterator[tuple[Any, ...]]]
]
"""Gives the report (for its metadata) and its staging rows, given the owners and due dates."""


def import_report(
    store: Store,
    report: ImportedReport,
    *,
    project: str,
    source_name: str,
    source_sha256: str,
    actor: str,
    owners: OwnerResolver | None = None,
    sla: SlaPolicy | None = None,
    progress: Callable[[int], None] | None = None,
    batch_size: int = 5000,
    scope: str | None = None,
    options: ImportOptions | None = None,
) -> ImportSummary:
    """Import every finding of ``report`` into ``project``, all or nothing (``scope`` replaces
    the scope the report names; ``options`` say more about the report)."""
    opts = (options or ImportOptions()).with_project(project_settings(store, project))
    if scope:
        opts = replace(opts, scope=scope)
    paths = opts.apply(report)
    return import_rows(
        store,
        lambda who, due: (report, staging.rows(report.findings, report.scope, who, due, paths,
                                               dict(opts.severities))),
        project=project,
        source_name=source_name,
        source_sha256=source_sha256,
        actor=actor,
        owners=owners,
        sla=sla,
        progress=progress,
        batch_size=batch_size,
    )


def import_rows(
    store: Store,
    source: RowSource,
    *,
    project: str,
    source_name: str,
    source_sha256: str,
    actor: str,
    owners: OwnerResolver | None = None,
    sla: SlaPolicy | None = None,
    progress: Callable[[int], None] | None = None,
    batch_size: int = 5000,
    skip_identical: bool = True,
    on_merge: Callable[[Connection, ImportSummary], None] | None = None,
) -> ImportSummary:
    """Import the staging rows that ``source`` produces (see :func:`import_report`).

    ``on_merge`` runs inside the merge transaction, after the merge and before the commit: a
    background job records there that it is done, so that the import and that record commit
    together (or neither does, when it raises).

    When the file (by SHA-256) is the one of the latest scan of the same tool and scope, its
    findings are not staged again: the result is the same as a full merge (every finding of
    that scan seen again, fixed ones reopened), computed from the store. ``source`` may be
    called a second time, when that turns out not to hold any more under the write lock.
    """
    settings = project_settings(store, project)
    owners = owners if owners is not None else OwnerResolver.from_settings(settings)
    sla = sla or SlaPolicy.from_settings(settings.get("sla"))
    now = utcnow()
    due: dict[str, date | str | None] = {sev: sla.due(sev, now) for sev in sla.days}
    if store.dialect == "sqlite":  # bulk rows bypass SQLAlchemy's type processing
        due = {sev: d.isoformat() if isinstance(d, date) else d for sev, d in due.items()}
    for shortcut in (True, False) if skip_identical and source_sha256 else (False,):
        with store.engine.connect() as conn:
            try:
                with conn.begin():
                    staging.create(conn)
                    report, rows = source(owners, due)
                    # SBOMs and VEX documents are read again: their VEX statements apply anew.
                    identical = (shortcut and str(report.kind) not in (ReportKind.SBOM, ReportKind.VEX)
                                 and _latest_sha256(conn, project, report) == source_sha256)
                    if identical:
                        cast(Generator[Any, None, None], rows).close()
                        read = 0
                    else:
                        read = staging.load(conn, rows, batch_size=batch_size, progress=progress)
                conn.execution_options(cnsmm_begin="IMMEDIATE")
                _begin_with_retry(conn)
                try:
                    summary = _merge(
                        conn,
                        report,
                        project=project,
                        source_name=source_name,
                        sha256=source_sha256,
                        actor=actor,
                        now=now,
                        read=read,
                        identical=identical,
                    )
                except _NotIdentical:
                    continue  # another import of this stream landed meanwhile: do the full merge
                if on_merge is not None:
                    on_merge(conn, summary)
                conn.commit()
                return summary
            finally:
                if conn.in_transaction():
                    conn.rollback()
                if conn.dialect.name == "sqlite":
                    conn.invalidate()  # closing the connection discards its temporary tables at once
                elif not conn.closed and not conn.invalidated:
                    with conn.begin():
                        staging.drop(conn)
    raise AssertionError("unreachable: the full merge never asks for a retry")


_SEVERITIES = frozenset(s.value for s in Severity)

MAX_SCOPE = 500
"""Longest scope name accepted (characters)."""


def check_scope(scope: str, *, where: str = "--scope") -> str:
    """``scope`` stripped, or :class:`ConfigError` when it is empty, too long or holds control characters."""
    value = scope.strip()
    if not value or len(value) > MAX_SCOPE or any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in value):
        raise ConfigError(
            f"{where} {scope[:60]!r}: not a usable scope (got {len(scope)} characters, expected 1-{MAX_SCOPE} "
            "printable characters)",
            hint="Name what the report covered, e.g. repo:github.com/acme/shop or image:registry/app",
        )
    return value


class _NotIdentical(Exception):
    """The stream's latest scan changed between the check and the merge."""


def _latest_sha256(conn: Connection, project: str, report: ImportedReport) -> str | None:
    """SHA-256 of the file of the latest scan of this report's tool and scope in the project,
    when that import was complete; ``None`` when it was partial (the file must be read again,
    so that its errors are reported again and nothing is closed)."""
    row = conn.execute(
        select(Scan.source_sha256, Scan.error_count)
        .join(Project, Project.id == Scan.project_id)
        .where(Project.name == project, Scan.tool == report.tool[:100], Scan.scope == report.scope)
        .order_by(Scan.id.desc())
        .limit(1)
    ).first()
    return row[0] if row is not None and not row[1] else None


def _merge(
    conn: Connection,
    report: ImportedReport,
    *,
    project: str,
    source_name: str,
    sha256: str,
    actor: str,
    now: datetime,
    read: int,
    identical: bool = False,
) -> ImportSummary:
    lock_project(conn, project)
    if identical and _latest_sha256(conn, project, report) != sha256:
        raise _NotIdentical
    project_id = ensure_project(conn, project)
    generated = report.generated_at
    if generated is not None and generated.tzinfo is not None:
        generated = generated.astimezone(UTC).replace(tzinfo=None)
    scan_id: int = conn.execute(
        insert(Scan)
        .values(
            project_id=project_id,
            tool=report.tool[:100],
            tool_version=report.tool_version[:100] if report.tool_version else None,
            format=report.format[:50],
            kind=report.kind[:50],
            scope=report.scope,
            coverage=report.coverage.to_json(),
            repository=report.repository,
            commit=report.commit,
            generated_at=generated,
            imported_at=now,
            imported_by=actor[:200],
            source_name=source_name,
            source_sha256=sha256,
        )
        .returning(Scan.id)
    ).scalar_one()
    expired = expire_risk_acceptances(conn, project_id, scan_id=scan_id)
    stream_id = _stream(conn, project_id, report.tool[:100], report.scope, scan_id, now)
    if identical:
        return _merge_identical(conn, report, project, project_id, stream_id, scan_id, now, source_name, expired)
    now_ = literal(now, DateTime())
    scan_ = literal(scan_id, Integer())
    conn.execute(
        _insert(conn, DESCRIPTIONS)
        .from_select(["digest", "text"], select(S.c.description_digest, S.c.description)
                     .where(S.c.description.is_not(None)))
        .on_conflict_do_nothing()
    )
    _match_keys(conn, project_id)
    unique, seen = conn.execute(select(func.count(), func.count(K.c.finding_id))).one()

    # Fixed findings seen again: reopen them as regressions.
    came_back = and_(
        F.c.project_id == project_id,
        F.c.status == Status.FIXED.value,
        F.c.id.in_(select(K.c.finding_id)),
    )
    reason = f"seen again by scan {scan_id} ({report.tool} {report.scope}): regression"
    _history(conn, came_back, Status.FIXED.value, Status.OPEN.value, reason=reason, scan_id=scan_id, now=now)
    reopened = conn.execute(
        update(F)
        .where(came_back)
        .values(status=Status.OPEN.value, regression=True, fixed_at=None, status_changed_at=now)
    ).rowcount

    # Findings seen again whose details changed: take what the latest report says.
    changed = [F.c[c].is_distinct_from(S.c[c]) for c in _REFRESHED]
    changed.append(and_(F.c.owner.is_(None), S.c.owner.is_not(None)))
    conn.execute(
        update(F)
        .where(F.c.id == K.c.finding_id, S.c.seq == K.c.row, or_(*changed))
        .values(**{c: S.c[c] for c in _REFRESHED}, owner=func.coalesce(F.c.owner, S.c.owner))
    )

    # New findings, in fingerprint order: the unique (project, fingerprint) index then grows
    # at its end instead of taking a random insert per finding (the other indexes grow at a
    # few points either way), which costs more than the stage's random reads by row number.
    cols = list(staging.FINDING_COLUMNS)
    new_rows = (
        select(
            literal(project_id, Integer()),
            S.c.fingerprint,
            *[S.c[c] for c in cols],
            literal(Status.OPEN.value, String()),
            literal(False, Boolean()),
            now_,
            scan_,
        )
        .where(K.c.finding_id.is_(None), K.c.fingerprint == S.c.fingerprint, S.c.seq == K.c.row)
        .order_by(K.c.fingerprint)
    )
    target = ["project_id", "fingerprint", *cols, "status", "regression", "first_seen", "first_scan_id"]
    new = unique - seen  # exact: the project lock keeps other imports out of the merge
    if new:
        conn.execute(_insert(conn, F).from_select(target, new_rows).on_conflict_do_nothing())
        _match_keys(conn, project_id, unmatched_only=True)

    # Sources: new ones, ones that came back, ones this scan no longer reports. New sources are
    # written in finding order, so that their unique index grows at its end.
    src_rows = select(K.c.finding_id, literal(stream_id, Integer()), literal(True, Boolean()), scan_, now_)
    conn.execute(
        _insert(conn, SRC)
        .from_select(["finding_id", "stream_id", "active", "first_scan_id", "first_seen"],
                     src_rows.where(true()).order_by(K.c.finding_id))
        .on_conflict_do_nothing()
    )
    in_stream = SRC.c.stream_id == stream_id
    conn.execute(
        update(SRC)
        .where(in_stream, SRC.c.active.is_(False), SRC.c.finding_id.in_(select(K.c.finding_id)))
        .values(active=True, gone_scan_id=None, last_seen=None)
    )
    partial = len(report.errors) > 0  # a skipped item may be a finding still there: close nothing
    active = conn.scalar(select(func.count()).select_from(SRC).where(in_stream, SRC.c.active.is_(True)))
    if active != unique and not partial:  # else every active source of the stream is in this scan: none has gone
        conn.execute(
            update(SRC)
            .where(in_stream, SRC.c.active.is_(True), SRC.c.finding_id.not_in(select(K.c.finding_id)))
            .values(active=False, gone_scan_id=scan_id, last_seen=previous_seen(conn, stream_id, scan_id))
        )

    # Open findings that this stream no longer reports, and that no other stream still does.
    other = SRC.alias("other")
    gone = and_(
        F.c.id.in_(select(SRC.c.finding_id).where(in_stream, SRC.c.active.is_(False))),
        F.c.status.in_([s.value for s in OPEN_STATES]),
        ~exists().where(other.c.finding_id == F.c.id, other.c.active.is_(True)),
    )
    reason = f"not reported by scan {scan_id} ({report.tool} {report.scope})"
    closed = not_covered = 0
    if not partial and report.coverage.everything:
        _history(conn, gone, None, Status.FIXED.value, reason=reason, scan_id=scan_id, now=now)
        closed = conn.execute(
            update(F).where(gone).values(status=Status.FIXED.value, fixed_at=now, status_changed_at=now)
        ).rowcount
    elif not partial:  # only what the scan looked at: the rest was not seen, not fixed
        candidates = conn.execute(select(F.c.id, F.c.file, F.c.rule).where(gone)).all()
        inside = [fid for fid, file, rule in candidates if report.coverage.covers(file, rule)]
        not_covered = len(candidates) - len(inside)
        for i in range(0, len(inside), 10_000):
            chunk = and_(gone, F.c.id.in_(inside[i:i + 10_000]))
            _history(conn, chunk, None, Status.FIXED.value, reason=reason, scan_id=scan_id, now=now)
            closed += conn.execute(
                update(F).where(chunk).values(status=Status.FIXED.value, fixed_at=now, status_changed_at=now)
            ).rowcount

    # VEX statements (OpenVEX, CycloneDX analysis): status of the project's matching findings.
    vex_changed = vex.apply(conn, project_id, report.vex, source=source_name, actor=actor, scan_id=scan_id,
                            now=now) if report.vex else 0

    conn.execute(
        update(Scan)
        .where(Scan.id == scan_id)
        .values(finding_count=unique, new_count=new, reopened_count=reopened, fixed_count=closed,
                error_count=len(report.errors))
    )
    return ImportSummary(
        project, scan_id, source_name, report.tool, report.scope, read, unique, new, seen, reopened, closed, expired,
        tuple(report.errors.lines(source_name)), len(report.errors), not_covered, vex_changed,
    )


def _merge_identical(
    conn: Connection,
    report: ImportedReport,
    project: str,
    project_id: int,
    stream_id: int,
    scan_id: int,
    now: datetime,
    source_name: str,
    expired: int,
) -> ImportSummary:
    """The merge of a file identical to the stream's latest scan: its findings are the active sources."""
    reported = select(SRC.c.finding_id).where(SRC.c.stream_id == stream_id, SRC.c.active.is_(True))
    came_back = and_(F.c.status == Status.FIXED.value, F.c.id.in_(reported))
    reason = f"seen again by scan {scan_id} ({report.tool} {report.scope}): regression"
    _history(conn, came_back, Status.FIXED.value, Status.OPEN.value, reason=reason, scan_id=scan_id, now=now)
    reopened = conn.execute(
        update(F)
        .where(came_back)
        .values(status=Status.OPEN.value, regression=True, fixed_at=None, status_changed_at=now)
    ).rowcount
    seen = int(conn.execute(select(func.count()).select_from(reported.subquery())).scalar_one())
    conn.execute(update(Scan).where(Scan.id == scan_id).values(finding_count=seen, reopened_count=reopened))
    return ImportSummary(
        project, scan_id, source_name, report.tool, report.scope, seen, seen, 0, seen, reopened, 0, expired
    )


def _stream(conn: Connection, project_id: int, tool: str, scope: str, scan_id: int, now: datetime) -> int:
    """Id of the (project, tool, scope) stream, created if missing, moved to this scan."""
    conn.execute(
        _insert(conn, STREAMS)
        .values(project_id=project_id, tool=tool, scope=scope, last_scan_id=scan_id, last_seen=now)
        .on_conflict_do_nothing()
    )
    key = and_(STREAMS.c.project_id == project_id, STREAMS.c.tool == tool, STREAMS.c.scope == scope)
    stream_id = int(conn.execute(select(STREAMS.c.id).where(key)).scalar_one())
    conn.execute(update(STREAMS).where(STREAMS.c.id == stream_id).values(last_scan_id=scan_id, last_seen=now))
    return stream_id


def previous_seen(conn: Connection, stream_id: int, scan_id: int) -> datetime | None:
    """When the scan of this stream before ``scan_id`` ran (the last time its sources were seen)."""
    stream = conn.execute(select(STREAMS).where(STREAMS.c.id == stream_id)).one()
    return conn.execute(
        select(func.max(Scan.imported_at)).where(
            Scan.project_id == stream.project_id,
            Scan.tool == stream.tool,
            Scan.scope == stream.scope,
            Scan.id < scan_id,
        )
    ).scalar_one_or_none()


def _match_keys(conn: Connection, project_id: int, *, unmatched_only: bool = False) -> None:
    """Set each key's ``finding_id`` to the project's finding with that fingerprint.

    PostgreSQL joins the two tables (a correlated subquery there costs a planned lookup per
    key: seconds per 100,000); SQLite runs the subquery as an index probe per key, and its
    UPDATE ... FROM needs 3.33 or newer.
    """
    same = and_(F.c.project_id == project_id, F.c.fingerprint == K.c.fingerprint)
    keys = update(K).where(K.c.finding_id.is_(None)) if unmatched_only else update(K)
    if conn.dialect.name == "postgresql":
        conn.execute(keys.where(same).values(finding_id=F.c.id))
    else:
        conn.execute(keys.values(finding_id=select(F.c.id).where(same).scalar_subquery()))


def _insert(conn: Connection, table: Any) -> Any:
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def _history(
    conn: Connection, where: Any, old: str | None, new: str, *, reason: str, scan_id: int, now: datetime
) -> None:
    rows = select(
        F.c.id,
        literal(now, DateTime()),
        literal("cnsmm", String()),
        literal(old, String()) if old else F.c.status,
        literal(new, String()),
        literal(reason, String()),
        literal(scan_id, Integer()),
    ).where(where)
    conn.execute(
        insert(HIST).from_select(["finding_id", "at", "actor", "from_status", "to_status", "reason", "scan_id"], rows)
    )
