"""``GLARE_CLIENT_TIMEOUT``: how long a client may stay silent mid-request before it
loses its connection.

Each connection holds one of the worker's threads while a request is read and answered,
and gunicorn waits for the client without limit once the first bytes have arrived. So a
few dozen clients that send part of their headers or of an upload, or that stop reading
a download, and then wait, would hold every thread. ``GLARE_CLIENT_TIMEOUT`` bounds each
wait with the kernel's ``SO_RCVTIMEO`` and ``SO_SNDTIMEO``, which leave the sockets
blocking (the upload's ``MSG_WAITALL`` receive keeps working as it is): a receive that
gets nothing for that long fails, and so does a send that can hand the kernel nothing for
that long because the client does not read. File downloads, which gunicorn sends with
``socket.sendfile``, get the same bound from ``apply_sendfile_timeout``. An upload cut
this way gets a 408 when the client still listens (``api/request_body.py``); the blob is not
stored.

A client that reads, but slowly, is cut too when its send buffer does not drain by about a
third within the limit (the kernel accepts more data only then). The kernel sizes that
buffer to the connection's speed, up to 4 MiB: on loopback, where it reaches 4 MiB, that
is 1.3 MiB per limit, about 23 KiB/s with the default of 60 s. A proxy in front of Glare
buffers slow readers.

The limit bounds how long one client may be silent. A client that trickles is cut by
the minimum body rate (``server/body_rate.py``), and no thread waits for a request head or a
small body at all (``server/worker.py``).
"""

from __future__ import annotations

import logging
import socket
import struct
from typing import Any


def apply_client_timeout(sock: socket.socket, seconds: float) -> None:
    """Make a receive or a send on ``sock`` fail once the client has let ``seconds`` pass
    without sending, or without taking what is sent (see the module docstring); 0 leaves
    the socket as it is."""
    if seconds <= 0:
        return
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, _timeval(seconds))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, _timeval(seconds))


def set_receive_timeout(sock: socket.socket, seconds: float) -> None:
    """Make a receive on ``sock`` fail after ``seconds`` without data (0: no limit).

    A positive limit never rounds to 0, which the kernel takes for no limit."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO,
                    _timeval(max(seconds, 0.001) if seconds > 0 else 0))


def _timeval(seconds: float) -> bytes:
    whole = int(seconds)
    return struct.pack("ll", whole, int((seconds - whole) * 1_000_000))


def apply_sendfile_timeout(environ: dict[str, Any], seconds: float) -> None:
    """Bound the wait of a response that gunicorn will send with ``socket.sendfile``.

    On a blocking socket, ``socket.sendfile`` answers the kernel's send timeout by waiting
    for the socket to become writable, without limit. With a Python-level timeout it
    waits at most ``seconds`` each time. That timeout makes the socket non-blocking for
    Python, which would cost uploads their one-call ``MSG_WAITALL`` receives, so it is set
    only for a response whose body is a file (the request had no body), and gunicorn makes
    the socket blocking again before the connection's next request.
    """
    sock = environ.get("gunicorn.socket")
    if seconds > 0 and isinstance(sock, socket.socket) and sock.gettimeout() is None:
        sock.settimeout(seconds)


def is_silent_client_error(exc: BaseException | None) -> bool:
    """Whether ``exc`` is how a socket limited by ``apply_client_timeout`` fails."""
    return isinstance(exc, BlockingIOError | TimeoutError)


class SilentClientLogFilter(logging.Filter):
    """gunicorn logs any socket error with a traceback. A connection dropped for silence
    is expected and says nothing about the server: one line at INFO is enough."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and is_silent_client_error(record.exc_info[1]):
            record.msg = "Dropped a connection silent for longer than GLARE_CLIENT_TIMEOUT: %s"
            record.args = (record.exc_info[1],)
            record.exc_info = record.exc_text = None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True
