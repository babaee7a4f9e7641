"""The heartbeat of a running upload: its record is refreshed on a timer, not per chunk.

A ``saving`` record that is not refreshed for ``stale_after`` seconds is taken for an
upload whose server died, and the next upload to the blob (or the scrubber) replaces
it. The server reads a chunked body in 1 MiB pieces, so a slow or pausing client can go
minutes between pieces while its upload is alive; beating from a thread of its own
keeps such an upload fresh for as long as the server handles it (a stalled client is
cut off by the client timeout, which ends the heartbeat with the request).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from types import TracebackType

log = logging.getLogger(__name__)


class Heartbeat:
    """Call ``beat`` every ``every`` seconds on a daemon thread during the ``with`` block."""

    def __init__(self, beat: Callable[[], None], every: float) -> None:
        self._beat = beat
        self._every = every
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="glare-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stopped.set()
        self._thread.join(timeout=self._every)

    def _run(self) -> None:
        while not self._stopped.wait(self._every):
            try:
                self._beat()
            except Exception:  # a missed beat only brings the stale time nearer
                log.warning("upload heartbeat failed", exc_info=True)
