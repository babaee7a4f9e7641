"""The garbage queue: store locations whose data must be deleted (retried by the scrubber)."""

from __future__ import annotations

import sqlalchemy as sa

from glare_core.data.clock import utcnow
from glare_core.data.database import Database
from glare_core.data.ports import GarbageItem
from glare_core.data.sql.tables import blob_garbage


class GarbageQueue:
    def __init__(self, database: Database) -> None:
        self.db = database

    def add(self, location: str, reason: str) -> None:
        with self.db.write() as conn:
            conn.execute(
                blob_garbage.insert().values(
                    location=location, reason=reason[:255], created_at=utcnow()
                )
            )

    def pending(self, limit: int = 100) -> list[GarbageItem]:
        return self._items(sa.select(blob_garbage).order_by(blob_garbage.c.id).limit(limit))

    def for_location(self, location: str) -> list[GarbageItem]:
        return self._items(sa.select(blob_garbage).where(blob_garbage.c.location == location))

    def _items(self, query: sa.Select) -> list[GarbageItem]:
        with self.db.read() as conn:
            rows = conn.execute(query).mappings()
            return [GarbageItem(r["id"], r["location"], r["reason"], r["attempts"]) for r in rows]

    def done(self, item_id: int) -> None:
        with self.db.write() as conn:
            conn.execute(blob_garbage.delete().where(blob_garbage.c.id == item_id))

    def failed(self, item_id: int, error: str) -> None:
        with self.db.write() as conn:
            conn.execute(
                blob_garbage.update()
                .where(blob_garbage.c.id == item_id)
                .values(attempts=blob_garbage.c.attempts + 1, last_error=error[:2000])
            )
