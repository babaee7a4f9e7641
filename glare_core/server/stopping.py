"""How a stopping worker ends the uploads it cannot finish.

On SIGTERM the worker stops accepting and lets requests finish for up to gunicorn's
``graceful_timeout`` (``GLARE_GRACEFUL_TIMEOUT``), after which the arbiter kills it. An
upload killed that way would stay ``saving`` with its partial data until recovered; so
shortly before that deadline (``abandon_after``) the worker makes every body still being
received fail with a JSON 503 (``server/body_rate.py``): the upload's failure path
restores the previous blob and removes the partial data (temporary file, Swift segments),
and the worker exits.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections.abc import Iterator

from gunicorn.workers import gthread

from glare_core.server.body_rate import PacedSocket

log = logging.getLogger(__name__)

#: How long a stopping gthread worker keeps kept-alive connections (gunicorn 27).
STOP_KEEPALIVE_LINGER = getattr(gthread, "STOP_KEEPALIVE_LINGER", 2.0)

#: Time left for uploads to roll back before the arbiter's kill.
ROLL_BACK_TIME = 5.0


def abandon_after(graceful_timeout: float) -> float:
    """Seconds after the stop signal when unfinished uploads are abandoned: early enough
    that their roll-back (a database write, a file or Swift segments removed) ends before
    gunicorn's arbiter kills the worker at ``graceful_timeout``."""
    return max(0.0, graceful_timeout - min(ROLL_BACK_TIME, graceful_timeout / 2))


class BodiesReceived:
    """The client sockets of the requests a worker is serving, each paced
    (``PacedSocket``), so that a stopping worker can make every body still being received
    fail at once."""

    def __init__(self) -> None:
        self.stopping = threading.Event()  # set: bodies still being received fail
        self._pacers: set[PacedSocket] = set()
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def paced(self, sock: socket.socket, *, min_rate: float, grace: float, silence: float,
              received: int) -> Iterator[PacedSocket]:
        """``sock`` as a ``PacedSocket`` for the time of one request (``received``: the
        bytes gathered before, which count towards the rate)."""
        pacer = PacedSocket(sock, min_rate=min_rate, grace=grace, silence=silence,
                            stopping=self.stopping, received=received)
        with self._lock:
            self._pacers.add(pacer)
        try:
            yield pacer
        finally:
            with self._lock:
                self._pacers.discard(pacer)

    def abandon(self, graceful_timeout: float) -> None:
        """Make every request body still being received fail (503), so that its upload
        rolls back while the worker still has time to."""
        self.stopping.set()
        with self._lock:
            pacers = list(self._pacers)
        for pacer in pacers:
            pacer.wake()
        log.warning("Stopping: abandoned the request bodies still being received, so that "
                    "their uploads roll back before the graceful timeout (%s s) ends",
                    graceful_timeout)
