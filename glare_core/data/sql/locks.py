"""Named locks as rows of ``glare_locks``, shared by every server process using the DB.

A lock younger than ``stale_after`` seconds blocks others; an older one is presumed left
behind by a crashed process and is taken over (contract §23). Keys longer than the column
are hashed, so every key locks (contract Q24). A row lock cannot be waited for, only
polled: this is the lock store of SQLite, where every write waits its turn for the
database anyway (data/database.py); PostgreSQL has advisory locks (advisory_locks.py),
which ``lock_store`` picks for it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import time
import uuid

from sqlalchemy.exc import IntegrityError

from glare_core.data.clock import utcnow
from glare_core.data.database import Database
from glare_core.data.sql.advisory_locks import AdvisoryLockStore
from glare_core.data.sql.tables import locks

MAX_KEY_LENGTH = 255
FIRST_PAUSE, LONGEST_PAUSE = 0.005, 0.1


def lock_id(key: str) -> str:
    if len(key) < MAX_KEY_LENGTH:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


def lock_store(database: Database, *, stale_after: float) -> SqlLockStore | AdvisoryLockStore:
    """The lock store for ``database``: advisory locks on PostgreSQL, rows elsewhere."""
    if database.lock_engine is not None:
        return AdvisoryLockStore(database.lock_engine, stale_after=stale_after)
    return SqlLockStore(database, stale_after=stale_after)


class SqlLockStore:
    """Lock primitives on rows; the engine's Locker adds release-on-exit."""

    def __init__(self, database: Database, stale_after: float = 5.0) -> None:
        self.db = database
        self.stale_after = stale_after

    def acquire(self, key: str, wait: float) -> str | None:
        """Take the lock, trying again with growing pauses for up to ``wait`` seconds;
        return its token, or None if it stayed busy that long."""
        deadline = time.monotonic() + wait
        pause = FIRST_PAUSE
        while True:
            token = self.try_acquire(key)
            if token is not None or time.monotonic() >= deadline:
                return token
            time.sleep(min(pause * (1 + random.random()),
                           max(0.0, deadline - time.monotonic())))
            pause = min(pause * 2, LONGEST_PAUSE)

    def try_acquire(self, key: str) -> str | None:
        """Take the lock; return its token, or None while someone else holds it."""
        ident, token, now = lock_id(key), str(uuid.uuid4()), utcnow()
        try:
            with self.db.write() as conn:
                conn.execute(locks.insert().values(id=ident, token=token, acquired_at=now))
            return token
        except IntegrityError:
            pass
        stale_before = now - dt.timedelta(seconds=self.stale_after)
        with self.db.write() as conn:
            taken = conn.execute(
                locks.update()
                .where(locks.c.id == ident, locks.c.acquired_at < stale_before)
                .values(token=token, acquired_at=now)
            )
        return token if taken.rowcount == 1 else None

    def release(self, key: str, token: str) -> None:
        with self.db.write() as conn:
            conn.execute(locks.delete().where(locks.c.id == lock_id(key), locks.c.token == token))
