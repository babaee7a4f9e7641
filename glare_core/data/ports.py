"""Ports: what the engine needs from storage besides the DataAPI, as Protocols.

The engine is written against these; the SQL implementations in ``glare_core.data.sql``
satisfy them, and only the composition root (``glare_core.assembly``) names those. A test
or another backend may bring its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol


class Clock(Protocol):
    def __call__(self) -> dt.datetime:
        """Now, as naive UTC (``glare_core.data.clock.utcnow``)."""


class LockStore(Protocol):
    """Named locks shared by every server process on one database."""

    def acquire(self, key: str, wait: float) -> Any | None:
        """Take the lock named ``key``, waiting up to ``wait`` seconds (0: try once);
        return a token for ``release``, or None if it stayed busy."""

    def release(self, key: str, token: Any) -> None:
        """Release a lock ``acquire`` returned ``token`` for."""


@dataclass(frozen=True)
class GarbageItem:
    """A store location waiting for its data to be deleted."""

    id: int
    location: str
    reason: str
    attempts: int


class GarbageQueue(Protocol):
    """Store locations whose data must be deleted; the scrubber retries them."""

    def add(self, location: str, reason: str) -> None:
        """Queue ``location`` for deletion (``reason`` is kept for operators)."""

    def pending(self, limit: int = 100) -> list[GarbageItem]:
        """Up to ``limit`` queued items, the least tried first."""

    def for_location(self, location: str) -> list[GarbageItem]:
        """The queued items naming ``location``."""

    def done(self, item_id: int) -> None:
        """Forget an item whose data is deleted."""

    def failed(self, item_id: int, error: str) -> None:
        """Count a failed attempt (the item stays queued)."""


class ReaderLeases(Protocol):
    """Leases of downloads on store data that deleting would cut short."""

    ttl: float

    def take(self, location: str) -> int:
        """A lease on ``location`` for ``ttl`` seconds; returns its id."""

    def renew(self, lease: int) -> None:
        """Extend a lease by ``ttl`` from now."""

    def give_back(self, lease: int) -> None:
        """End a lease."""

    def drop_expired(self) -> None:
        """Forget leases whose download died without giving them back."""

    def held(self, location: str) -> bool:
        """True while a live lease names ``location``."""


class QuotaStore(Protocol):
    """The quotas an admin set per project (quota name → value)."""

    def for_project(self, project_id: str) -> dict[str, int]:
        """One project's stored quotas."""

    def all(self) -> dict[str, dict[str, int]]:
        """Every project's stored quotas."""

    def replace(self, values: Mapping[str, Iterable[tuple[str, int]]]) -> None:
        """Replace the stored quotas of the projects named in ``values``."""
