"""Close the connection after an error that left the request body unread.

Glare answers some requests without reading their bodies: a JSON body over its limit,
an upload whose ``Content-Length`` exceeds the field's limit, an upload stopped midway.
The server must then skip the rest of the body before it can read the next request on
the connection; gunicorn drains only a little (64 KiB in gunicorn 27) and otherwise
closes the connection, after a response that said ``Connection: keep-alive``. A client
that believed it then fails its next request. This middleware makes the server say
``Connection: close`` in those responses, so clients reconnect instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any


def body_left_unread(environ: dict[str, Any]) -> bool:
    """True if the request announced a body that was not read to its end (or may not
    have been: for readers other than gunicorn's length reader, any body counts)."""
    chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
    try:
        announced = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        announced = 0
    if not chunked and announced <= 0:
        return False
    reader = getattr(environ.get("wsgi.input"), "reader", None)
    remaining = getattr(reader, "length", None)  # gunicorn's LengthReader: bytes still due
    if not chunked and isinstance(remaining, int):
        return remaining > 0
    return True


class CloseAfterUnreadBody:
    """WSGI middleware: error responses to requests whose body was left unread close the
    connection (on servers whose ``start_response`` offers ``force_close``, as
    gunicorn's does; others are left to their own rules)."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        def start(status: str, headers: list, exc_info: Any = None) -> Any:
            if status[:1] in ("4", "5") and body_left_unread(environ):
                force_close = getattr(getattr(start_response, "__self__", None),
                                      "force_close", None)
                if callable(force_close):
                    force_close()
            if exc_info is None:
                return start_response(status, headers)
            return start_response(status, headers, exc_info)

        return self.app(environ, start)
