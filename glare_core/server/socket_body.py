"""Read a request body of known length straight from gunicorn's client socket.

gunicorn hands the application a ``Body`` object that receives into ``BytesIO`` buffers
and slices them again on every read: three to four extra copies of every byte, about
0.5 CPU seconds per GiB uploaded. For a blob upload that is a large share of the
server's work after the digests, so when the request comes through gunicorn's plain
HTTP/1.1 reader with a ``Content-Length`` we take what gunicorn has already buffered and
then ``recv`` the rest ourselves, each chunk copied once, by the kernel.

gunicorn stays in charge of the connection: its count of body bytes still to come is
kept up to date after every chunk, so whatever happens (the upload stops early at a
size limit, the client goes away) gunicorn finds the connection where it expects it
and drains or closes it as usual. Anything else (another server, chunked bodies,
TLS, HTTP/2, a gunicorn whose reader looks different) gets ``None`` and the caller
reads the WSGI input the portable way.
"""

from __future__ import annotations

import io
import socket
import ssl
from typing import Any

from glare_core.server.body_rate import raw_socket


def direct_input(environ: dict[str, Any]) -> SocketInput | None:
    """A reader of the body straight from gunicorn's socket, or None when that is not safe."""
    body = environ.get("wsgi.input")
    sock = environ.get("gunicorn.socket")
    reader = getattr(body, "reader", None)
    unreader = getattr(reader, "unreader", None)
    if not (
        isinstance(sock, socket.socket)
        and not isinstance(sock, ssl.SSLSocket)
        and sock.type == socket.SOCK_STREAM
        and type(reader).__name__ == "LengthReader"
        and isinstance(getattr(reader, "length", None), int)
        and isinstance(getattr(body, "buf", None), io.BytesIO)
        and isinstance(getattr(unreader, "buf", None), io.BytesIO)
        and raw_socket(getattr(unreader, "sock", None)) is sock
    ):
        return None
    # The unreader's socket: under Glare's worker, the one that keeps the body's
    # minimum rate (server/body_rate.py).
    return SocketInput(body, reader, unreader, unreader.sock)


class SocketInput:
    """``read(size)`` over gunicorn's buffers first, then its socket; never past the body."""

    def __init__(self, body: Any, reader: Any, unreader: Any, sock: Any) -> None:
        self._body = body
        self._reader = reader
        self._unreader = unreader
        self._sock = sock

    def read(self, size: int) -> bytes:
        # What gunicorn already holds (received with the headers) is taken through its
        # own readers, asking for no more than they hold so they never touch the socket.
        if held := _buffered(self._body.buf):
            return self._body.read(min(size, held))
        reader = self._reader
        if held := min(_buffered(self._unreader.buf), reader.length, size):
            return reader.read(held)
        if reader.length <= 0:
            return b""
        try:
            # MSG_WAITALL: one call, one kernel copy, for the whole chunk.
            chunk = self._sock.recv(min(size, reader.length), socket.MSG_WAITALL)
        except BaseException:
            self._body.failed = True  # where the next request starts is unknown: close
            raise
        if not chunk:
            self._body.failed = True
        # gunicorn's count stays exact, so it drains or closes the connection correctly
        # whenever the upload stops.
        reader.length -= len(chunk)
        return chunk


def _buffered(buf: io.BytesIO) -> int:
    return len(buf.getbuffer())
