"""Reader leases: downloads in progress that deleting their data must wait for.

A download from a store whose readers do not survive a deletion (a Swift large object is
read segment by segment; the database store row by row) holds a lease on its location
while it streams, renewed as it goes. Data replaced or deleted meanwhile is queued in
the garbage queue instead of deleted; the last reader to finish deletes it. A lease
that is not renewed expires (its server died), and the scrubber then deletes the data.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from glare_core.data.clock import utcnow
from glare_core.data.database import Database
from glare_core.data.sql.tables import blob_readers


class ReaderLeases:
    def __init__(self, database: Database, *, ttl: float = 300.0) -> None:
        self.db = database
        self.ttl = ttl

    def _expiry(self) -> dt.datetime:
        return utcnow() + dt.timedelta(seconds=self.ttl)

    def take(self, location: str) -> int:
        """Start reading ``location``; returns the lease to renew and give back."""
        with self.db.write() as conn:
            result = conn.execute(
                blob_readers.insert().values(location=location, expires_at=self._expiry())
            )
            return int(result.inserted_primary_key[0])

    def renew(self, lease: int) -> None:
        with self.db.write() as conn:
            conn.execute(blob_readers.update().where(blob_readers.c.id == lease)
                         .values(expires_at=self._expiry()))

    def give_back(self, lease: int) -> None:
        """Stop reading."""
        with self.db.write() as conn:
            conn.execute(blob_readers.delete().where(blob_readers.c.id == lease))

    def drop_expired(self) -> None:
        """Forget leases that were not renewed in time (their server died)."""
        with self.db.write() as conn:
            conn.execute(blob_readers.delete().where(blob_readers.c.expires_at < utcnow()))

    def held(self, location: str) -> bool:
        """True while a download of ``location`` may still be reading it."""
        with self.db.read() as conn:
            found = conn.execute(
                sa.select(blob_readers.c.id).where(
                    blob_readers.c.location == location,
                    blob_readers.c.expires_at >= utcnow(),
                ).limit(1)
            ).first()
        return found is not None
