"""The gunicorn worker ``glare-api`` runs: gunicorn's threaded worker (``gthread``), with
JSON error pages, a front that keeps slow and idle clients from holding its threads, and
a stop that rolls back the uploads it cannot finish.

- Slow and idle clients: the main thread gathers each request head and small body before
  a thread takes it, and requests go to one of two lanes of threads, those that stream at
  their client's pace apart (``server/lanes.py``). The rest of a body must keep
  ``GLARE_MIN_UPLOAD_RATE`` (``server/body_rate.py``): a trickling upload gets a 408
  after about the grace time, and stores nothing. A client silent mid-request loses its
  connection (``server/client_timeout.py``).
- Stopping: shortly before gunicorn's graceful timeout ends, every body still being
  received fails with a 503, so that its upload rolls back (``server/stopping.py``).
- Errors: the pages gunicorn answers refused requests with are the contract's JSON
  (``server/json_errors.py``).
- The app gets gunicorn's services through the WSGI environ (``server/edge.py``):
  ``Expect: 100-continue`` is answered by the app, once it reads the body
  (``server/expect_continue.py``); an upload of known length is read straight from the
  socket (``server/socket_body.py``). Repeated identity headers, which WSGI would join
  into one value, are marked for the app to refuse (``server/repeated_headers.py``).

A connection that ends is closed on its request's thread, not on the thread that accepts
new connections: see ``_close_here``.
"""

from __future__ import annotations

import contextlib
import logging
import math
import resource
import socket
import ssl
import time
from typing import Any

from gunicorn import util

from glare_core.server.client_timeout import (
    SilentClientLogFilter,
    apply_client_timeout,
    set_receive_timeout,
)
from glare_core.server.edge import WithGunicornEdge
from glare_core.server.expect_continue import defer_continue
from glare_core.server.json_errors import refusal_socket
from glare_core.server.lanes import LaneWorker
from glare_core.server.repeated_headers import note_repeated
from glare_core.server.stopping import STOP_KEEPALIVE_LINGER, BodiesReceived, abandon_after

log = logging.getLogger(__name__)


class GlareWorker(LaneWorker):
    """gunicorn's ``gthread`` worker with JSON error pages, a main thread that gathers
    request heads and small bodies, two lanes of threads, a minimum body rate and a stop
    that abandons unfinished uploads cleanly (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._bodies = BodiesReceived()
        self._stop_started: float | None = None

    def load_wsgi(self) -> None:
        super().load_wsgi()
        config = getattr(self.wsgi, "config", {})  # the Flask app, unless wrapped
        self.client_timeout = config.get("GLARE_CLIENT_TIMEOUT", self.client_timeout)
        self.head_timeout = config.get("GLARE_REQUEST_HEAD_TIMEOUT", self.head_timeout)
        self.min_rate = config.get("GLARE_MIN_UPLOAD_RATE", self.min_rate)
        self.rate_grace = config.get("GLARE_MIN_UPLOAD_RATE_GRACE", self.rate_grace)
        self.stream_threads = config.get("GLARE_STREAM_THREADS", self.stream_threads)
        self.worker_connections = _room_for_connections(self.worker_connections, self.log)
        self.open_lanes()
        error_log = logging.getLogger("gunicorn.error")
        if not any(isinstance(f, SilentClientLogFilter) for f in error_log.filters):
            error_log.addFilter(SilentClientLogFilter())
        self.wsgi = WithGunicornEdge(self.wsgi)  # the app's way to gunicorn's services

    def run(self) -> None:
        try:
            super().run()
        finally:
            self.close_stream_lane()

    def handle_exit(self, sig: Any, frame: Any) -> None:
        if self._stop_started is None:
            self._stop_started = time.monotonic()
        super().handle_exit(sig, frame)

    def handle_quit(self, sig: Any, frame: Any) -> None:
        self.close_stream_lane()
        super().handle_quit(sig, frame)

    def murder_pending(self) -> None:
        """gunicorn's sweep of deferred connections, and of requests past their deadline
        (every iteration of the main loop, at least once a second)."""
        super().murder_pending()
        now = time.monotonic()
        if not self.alive and self._stop_started is None:
            self._stop_started = now  # stopped without a signal (max_requests)
        stop_linger = (math.inf if self._stop_started is None
                       else self._stop_started + STOP_KEEPALIVE_LINGER)
        self.sweep_gathering(now, stop_linger)
        if self._stop_started is not None and not self._bodies.stopping.is_set() \
                and now >= self._stop_started + abandon_after(self.cfg.graceful_timeout):
            self._bodies.abandon(self.cfg.graceful_timeout)

    # ---- a thread: serve the request -------------------------------------------------

    def handle(self, conn: Any) -> Any:
        if not getattr(conn, "glare_timeout_applied", False):
            with contextlib.suppress(OSError):  # already closed: gunicorn finds out next
                apply_client_timeout(conn.sock, self.client_timeout)
            conn.glare_timeout_applied = True
        keep = super().handle(conn)
        if not keep:  # gunicorn closes the connection next
            _close_here(conn)
        return keep

    def handle_request(self, req: Any, conn: Any) -> Any:
        defer_continue(req)  # answered when the app starts reading the body
        note_repeated(req)  # repeated identity headers: refused by the app
        unreader = conn.parser.unreader
        sock = getattr(unreader, "sock", None)
        if not isinstance(sock, socket.socket) or isinstance(sock, ssl.SSLSocket):
            return super().handle_request(req, conn)
        try:
            with self._bodies.paced(sock, min_rate=self.min_rate, grace=self.rate_grace,
                                    silence=self.client_timeout,
                                    received=len(unreader.buf.getbuffer())) as pacer:
                unreader.sock = pacer
                return super().handle_request(req, conn)
        finally:
            unreader.sock = sock
            with contextlib.suppress(OSError):
                set_receive_timeout(sock, self.client_timeout)

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        super().handle_error(req, refusal_socket(client, exc), addr, exc)


#: gunicorn's lingering close (gunicorn 25 and later; before, it closed at once).
_CLOSE_GRACEFUL = getattr(util, "close_graceful", None)


def _close_here(conn: Any) -> None:
    """Close a connection gunicorn is done with on the request's thread, lingering as
    gunicorn would (RFC 9112 §9.6: half-close, read what the client still sends for up to
    two seconds, then close, so unread request bytes do not turn into a reset).

    gunicorn lingers on its worker's main thread, which accepts no connection meanwhile: a
    client that stops sending in the middle of a refused upload would hold up the whole
    worker. Here it holds only its own thread, as it did while its request was served,
    and gunicorn's own close, which follows on the main thread, has nothing left to do.
    """
    if _CLOSE_GRACEFUL is None:
        return  # gunicorn closes at once, without lingering: nothing to move
    with contextlib.suppress(OSError):
        _CLOSE_GRACEFUL(conn.sock)
    conn.close = _already_closed


def _already_closed(graceful: bool = False) -> None:
    """The close of a connection ``_close_here`` has closed."""


def _room_for_connections(wanted: int, logger: Any) -> int:
    """``wanted`` connections, or as many as the process's file limit allows: the soft
    limit is raised to the hard one when needed, and the rest keeps room for files and
    the database."""
    spare = 256
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted + spare:
        target = wanted + spare if hard == resource.RLIM_INFINITY else min(hard, wanted + spare)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        if soft < wanted + spare:
            logger.warning("worker_connections lowered to %s: the file limit is %s",
                           max(1, soft - spare), soft)
            return max(1, soft - spare)
    return wanted
