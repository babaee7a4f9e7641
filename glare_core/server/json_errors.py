"""gunicorn's own error pages, answered with the contract's JSON envelope.

gunicorn refuses some requests before the app sees them (a malformed ``Content-Length``,
a request line over its limit, a bad chunked body) and answers with an HTML page. The
status codes are right; only the body is not the contract's JSON (§5.1, Q2). The worker
keeps gunicorn's decision, its logging and its access-log entry, and changes only the
bytes written: the socket it hands to gunicorn's error path (``JsonErrorSocket``) swaps
the HTML response for the same status with a JSON body.
"""

from __future__ import annotations

import json
from typing import Any

from gunicorn.http import errors as http_errors

from glare_core.api.errors import envelope

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

#: gunicorn's verdicts on what the client sent: a bad request line or header, or, raised
#: from the body reader while the app reads, a bad chunk size, a missing CRLF or a body
#: that ended early (the chunk errors were OSErrors before gunicorn 23).
REFUSED_REQUEST_ERRORS: tuple[type[BaseException], ...] = (
    http_errors.ParseException, http_errors.NoMoreData, http_errors.InvalidChunkSize,
    http_errors.ChunkMissingTerminator)
#: Errors of the same family in Glare's own response (gunicorn 23 and later).
_RESPONSE_ERRORS: tuple[type[BaseException], ...] = tuple(
    getattr(http_errors, name) for name in ("InvalidResponseHeader", "InvalidResponseHeaderName")
    if hasattr(http_errors, name))


def is_refused_request(exc: BaseException) -> bool:
    """True for gunicorn's verdicts on what the client sent (``REFUSED_REQUEST_ERRORS``);
    errors in Glare's own response are not among them."""
    return isinstance(exc, REFUSED_REQUEST_ERRORS) and not isinstance(exc, _RESPONSE_ERRORS)


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


class JsonErrorSocket:
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


def refusal_socket(client: Any, exc: BaseException) -> JsonErrorSocket:
    """The socket gunicorn's error path writes to for ``exc``: requests gunicorn refuses
    say why in the exception; anything else is a failure of the server, which must not
    leak details (gunicorn logs them)."""
    return JsonErrorSocket(client, str(exc) if is_refused_request(exc) else SERVER_FAILED)
