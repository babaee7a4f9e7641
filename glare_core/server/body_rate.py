"""A minimum rate for request bodies (``GLARE_MIN_UPLOAD_RATE``), and the way a stopping
worker abandons the bodies it is still receiving.

The silence limit (``server/client_timeout.py``) cuts a client that sends nothing for a
minute, not one that sends a byte every few seconds: such a client holds its thread for
as long as it likes. ``PacedSocket`` stands in for the client socket while a request is
served and gives each receive a budget: ``grace`` seconds plus one second per
``min_rate`` bytes received so far, less the time already spent waiting for the client.
Only time spent waiting in a receive counts, so a slow store, a busy CPU or the
digests do not count against the client; and a client that sent a lot earns the right to
pause (up to the silence limit). A real client on a slow link sends at its link's rate,
far above the default 500 bytes a second (Apache's ``mod_reqtimeout`` default), and is
never cut; a client that trickles is cut after about ``grace`` seconds with a 408 and its
connection closed, and its upload stores nothing.

The budget becomes the socket's receive timeout (``SO_RCVTIMEO``), which leaves the
socket blocking: an upload's ``MSG_WAITALL`` receive (``server/socket_body.py``) then
returns what arrived when the budget runs out, and the next receive finds it spent.

When the worker stops, ``abandon`` makes every body still being received fail with a
503 (``ServiceUnavailable``): its receive is woken by shutting the socket's read side,
and any later one fails at once. The upload's failure path then restores the previous
blob and removes the partial data before the worker exits (``server/worker.py``).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import Any

from glare_core.errors import RequestTimeout, ServiceUnavailable
from glare_core.server.client_timeout import set_receive_timeout

STOPPING_MESSAGE = ("The server is shutting down: the request body was abandoned and "
                    "nothing was stored; send the request again")


class PacedSocket:
    """The client socket for one request: receives fail once the client has fallen below
    ``min_rate`` (see the module docstring); everything else goes to the socket."""

    def __init__(self, sock: socket.socket, *, min_rate: float, grace: float,
                 silence: float, stopping: threading.Event, received: int = 0) -> None:
        self.raw = sock
        self.min_rate = min_rate
        self.grace = grace
        self.silence = silence
        self._stopping = stopping
        #: Bytes received so far (``received``: those gathered before, for credit).
        self.received = received
        #: Seconds spent waiting in receives.
        self.waited = 0.0

    def recv(self, size: int, flags: int = 0) -> bytes:
        if self._stopping.is_set():
            raise ServiceUnavailable(STOPPING_MESSAGE)
        limit, by_rate = self.silence, False
        if self.min_rate > 0:
            budget = self.grace + self.received / self.min_rate - self.waited
            if budget <= 0:
                raise self._too_slow()
            if limit <= 0 or budget < limit:
                limit, by_rate = budget, True
        set_receive_timeout(self.raw, limit)
        started = time.monotonic()
        try:
            data = self.raw.recv(size, flags)
        except OSError as exc:
            if self._stopping.is_set():
                raise ServiceUnavailable(STOPPING_MESSAGE) from None
            if by_rate and isinstance(exc, BlockingIOError | TimeoutError):
                raise self._too_slow() from None
            raise
        finally:
            self.waited += time.monotonic() - started
        if not data and self._stopping.is_set():
            raise ServiceUnavailable(STOPPING_MESSAGE)
        self.received += len(data)
        return data

    def wake(self) -> None:
        """End a receive in progress (the worker is stopping)."""
        with contextlib.suppress(OSError):
            self.raw.shutdown(socket.SHUT_RD)

    def _too_slow(self) -> RequestTimeout:
        return RequestTimeout(
            f"The client sent its request body too slowly (less than {self.min_rate:g} "
            f"bytes a second after {self.grace:g} seconds); it was abandoned after "
            f"{self.received} bytes")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)


def raw_socket(sock: Any) -> Any:
    """The socket under a ``PacedSocket`` (or ``sock`` itself)."""
    return sock.raw if isinstance(sock, PacedSocket) else sock
