"""The gunicorn worker ``glare-api`` runs: gunicorn's threaded worker, except that the
error pages gunicorn writes itself are JSON envelopes like every other Glare error, and
that a client which stalls in the middle of a request loses its connection.

gunicorn refuses some requests before the app sees them (a malformed ``Content-Length``,
a request line over its limit, a bad chunked body) and answers with an HTML page. The
status codes are right; only the body is not the contract's JSON (§5.1, Q2). The worker
keeps gunicorn's decision, its logging and its access-log entry, and changes only the
bytes written: the socket it hands to gunicorn's error path swaps the HTML response for
the same status with a JSON body.

A client that stalls mid-request loses its connection: see ``api/client_timeout.py``.
A connection that ends is closed on its request's thread, not on the thread that accepts
new connections: see ``_close_here``.
``Expect: 100-continue`` is answered by the app, once it reads the body: see
``api/expect_continue.py``. Repeated identity headers, which WSGI would join into one
value, are marked for the app to refuse: see ``api/identity_headers.py``.
"""

from __future__ import annotations

import contextlib
import json
import logging
from typing import Any

from gunicorn import util
from gunicorn.workers.gthread import ThreadWorker

from glare_core.api.client_timeout import SilentClientLogFilter, apply_client_timeout
from glare_core.api.errors import envelope, is_refused_request
from glare_core.api.expect_continue import defer_continue
from glare_core.api.identity_headers import note_repeated
from glare_core.config import SETTINGS

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
    """gunicorn's ``gthread`` worker with JSON error pages and a bound on how long a
    silent client holds a thread (see the module docstring)."""

    client_timeout: float = SETTINGS["CLIENT_TIMEOUT"][0]

    def load_wsgi(self) -> None:
        super().load_wsgi()
        config = getattr(self.wsgi, "config", {})  # the Flask app, unless wrapped
        self.client_timeout = config.get("GLARE_CLIENT_TIMEOUT", self.client_timeout)
        error_log = logging.getLogger("gunicorn.error")
        if not any(isinstance(f, SilentClientLogFilter) for f in error_log.filters):
            error_log.addFilter(SilentClientLogFilter())

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
        return super().handle_request(req, conn)

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        # Requests gunicorn refuses say why in the exception; anything else is a failure
        # of the server, which must not leak details (gunicorn logs them).
        message = str(exc) if is_refused_request(exc) else SERVER_FAILED
        super().handle_error(req, _JsonErrorSocket(client, message), addr, exc)
