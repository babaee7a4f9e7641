"""Named locks as PostgreSQL session-level advisory locks, for every process on the database.

A request that finds a lock busy waits in PostgreSQL's own lock queue: the lock goes to
the waiters in the order they came, the moment its holder releases it, and a waiter
uses no CPU and sends no query while it waits. (Locks as rows, data/sql/locks.py, can
only be polled: the lock sits free between polls, and a late arrival often beats the
requests that have waited longest.) ``lock_timeout`` bounds the wait; a wait that runs
out is a busy lock (None), which the engine answers with 409.

Each lock is held on a connection of its own, from the database's lock engine (its own
pool): session-level advisory locks belong to a connection, not to a transaction, and
the holder's work goes through the main pool meanwhile. PostgreSQL releases a lock when
its connection ends, so a holder that dies never leaves a lock behind: a killed process
closes its connections at once, and a machine that vanishes is noticed by TCP keepalives
within about ``stale_after`` seconds. No lock is ever taken away from a holder that is
alive, however long it holds it.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)

# SQLSTATE of a lock wait that ran out of lock_timeout.
LOCK_NOT_AVAILABLE = "55P03"
LONGEST_LOCK_TIMEOUT_MS = 2**31 - 1
KEEPALIVE_PROBES = 3


def advisory_key(key: str) -> int:
    """The signed 64-bit number PostgreSQL locks for ``key``. Prefixed, so that other
    applications' advisory locks on the same database are unlikely to collide; a
    collision would only make two keys wait for each other."""
    digest = hashlib.sha256(b"glare-lock:" + key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def session_settings(stale_after: float) -> dict[str, str]:
    """Settings of a lock connection: TCP keepalives that have the server notice a holder
    whose machine vanished within about ``stale_after`` seconds (and release its locks),
    and no server-wide timeout that would end a lock wait early or drop a connection
    whose holder is busy elsewhere."""
    idle = max(1, int(stale_after // 2))
    interval = max(1, math.ceil((stale_after - idle) / KEEPALIVE_PROBES))
    return {
        "tcp_keepalives_idle": str(idle),
        "tcp_keepalives_interval": str(interval),
        "tcp_keepalives_count": str(KEEPALIVE_PROBES),
        "statement_timeout": "0",
        "idle_session_timeout": "0",  # PostgreSQL 14+ (skipped where unknown)
        "idle_in_transaction_session_timeout": "0",
    }


class AdvisoryLockStore:
    """Waiting lock primitives on PostgreSQL; the engine's Locker adds release-on-exit.

    A token is the connection holding the lock.
    """

    def __init__(self, engine: Engine, stale_after: float = 5.0) -> None:
        """``engine``: connections of their own for locks, in autocommit mode
        (``Database.lock_engine``)."""
        self.engine = engine
        settings = session_settings(stale_after)

        # Parameters this server does not know (an older version) are left out. The
        # values are this module's own numbers, so they are written into the statement.
        wanted = ", ".join(f"('{name}', '{value}')" for name, value in settings.items())
        configure = (f"SELECT set_config(name, value, false) FROM (VALUES {wanted}) "
                     "AS wanted(name, value) WHERE name IN (SELECT name FROM pg_settings)")

        @sa.event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute(configure)
            cursor.close()
            dbapi_conn.commit()  # kept for the session, whether or not it autocommits yet

    def acquire(self, key: str, wait: float) -> Connection | None:
        """Take the lock, waiting in line up to ``wait`` seconds; return its token, or None
        if it stayed busy that long."""
        number = advisory_key(key)
        conn = self.engine.connect()
        try:
            if wait <= 0:
                taken = conn.execute(sa.select(sa.func.pg_try_advisory_lock(number))).scalar()
            else:
                # lock_timeout 0 would mean no limit: wait at least a millisecond, and at
                # most the longest lock_timeout PostgreSQL takes (a wait of "inf" too).
                timeout = f"{max(1, round(min(wait * 1000, LONGEST_LOCK_TIMEOUT_MS)))}ms"
                conn.execute(sa.select(sa.func.set_config("lock_timeout", timeout, False)))
                conn.execute(sa.select(sa.func.pg_advisory_lock(number)))
                taken = True
        except DBAPIError as exc:
            if _sqlstate(exc) != LOCK_NOT_AVAILABLE:
                _discard(conn)
                raise
            taken = False
        except BaseException:
            # Interrupted: whether the lock was granted is unknown. Closing the session
            # releases it, if it was.
            _discard(conn)
            raise
        if not taken:
            conn.close()
            return None
        return conn

    def release(self, key: str, token: Connection) -> None:
        """Release the lock; its connection goes back to the pool only if it holds no
        lock any more."""
        try:
            released = token.execute(
                sa.select(sa.func.pg_advisory_unlock(advisory_key(key)))).scalar()
        except Exception:
            # The connection broke: PostgreSQL released the lock when the session ended.
            log.warning("lost the connection holding lock %s", key, exc_info=True)
            _discard(token)
            return
        if not released:
            log.error("lock %s was no longer held by its connection", key)
            _discard(token)
            return
        token.close()


def _sqlstate(exc: DBAPIError) -> str | None:
    """The error's SQLSTATE (psycopg 3 and psycopg2 name it differently)."""
    return getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)


def _discard(conn: Connection) -> None:
    """Close ``conn`` for good (not back to the pool): its session's locks end with it."""
    with contextlib.suppress(Exception):  # a connection that broke is closed already
        conn.invalidate()
    conn.close()
