"""Artifact locks for the engine: wait briefly for a busy lock, always release.

The lock store is shared through the database, so the lock holds across server processes.
A request that finds the lock busy waits up to ``wait`` seconds (metadata operations take
milliseconds) and then fails with 409, as the contract specifies.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Iterator
from typing import Protocol

from glare_core.errors import Conflict


class LockStore(Protocol):
    def try_acquire(self, key: str) -> str | None: ...

    def release(self, key: str, token: str) -> None: ...


class Locker:
    def __init__(self, store: LockStore, wait: float = 2.0) -> None:
        self.store = store
        self.wait = wait

    @contextlib.contextmanager
    def hold(self, key: str, *, wait: float | None = None) -> Iterator[None]:
        """Hold the named lock for the duration of the ``with`` block."""
        deadline = time.monotonic() + (self.wait if wait is None else wait)
        pause = 0.005
        while True:
            token = self.store.try_acquire(key)
            if token is not None:
                break
            if time.monotonic() >= deadline:
                raise Conflict(f"The artifact is locked by another request ({key}); retry later")
            time.sleep(pause * (1 + random.random()))
            pause = min(pause * 2, 0.1)
        try:
            yield
        finally:
            self.store.release(key, token)


def artifact_lock_key(type_name: str, artifact_id: str) -> str:
    return f"{type_name}:{artifact_id}"
