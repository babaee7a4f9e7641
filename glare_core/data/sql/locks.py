"""Named locks as rows of ``glare_locks``, shared by every server process using the DB.

A lock younger than ``stale_after`` seconds blocks others; an older one is presumed left
behind by a crashed process and is taken over (contract §23). Keys longer than the column
are hashed, so every key locks (contract Q24).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid

from sqlalchemy.exc import IntegrityError

from glare_core.data.database import Database, utcnow
from glare_core.data.sql.tables import locks

MAX_KEY_LENGTH = 255


def lock_id(key: str) -> str:
    if len(key) < MAX_KEY_LENGTH:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()



class SqlLockStore:
    """Try-once lock primitives; the engine's Locker adds waiting and release-on-exit."""

    def __init__(self, database: Database, stale_after: float = 5.0) -> None:
        self.db = database
        self.stale_after = stale_after

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
