"""The SQL database handle: engine creation, SQLite tuning and transaction helpers.

Everything that talks SQL goes through ``Database``: reads use ``read()``, writes use
``write()``. On SQLite a write transaction starts with ``BEGIN IMMEDIATE`` so that two
processes never both read and then fail to upgrade to a write lock; WAL mode lets readers
proceed while a writer commits, and ``busy_timeout`` makes writers queue instead of failing.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DataError

from glare_core.data.sql.tables import metadata
from glare_core.errors import BadRequest, StartupError

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Connections a lock engine keeps open between uses; more are opened while needed.
LOCK_POOL_SIZE = 5

log = logging.getLogger(__name__)


#: The databases Glare's tables, locks and migrations are written and tested for.
SUPPORTED_BACKENDS = ("sqlite", "postgresql")
#: Seconds to wait for a PostgreSQL server to accept a connection (libpq's connect_timeout).
PG_CONNECT_TIMEOUT = 10


class UnusableDatabaseURL(ValueError):
    """A database URL Glare cannot use (not a URL, another database, no driver)."""


def masked_url(url: str) -> str:
    """The URL to show in messages: its password as ``***``."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "(not a database URL)"


def create_db_engine(url: str, **options: Any) -> Engine:
    """Create an SQLAlchemy engine with Glare's per-backend settings.

    :raises UnusableDatabaseURL: saying why, without the URL's password.
    """
    try:
        sa_url = sa.make_url(url)
    except sa.exc.ArgumentError:
        raise UnusableDatabaseURL(
            "not a database URL (dialect+driver://user:password@host/database)") from None
    backend = sa_url.get_backend_name()
    if backend not in SUPPORTED_BACKENDS:
        raise UnusableDatabaseURL(f"Glare runs on {' and '.join(SUPPORTED_BACKENDS)}, "
                                  f"not {backend}")
    try:
        if backend == "sqlite":
            engine = sa.create_engine(
                sa_url, connect_args={"check_same_thread": False, "timeout": 30}, **options
            )
            _tune_sqlite(engine)
            return engine
        options.setdefault("pool_pre_ping", True)
        connect_args = options.setdefault("connect_args", {})
        if "connect_timeout" not in sa_url.query:
            # A host that drops packets would otherwise hold a start-up, or a request,
            # for as long as the kernel retries (minutes); the URL may set its own.
            connect_args.setdefault("connect_timeout", PG_CONNECT_TIMEOUT)
        if sa_url.get_driver_name() == "psycopg" and "prepare_threshold" not in sa_url.query:
            # psycopg prepares a statement on the server once it has run it 5 times, and
            # forgets every prepared statement (DEALLOCATE ALL, one more round trip) at
            # each rollback, which ends every read: statements were prepared only to be
            # dropped again. Glare's statements are short; planning them is cheaper.
            connect_args.setdefault("prepare_threshold", None)
        if "options" not in sa_url.query:
            # No JIT: Glare's queries are short, and at a million rows the planner's cost
            # estimates made PostgreSQL compile some of them, 20-40 ms on every request
            # to save a few.
            connect_args.setdefault("options", "-c jit=off")
        return sa.create_engine(sa_url, **options)
    except (sa.exc.NoSuchModuleError, ImportError) as exc:
        hint = (" (pip install 'glare-core[postgres]' installs psycopg, for "
                "postgresql+psycopg:// URLs)" if backend == "postgresql" else "")
        raise UnusableDatabaseURL(
            f"no driver for {sa_url.drivername}: {exc}{hint}") from None


def _tune_sqlite(engine: Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's begin event decide how transactions start (see below).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("glare_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class WriterTurns:
    """SQLite writers take turns here before ``BEGIN IMMEDIATE``.

    SQLite has one writer at a time, and a writer that finds the database busy polls it
    with sleeps of growing length (1, 2, 5, 10 ... 100 ms): with a dozen concurrent
    writers, most of their time goes into those sleeps, while the database sits idle
    between them. Here the threads of a process queue on a lock, and the processes on an
    ``flock`` of a file beside the database, both woken the moment the lock is free; the
    database's busy timeout still covers writers that do not queue here (other tools).
    """

    def __init__(self, database_path: Path | None) -> None:
        self._lock_path = (None if database_path is None
                           else database_path.with_name(database_path.name + ".writer"))
        self._threads = threading.Lock()
        self._depth = threading.local()
        self._file: tuple[int, int] | None = None  # (pid, fd): an fd is not shared by forks

    @contextlib.contextmanager
    def turn(self) -> Iterator[None]:
        depth = getattr(self._depth, "value", 0)
        if depth:  # a write inside a write of the same thread: already our turn
            self._depth.value = depth + 1
            try:
                yield
            finally:
                self._depth.value = depth
            return
        with self._threads:
            fd = self._lock_file()
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            self._depth.value = 1
            try:
                yield
            finally:
                self._depth.value = 0
                if fd is not None:
                    fcntl.flock(fd, fcntl.LOCK_UN)

    def _lock_file(self) -> int | None:
        """This process's descriptor of the lock file (None: no file, e.g. in memory).
        A descriptor inherited from the process that forked this one shares its lock,
        so each process opens its own."""
        if self._lock_path is None:
            return None
        pid = os.getpid()
        if self._file is None or self._file[0] != pid:
            try:
                fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            except OSError as exc:  # e.g. a read-only folder: the busy timeout still serves
                log.warning("cannot open %s (%s): SQLite writers poll for their turn",
                            self._lock_path, exc)
                self._lock_path = None
                return None
            self._file = (pid, fd)
        return self._file[1]


class Database:
    """Holds the engine; the object Flask-Migrate and every SQL data API share."""

    metadata = metadata

    def __init__(self, url: str, **options: Any) -> None:
        self.url = url
        self.engine = create_db_engine(url, **options)
        self._writer = self.engine.execution_options(glare_write=True)
        self._reader = self.engine
        if self.dialect == "postgresql":
            # One snapshot for every statement of a read: an artifact is assembled from
            # several queries (row, properties, blobs; a page and its count), and under
            # READ COMMITTED each would see the commits made in between: a GET could show
            # half of one PATCH, or an artifact emptied by a DELETE. Read-only
            # REPEATABLE READ transactions never fail to serialize. (SQLite's read
            # transactions are snapshots already.)
            self._reader = self.engine.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True)
        #: PostgreSQL: a second engine for connections that hold a lock for a whole
        #: operation (data/sql/advisory_locks.py). Its pool is its own, so requests
        #: waiting for a lock never take the connections the holder needs for its work;
        #: it is not capped, as each thread holds at most one connection per lock it
        #: holds or waits for. Statements on it commit on their own.
        self.lock_engine: Engine | None = None
        self._writer_turns = WriterTurns(self.sqlite_path) if self.dialect == "sqlite" else None
        if self.dialect == "postgresql":
            self.lock_engine = create_db_engine(
                url, pool_size=LOCK_POOL_SIZE, max_overflow=-1, isolation_level="AUTOCOMMIT")

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite database file, or None (another database, or SQLite in memory)."""
        url = self.engine.url
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            return None
        return Path(url.database)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def check_connection(self, origin: str) -> None:
        """Connect once, so that a database that cannot be reached stops a command with
        one line saying so (``origin``: where the URL came from) instead of a traceback."""
        try:
            with self.engine.connect():
                pass
        except sa.exc.DBAPIError as exc:
            reason = (str(exc.orig).strip().splitlines() or [type(exc.orig).__name__])[0]
            raise StartupError(f"Cannot connect to the database {masked_url(self.url)} "
                               f"({origin}): {reason}") from None

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for reads: one transaction, one snapshot of the database for all
        its statements, rolled back at the end."""
        with _refused_values_are_bad_requests(), self._reader.connect() as conn:
            yield conn

    @contextlib.contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction: committed on success, rolled back on error."""
        turn = self._writer_turns.turn() if self._writer_turns else contextlib.nullcontext()
        with _refused_values_are_bad_requests(), turn, self._writer.begin() as conn:
            yield conn

    def dispose(self) -> None:
        self.engine.dispose()
        if self.lock_engine is not None:
            self.lock_engine.dispose()


@contextlib.contextmanager
def _refused_values_are_bad_requests() -> Iterator[None]:
    """A value the database refuses (too long for its column, a character it cannot hold)
    came from the request: answer 400, not 500. The API validates what it knows of; this
    catches what only one database enforces (PostgreSQL's column lengths, for one)."""
    try:
        yield
    except DataError as exc:
        log.warning("the database refused a value: %s", exc.orig)
        raise BadRequest("A value in the request cannot be stored (too long or invalid)") from None
