"""What the HTTP layer may ask of the server running it, beyond WSGI.

Some of Glare's request handling needs the server's help: knowing which of the server's
exceptions mean "the client sent something malformed", answering a deferred
``Expect: 100-continue`` when the body is about to be read, reading an upload straight
from the client socket, and bounding the wait of a file sent with ``sendfile``. A server
that offers these puts a ``ServerEdge`` into the WSGI environ under ``ENVIRON_KEY``
(Glare's gunicorn worker does: ``glare_core/server/``). Under any other WSGI server the
views get ``PLAIN_WSGI``, which offers nothing, and they fall back to plain WSGI.

The views never import the server package: the server depends on the HTTP layer, not
the other way round.
"""

from __future__ import annotations

from typing import Any, Protocol

#: The WSGI environ key under which a server offers its ``ServerEdge``.
ENVIRON_KEY = "glare.server_edge"

Environ = dict[str, Any]


class BodyReader(Protocol):
    """A request body read in pieces (``read`` returns b"" at its end)."""

    def read(self, size: int, /) -> bytes: ...


class ServerEdge(Protocol):
    """The services a server offers the views, for the request whose ``environ`` is given."""

    def is_refused_request(self, exc: BaseException) -> bool:
        """Whether ``exc`` is the server's verdict on a malformed request, raised from its
        body reader while the app reads (a bad chunk size, a missing CRLF)."""

    def send_continue(self, environ: Environ) -> None:
        """Answer ``Expect: 100-continue`` if the server left that to the app: the body
        is about to be read. Raises OSError if the client is gone."""

    def direct_input(self, environ: Environ) -> BodyReader | None:
        """A cheaper reader of a body of known length (never reading past it), or None
        when the server cannot offer one for this request."""

    def apply_sendfile_timeout(self, environ: Environ, seconds: float) -> None:
        """Bound each wait of a response the server sends from a file (``sendfile``) to
        ``seconds`` (0: no bound)."""


class PlainWsgi:
    """The edge of a server that offers nothing beyond WSGI."""

    def is_refused_request(self, exc: BaseException) -> bool:
        return False

    def send_continue(self, environ: Environ) -> None:
        """Nothing to do: the server answers ``100 Continue`` itself, if at all."""

    def direct_input(self, environ: Environ) -> BodyReader | None:
        return None

    def apply_sendfile_timeout(self, environ: Environ, seconds: float) -> None:
        """Nothing to bound: the server sends files as it sees fit."""


PLAIN_WSGI = PlainWsgi()


def server_edge(environ: Environ) -> ServerEdge:
    """The edge the server offers for this request (``PLAIN_WSGI`` if none)."""
    return environ.get(ENVIRON_KEY) or PLAIN_WSGI
