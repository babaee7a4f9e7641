"""The worker's front: its main thread gathers each request before a thread takes it, and
two lanes of threads serve them.

gthread gives each new connection a thread at once, and that thread waits for the request
head: 5 s for a first byte, then without limit for the rest. With the default 2 workers
of 8 threads, 20 connections that trickle their headers or an upload (a byte every 5 s,
so never silent for the client timeout) took every thread, and 200 idle ones stopped the
server for 15 s. So, measured with ``benchmarks/slow_clients.py`` (docs/performance.md):

- The worker's main thread, which already waits for events on every connection, gathers
  each request itself from the non-blocking socket (``server/request_head.py``): the whole
  head within ``GLARE_REQUEST_HEAD_TIMEOUT`` (20 s, Apache ``mod_reqtimeout``'s
  default), then a small body whole (up to 64 KiB: JSON documents) at the minimum body
  rate. Only then does a thread take the request: the bytes go back to gunicorn's parser
  (its unreader's ``unread``), which parses them as if it had received them itself. Idle
  and trickling connections cost a file descriptor and their buffer, not a thread; one
  that misses its deadline gets a JSON 408 (or is closed, if it sent nothing). TLS, PROXY
  protocol and HTTP/2 cleartext connections keep gunicorn's own path.
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

An asynchronous worker class (gevent, tornado) would also free idle connections, but
Glare's blob paths (``sendfile`` downloads, ``MSG_WAITALL`` uploads, store threads) are
built on blocking sockets and threads; a reverse proxy helps only where one is deployed.
The embedded server holds on its own.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import selectors
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

from glare_core.config import SETTINGS
from glare_core.server.json_errors import json_error_response
from glare_core.server.request_head import QUICK, STREAM, RequestHead

log = logging.getLogger(__name__)

#: The most the main thread receives in one call while gathering a request.
GATHER_CHUNK = 64 * 1024


class LaneWorker(ThreadWorker):
    """gunicorn's ``gthread`` worker whose main thread gathers request heads and small
    bodies, and whose requests go to one of two lanes of threads (see the module
    docstring)."""

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

    def open_lanes(self) -> None:
        """Decide whether the main thread gathers requests, and start the streaming lane
        (once the settings are known)."""
        cfg = self.cfg
        # TLS handshakes, PROXY protocol headers and HTTP/2 prefaces are gunicorn's to read.
        self._gathering = (not cfg.is_ssl and cfg.proxy_protocol in ("off", None)
                           and getattr(cfg, "http2_cleartext", "off") in ("off", None))
        # By default every connection may hold a streaming thread: a thread waiting on its
        # client costs little (measured: 300 of them, 90 MiB per worker), and a smaller
        # lane lets as many trickling clients hold up every real transfer
        # (docs/performance.md).
        self._stream_pool = ThreadPoolExecutor(
            max_workers=self.stream_threads or self.worker_connections,
            thread_name_prefix="glare-stream")

    def close_stream_lane(self) -> None:
        """Stop the streaming lane's idle threads and drop the requests it has not begun."""
        if self._stream_pool is not None:
            self._stream_pool.shutdown(wait=False, cancel_futures=True)

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

    def sweep_gathering(self, now: float, stop_linger: float = math.inf) -> None:
        """Drop the requests being gathered that are past their deadline, and, when the
        worker stops, those with nothing sent yet, and every one after ``stop_linger``."""
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


def _peer(conn: Any) -> str:
    client = getattr(conn, "client", None)
    return f"{client[0]}:{client[1]}" if isinstance(client, tuple) and len(client) >= 2 \
        else str(client)
