"""Opening the findings store: URL resolution, connection settings, migrations, transactions.

SQLite (the default) runs in WAL mode with ``synchronous=NORMAL`` and a busy timeout; every
write transaction starts with ``BEGIN IMMEDIATE`` so that concurrent writers queue for the
lock instead of failing half-way. PostgreSQL write transactions that must not interleave take
a transaction-scoped advisory lock (:func:`lock_project`).
"""

from __future__ import annotations

import os
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session

from cnsmm.errors import StoreBusyError, StoreError

ENV_DB = "CNSMM_DB"
"""Environment variable that names the store when ``--db`` is not given."""
LOCK_TIMEOUT_S = float(os.environ.get("CNSMM_LOCK_TIMEOUT", "600"))
SQLITE_BUSY_TIMEOUT_MS = 30_000
"""How long one SQLite statement waits for a lock before failing (then retried up to LOCK_TIMEOUT_S)."""
"""How long a writer waits for the SQLite write lock before giving up."""
_MIGRATION_LOCK = 7_275_001


def utcnow() -> datetime:
    """Current time as naive UTC, the store's convention."""
    return datetime.now(UTC).replace(tzinfo=None)


def default_url() -> str:
    """``$CNSMM_DB``, else a SQLite file in the user's data directory."""
    env = os.environ.get(ENV_DB)
    if env:
        return env
    import platformdirs

    path = Path(platformdirs.user_data_dir("cnsmm", appauthor=False)) / "findings.db"
    return f"sqlite:///{path}"


def normalise_url(url: str) -> str:
    """Accept a plain file path for SQLite; map ``postgresql://`` to the psycopg 3 driver."""
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().absolute()}"
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


@dataclass(frozen=True)
class Store:
    """An open findings store."""

    engine: Engine
    url: str
    """The URL, with any password hidden."""
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)
    """Facts the service keeps about this store while it is open (see ``cnsmm.web``)."""
    listeners: dict[str, Callable[[str], None]] = field(default_factory=dict, compare=False, repr=False)
    """Called by name with a project's name when work outside a request (a background import)
    changed its findings; the service registers one that refreshes the figures it keeps."""

    def changed(self, project: str) -> None:
        """Tell every listener that the findings of ``project`` changed."""
        for listener in list(self.listeners.values()):
            listener(project)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction: committed on success, rolled back on any error."""
        with self.engine.connect() as conn:
            conn.execution_options(cnsmm_begin="IMMEDIATE")
            _begin_with_retry(conn)
            try:
                yield conn
            except BaseException:
                conn.rollback()
                raise
            conn.commit()

    @contextmanager
    def write_now(self) -> Iterator[Connection]:
        """A write transaction that does not wait for a lock another writer holds (a long
        import on SQLite): raises :class:`StoreBusyError` instead, for work that can be done
        later."""
        with self.engine.connect() as conn:
            sqlite = conn.dialect.name == "sqlite"
            raw = conn.connection.driver_connection  # the pragma outside SQLAlchemy's transaction
            if sqlite and raw is not None:
                raw.execute("PRAGMA busy_timeout = 0")
            try:
                with conn.begin():
                    if not sqlite:
                        conn.exec_driver_sql("SET LOCAL lock_timeout = '100ms'")
                    yield conn
            except OperationalError as exc:
                raise StoreBusyError(f"the findings store {self.url} is busy: {exc.orig}") from None
            finally:
                if sqlite and raw is not None:
                    raw.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction (a consistent snapshot on both databases)."""
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def session(self) -> Iterator[Session]:
        """An ORM session inside a write transaction."""
        with self.write() as conn:
            session = Session(bind=conn, expire_on_commit=False)
            try:
                yield session
                session.flush()
            finally:
                session.close()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.dispose()


def lock_project(conn: Connection, project: str) -> None:
    """Serialise writers of one project on PostgreSQL (SQLite already has one writer)."""
    if conn.dialect.name == "postgresql":
        key = zlib.crc32(project.encode("utf-8"))
        conn.execute(text("SELECT pg_advisory_xact_lock(:a, :b)"), {"a": 7275, "b": key - 2**31})


def open_store(url: str | None = None, *, migrate: bool = True) -> Store:
    """Open (and create or upgrade) the store at ``url`` (default :func:`default_url`)."""
    raw = normalise_url(url or default_url())
    try:
        parsed = make_url(raw)
    except ArgumentError as exc:
        raise StoreError(
            f"invalid database URL {raw!r}: {exc}",
            hint="Use a file path, sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DB",
        ) from None
    engine = _create_engine(raw, parsed.get_backend_name())
    store = Store(engine=engine, url=parsed.render_as_string(hide_password=True))
    if migrate:
        try:
            _migrate(store)
        except OperationalError as exc:
            engine.dispose()
            raise StoreError(
                f"cannot open the findings store {store.url}: {exc.orig}",
                hint="Check the --db URL or $CNSMM_DB, that the server runs and that you may write there",
            ) from None
    return store


def _create_engine(url: str, backend: str) -> Engine:
    if backend == "sqlite":
        database = make_url(url).database
        if database and database != ":memory:":
            try:
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"cannot create the folder of the findings store {database}: {exc.strerror}",
                    hint="Use --db with a path you may write to",
                ) from None
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if backend == "postgresql":
        try:
            import psycopg  # noqa: F401
        except ModuleNotFoundError:
            raise StoreError("PostgreSQL support is not installed", hint="pip install 'cnsmm[postgres]'") from None
        # a pool as large as the concurrency of a server process, so that busy periods do not
        # open and close connections (each costs a PostgreSQL backend process)
        return create_engine(url, pool_pre_ping=True, pool_size=20, max_overflow=20, pool_recycle=3600)
    raise StoreError(
        f"unsupported database {backend!r} in {url!r}",
        hint="Use SQLite (a file path or sqlite:///PATH) or PostgreSQL (postgresql+psycopg://...)",
    )


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # SQLAlchemy emits BEGIN itself (see _sqlite_begin)
    cursor = dbapi_conn.cursor()
    for pragma in (
        "journal_mode=WAL",
        "synchronous=NORMAL",
        "foreign_keys=ON",
        f"busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
        "cache_size=-131072",
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    mode = conn.get_execution_options().get("cnsmm_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def _begin_with_retry(conn: Connection) -> None:
    deadline = time.monotonic() + LOCK_TIMEOUT_S
    delay = 0.05
    while True:
        try:
            conn.begin()
            return
        except OperationalError as exc:
            locked = "locked" in str(exc.orig) or "busy" in str(exc.orig)
            if not locked or time.monotonic() > deadline:
                raise StoreError(
                    f"the findings store is busy: {exc.orig}",
                    hint="Another import holds the write lock; retry when it has finished",
                ) from None
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


def _migrate(store: Store) -> None:
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    script = ScriptDirectory.from_config(cfg)
    head = script.get_current_head()
    with store.read() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    if current == head:
        return
    with store.write() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
        current = MigrationContext.configure(conn).get_current_revision()
        if current == head:
            return
        if current is not None and current not in {rev.revision for rev in script.walk_revisions()}:
            raise StoreError(
                f"the findings store {store.url} is at schema revision {current}, unknown to this cnsmm",
                hint="Upgrade cnsmm, or use another --db",
            )
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
