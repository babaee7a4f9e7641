"""Artifact locks for the engine: wait in line for a busy lock, always release.

The lock store is shared through the database, so the lock holds across server processes.
A request that finds the lock busy waits up to ``wait`` seconds (GLARE_LOCK_WAIT: the
operations ahead of it in line take milliseconds each) and then fails with 409, as the
contract specifies. How a store waits is its own: PostgreSQL queues waiters itself
(data/sql/advisory_locks.py), rows are polled (data/sql/locks.py).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from glare_core.data.ports import LockStore
from glare_core.errors import Conflict


class Locker:
    def __init__(self, store: LockStore, wait: float = 10.0) -> None:
        self.store = store
        self.wait = wait

    @contextlib.contextmanager
    def hold(self, key: str, *, wait: float | None = None) -> Iterator[None]:
        """Hold the named lock for the duration of the ``with`` block."""
        token = self.store.acquire(key, self.wait if wait is None else wait)
        if token is None:
            raise Conflict(f"The artifact is locked by another request ({key}); retry later")
        try:
            yield
        finally:
            self.store.release(key, token)


def artifact_lock_key(type_name: str, artifact_id: str) -> str:
    return f"{type_name}:{artifact_id}"
