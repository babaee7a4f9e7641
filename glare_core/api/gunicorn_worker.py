"""The gunicorn worker ``glare-api`` runs: gunicorn's threaded worker (``gthread``), with
JSON error pages, a front that keeps slow and idle clients from holding its threads, and
a stop that rolls back the uploads it cannot finish.

**Slow clients.** gthread gives each new connection a thread at once, and that thread
waits for the request head: 5 s for a first byte, then without limit for the rest. With
the default 2 workers of 8 threads, 20 connections that trickle their headers or an
upload (a byte every 5 s, so never silent for the client timeout) took every thread, and
200 idle ones stopped the server for 15 s. So, measured with
``benchmarks/slow_clients.py`` (docs/performance.md):

- The worker's main thread, which already waits for events on every connection, gathers
  each request itself from the non-blocking socket (``api/request_head.py``): the whole
  head within ``GLARE_REQUEST_HEAD_TIMEOUT`` (20 s, Apache ``mod_reqtimeout``'s
  default), then a small body whole (up to 64 KiB: JSON documents) at the minimum body
  rate. Only then does a thread take the request: the
  bytes go back to gunicorn's parser (its unreader's ``unread``), which parses them as if
  it had received them itself. Idle and trickling connections cost a file descriptor and
  their buffer, not a thread; one that misses its deadline gets a JSON 408 (or is
  closed, if it sent nothing). TLS, PROXY protocol and HTTP/2 cleartext connections keep
  gunicorn's own path.
- Requests then go to one of two lanes: those that no longer wait on their client (no
  body, or all of it gathered) to gunicorn's pool of ``GLARE_THREADS``; those that
  stream at their client's pace, uploads (a large, chunked or ``Expect: 100-continue``
  body) and blob downloads, to a pool of their own, grown on demand up to
  ``GLARE_STREAM_THREADS`` (by default, one per connection the worker holds: gunicorn's
  ``worker_connections``). A slow sender or reader holds its thread for as long as it
  streams, but never a thread of the other lane: health checks, listings, reads and
  creates keep answering. A bounded streaming lane would let as many trickling clients
  hold up every real upload and download until they are cut, and an idle thread costs
  little.
- The rest of a body must keep ``GLARE_MIN_UPLOAD_RATE`` (``api/body_rate.py``): a
  trickling upload gets a 408 after about the grace time, and stores nothing.

An asynchronous worker class (gevent, tornado) would also free idle connections, but
Glare's blob paths (``sendfile`` downloads, ``MSG_WAITALL`` uploads, store threads) are
built on blocking sockets and threads; a reverse proxy helps only where one is deployed.
The embedded server holds on its own.

**Stopping.** On SIGTERM the worker stops accepting and lets requests finish for up to
gunicorn's ``graceful_timeout`` (``GLARE_GRACEFUL_TIMEOUT``), after which the arbiter
kills it. An upload killed that way would stay ``saving`` with its partial data until
recovered; so shortly before that deadline (``abandon_after``) the worker makes every
body still being received fail with a JSON 503 (``api/body_rate.py``): the upload's
failure path restores the previous blob and removes the partial data (temporary file,
Swift segments), and the worker exits.

**Errors.** gunicorn refuses some requests before the app sees them (a malformed
``Content-Length``, a request line over its limit, a bad chunked body) and answers with
an HTML page. The status codes are right; only the body is not the contract's JSON
(§5.1, Q2). The worker keeps gunicorn's decision, its logging and its access-log entry,
and changes only the bytes written: the socket it hands to gunicorn's error path swaps
the HTML response for the same status with a JSON body.

A client silent mid-request loses its connection: see ``api/client_timeout.py``.
A connection that ends is closed on its request's thread, not on the thread that accepts
new connections: see ``_close_here``.
``Expect: 100-continue`` is answered by the app, once it reads the body: see
``api/expect_continue.py``. Repeated identity headers, which WSGI would join into one
value, are marked for the app to refuse: see ``api/identity_headers.py``.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import math
import resource
import selectors
import socket
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from gunicorn import util
from gunicorn.workers import gthread
from gunicorn.workers.gthread import ThreadWorker

from glare_core.api.body_rate import PacedSocket
from glare_core.api.client_timeout import (
    SilentClientLogFilter,
    apply_client_timeout,
    set_receive_timeout,
)
from glare_core.api.errors import envelope, is_refused_request
from glare_core.api.expect_continue import defer_continue
from glare_core.api.identity_headers import note_repeated
from glare_core.api.request_head import QUICK, STREAM, RequestHead
from glare_core.config import SETTINGS

log = logging.getLogger(__name__)

#: How long a stopping gthread worker keeps kept-alive connections (gunicorn 27).
STOP_KEEPALIVE_LINGER = getattr(gthread, "STOP_KEEPALIVE_LINGER", 2.0)

# What a client matches on (the contract's error types, or the nearest HTTP name).
ERROR_TYPES = {
    400: "BadRequest",
    403: "Forbidden",
    414: "RequestURITooLong",
    417: "ExpectationFailed",
    431: "RequestHeaderFieldsTooLarge",
    500: "GlareException",
    501: "NotImplemented",
}
SERVER_FAILED = "The server failed to process the request"


def json_error_response(status_line: bytes, message: str) -> bytes:
    """A complete ``Connection: close`` response with the §5.1 envelope for the status of
    ``status_line`` (``HTTP/1.1 400 Bad Request``)."""
    parts = status_line.decode("latin-1").split(" ", 2)
    status = int(parts[1])
    reason = parts[2] if len(parts) > 2 else ""
    error_type = ERROR_TYPES.get(status) or "".join(
        char for char in reason.title() if char.isalnum()) or "Error"
    body = json.dumps(envelope(status, message, error_type), ensure_ascii=False).encode()
    head = (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
            f"Content-Type: application/json; charset=UTF-8\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    return head.encode("latin-1") + body


class _JsonErrorSocket:
    """The client socket as gunicorn's error writer sees it: the response it sends is
    rewritten as JSON, everything else goes to the real socket."""

    def __init__(self, sock: Any, message: str) -> None:
        self._sock = sock
        self._message = message

    def sendall(self, data: bytes) -> None:
        status_line = bytes(data).split(b"\r\n", 1)[0]
        try:
            response = json_error_response(status_line, self._message)
        except (ValueError, IndexError):  # not a status line: leave gunicorn's bytes alone
            response = bytes(data)
        self._sock.sendall(response)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


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



class GlareWorker(ThreadWorker):
    """gunicorn's ``gthread`` worker with JSON error pages, a main thread that gathers
    request heads and small bodies, two lanes of threads, a minimum body rate and a stop
    that abandons unfinished uploads cleanly (see the module docstring)."""

    client_timeout: float = SETTINGS["CLIENT_TIMEOUT"][0]
    head_timeout: float = SETTINGS["REQUEST_HEAD_TIMEOUT"][0]
    min_rate: float = SETTINGS["MIN_UPLOAD_RATE"][0]
    rate_grace: float = SETTINGS["MIN_UPLOAD_RATE_GRACE"][0]
    stream_threads: int = SETTINGS["STREAM_THREADS"][0]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._heads: dict[Any, RequestHead] = {}
        self._gathering = False
        self._stream_pool: ThreadPoolExecutor | None = None
        self._stopping = threading.Event()  # set: bodies still being received fail
        self._pacers: set[PacedSocket] = set()
        self._pacers_lock = threading.Lock()
        self._stop_started: float | None = None

    def load_wsgi(self) -> None:
        super().load_wsgi()
        config = getattr(self.wsgi, "config", {})  # the Flask app, unless wrapped
        self.client_timeout = config.get("GLARE_CLIENT_TIMEOUT", self.client_timeout)
        self.head_timeout = config.get("GLARE_REQUEST_HEAD_TIMEOUT", self.head_timeout)
        self.min_rate = config.get("GLARE_MIN_UPLOAD_RATE", self.min_rate)
        self.rate_grace = config.get("GLARE_MIN_UPLOAD_RATE_GRACE", self.rate_grace)
        self.stream_threads = config.get("GLARE_STREAM_THREADS", self.stream_threads)
        cfg = self.cfg
        # TLS handshakes, PROXY protocol headers and HTTP/2 prefaces are gunicorn's to read.
        self._gathering = (not cfg.is_ssl and cfg.proxy_protocol in ("off", None)
                           and getattr(cfg, "http2_cleartext", "off") in ("off", None))
        self.worker_connections = _room_for_connections(self.worker_connections, self.log)
        # By default every connection may hold a streaming thread: a thread waiting on its
        # client costs little (measured: 300 of them, 90 MiB per worker), and a smaller
        # lane lets as many trickling clients hold up every real transfer
        # (docs/performance.md).
        self._stream_pool = ThreadPoolExecutor(
            max_workers=self.stream_threads or self.worker_connections,
            thread_name_prefix="glare-stream")
        error_log = logging.getLogger("gunicorn.error")
        if not any(isinstance(f, SilentClientLogFilter) for f in error_log.filters):
            error_log.addFilter(SilentClientLogFilter())

    def run(self) -> None:
        try:
            super().run()
        finally:
            if self._stream_pool is not None:
                self._stream_pool.shutdown(wait=False, cancel_futures=True)

    def handle_exit(self, sig: Any, frame: Any) -> None:
        if self._stop_started is None:
            self._stop_started = time.monotonic()
        super().handle_exit(sig, frame)

    def handle_quit(self, sig: Any, frame: Any) -> None:
        if self._stream_pool is not None:
            self._stream_pool.shutdown(wait=False, cancel_futures=True)
        super().handle_quit(sig, frame)

    # ---- the main thread: gather each request before a thread takes it --------------

    def enqueue_req(self, conn: Any) -> None:
        """A connection may have a request (new, kept alive and readable, or with bytes
        left over from the last one): gather it, then hand it to a lane."""
        if not self._gathering:
            self._submit(conn, QUICK)
            return
        leftover = conn.parser.unreader.take_buffered() if conn.parser is not None else b""
        head = RequestHead(now=time.monotonic(), head_timeout=self.head_timeout,
                           min_rate=self.min_rate, grace=self.rate_grace,
                           silence=self.client_timeout, buffered=leftover)
        self._heads[conn] = head
        try:
            conn.sock.setblocking(False)
        except OSError:
            self._drop(conn, head, answer=None)
            return
        if not self._gather_safely(conn, head):
            self.poller.register(conn.sock, selectors.EVENT_READ,
                                 functools.partial(self._on_readable, conn))
            head.registered = True

    def _on_readable(self, conn: Any, _sock: Any) -> None:
        head = self._heads.get(conn)
        if head is not None:
            self._gather_safely(conn, head)

    def _gather_safely(self, conn: Any, head: RequestHead) -> bool:
        try:
            return self._gather(conn, head)
        except Exception:  # the main thread serves every connection: it must go on
            log.exception("Cannot gather a request from %s", _peer(conn))
            if conn in self._heads:
                self._drop(conn, head, answer=None)
            return True

    def _gather(self, conn: Any, head: RequestHead) -> bool:
        """Receive what the client has sent (never blocking); hand the request over when
        it is ready. Returns whether the connection left the main thread's care."""
        while not head.ready:
            try:
                data = conn.sock.recv(min(head.wanted(), GATHER_CHUNK))
            except (BlockingIOError, InterruptedError):
                return False
            except OSError:
                self._drop(conn, head, answer=None)
                return True
            if not data:
                head.ended = True
                break
            head.feed(data, time.monotonic())
        if head.head_end is None and head.ended:  # closed before its head was complete
            self._drop(conn, head, answer=None)
            return True
        self._hand_over(conn, head)  # (a head over MAX_HEAD: for gunicorn to refuse)
        return True

    def _hand_over(self, conn: Any, head: RequestHead) -> None:
        self._forget(conn, head)
        conn.init()  # the HTTP/1.1 parser (a new connection has none yet)
        conn.parser.unreader.unread(bytes(head.buffer))
        conn.data_ready = True
        self._submit(conn, head.lane)

    def _submit(self, conn: Any, lane: str) -> None:
        pool = self._stream_pool if lane == STREAM and self._stream_pool else self.tpool
        future = pool.submit(self.handle, conn)
        future.add_done_callback(
            lambda done: self.method_queue.defer(self.finish_request, conn, done))

    def _forget(self, conn: Any, head: RequestHead) -> None:
        self._heads.pop(conn, None)
        if head.registered:
            with contextlib.suppress(OSError, KeyError, ValueError):
                self.poller.unregister(conn.sock)
            head.registered = False

    def _drop(self, conn: Any, head: RequestHead, answer: str | None) -> None:
        """Close a connection whose request will not be served; ``answer``: the message of
        a 408 sent first (best effort: the socket is not waited for)."""
        self._forget(conn, head)
        self.nr_conns -= 1
        if answer is not None:
            with contextlib.suppress(OSError):
                conn.sock.send(json_error_response(b"HTTP/1.1 408 Request Timeout", answer),
                               socket.MSG_DONTWAIT)
                conn.sock.shutdown(socket.SHUT_WR)
        conn.close()

    def murder_pending(self) -> None:
        """gunicorn's sweep of deferred connections, and of requests past their deadline
        (every iteration of the main loop, at least once a second)."""
        super().murder_pending()
        now = time.monotonic()
        if not self.alive and self._stop_started is None:
            self._stop_started = now  # stopped without a signal (max_requests)
        stop_linger = (math.inf if self._stop_started is None
                       else self._stop_started + STOP_KEEPALIVE_LINGER)
        for conn, head in list(self._heads.items()):
            if not self.alive and not head.buffer:
                self._drop(conn, head, answer=None)  # nothing sent yet: nothing to finish
            elif now >= head.deadline():
                if head.buffer:  # an idle connection is closed without a word, as usual
                    log.info("Closed a connection from %s: %s", _peer(conn),
                             head.timeout_message())
                self._drop(conn, head, answer=head.timeout_message() if head.buffer else None)
            elif now >= stop_linger:
                self._drop(conn, head, answer=None)
        if self._stop_started is not None and not self._stopping.is_set() \
                and now >= self._stop_started + abandon_after(self.cfg.graceful_timeout):
            self._abandon_bodies()

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
        pacer = PacedSocket(sock, min_rate=self.min_rate, grace=self.rate_grace,
                            silence=self.client_timeout, stopping=self._stopping,
                            received=len(unreader.buf.getbuffer()))
        unreader.sock = pacer
        with self._pacers_lock:
            self._pacers.add(pacer)
        try:
            return super().handle_request(req, conn)
        finally:
            with self._pacers_lock:
                self._pacers.discard(pacer)
            unreader.sock = sock
            with contextlib.suppress(OSError):
                set_receive_timeout(sock, self.client_timeout)

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        # Requests gunicorn refuses say why in the exception; anything else is a failure
        # of the server, which must not leak details (gunicorn logs them).
        message = str(exc) if is_refused_request(exc) else SERVER_FAILED
        super().handle_error(req, _JsonErrorSocket(client, message), addr, exc)

    # ---- stopping ----------------------------------------------------------------------

    def _abandon_bodies(self) -> None:
        """Make every request body still being received fail (503), so that its upload
        rolls back while the worker still has time to."""
        self._stopping.set()
        with self._pacers_lock:
            pacers = list(self._pacers)
        for pacer in pacers:
            pacer.wake()
        log.warning("Stopping: abandoned the request bodies still being received, so that "
                    "their uploads roll back before the graceful timeout (%s s) ends",
                    self.cfg.graceful_timeout)


#: The most the main thread receives in one call while gathering a request.
GATHER_CHUNK = 64 * 1024


def abandon_after(graceful_timeout: float) -> float:
    """Seconds after the stop signal when unfinished uploads are abandoned: early enough
    that their roll-back (a database write, a file or Swift segments removed) ends before
    gunicorn's arbiter kills the worker at ``graceful_timeout``."""
    return max(0.0, graceful_timeout - min(ROLL_BACK_TIME, graceful_timeout / 2))


#: Time left for uploads to roll back before the arbiter's kill.
ROLL_BACK_TIME = 5.0


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


def _peer(conn: Any) -> str:
    client = getattr(conn, "client", None)
    return f"{client[0]}:{client[1]}" if isinstance(client, tuple) and len(client) >= 2 \
        else str(client)
