"""Reading a request body from the client, where every failure becomes a Glare error.

Servers report a client that goes away in their own ways (an OSError, werkzeug's
``ClientDisconnected``, their own parse errors for a malformed chunked body). Whatever
the engine consumes from here fails only with Glare errors: ``ClientDisconnected`` (400)
for a client gone mid-body, ``RequestTimeout`` (408) for one silent past
``GLARE_CLIENT_TIMEOUT``, ``BadRequest`` for a body the server refused as malformed. So
no layer below the HTTP edge needs to know which server runs it.

Nothing here holds more than one chunk in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from werkzeug.exceptions import HTTPException

from glare_core.api.server_edge import BodyReader, Environ, server_edge
from glare_core.errors import BadRequest, ClientDisconnected, GlareError, RequestTimeout
from glare_core.streaming import CHUNK_SIZE

#: Whether an exception is the server's verdict on a malformed body (``ServerEdge``).
Verdict = Callable[[BaseException], bool]


def _never(exc: BaseException) -> bool:
    return False


def read_client(stream: BodyReader, size: int, *, what: str,
                received: int | None = None, at_least: bool = False,
                refused: Verdict = _never) -> bytes:
    """One read of a request body from the client, ``what`` naming the body in errors.

    A dropped connection (an OSError or an HTTP error, as the server reports it) becomes
    ``ClientDisconnected``; a receive that times out (``GLARE_CLIENT_TIMEOUT``: EAGAIN from
    the kernel's timeout, or a Python TimeoutError) a ``RequestTimeout``; the server's
    verdict on a malformed body (an exception ``refused`` recognizes) a ``BadRequest``.
    Glare's own errors (raised by the server's reader: a body too slow, a worker
    stopping) pass unchanged. ``received``, when given, is how much of the body arrived
    before (``at_least``: the server may hold more, e.g. part of a chunked body it reads
    in whole pieces).
    """
    after = "" if received is None else (
        f" after {'at least ' if at_least else ''}{received} bytes")
    try:
        return stream.read(size)
    except (OSError, HTTPException) as exc:  # (a body that ended early is an OSError too)
        raise _client_failure(exc, f"the {what} was abandoned{after}",
                              f"The {what} was interrupted{after}") from None
    except Exception as exc:
        if refused(exc):
            raise BadRequest(f"The request body is malformed: {exc}") from None
        raise


def _client_failure(exc: OSError | HTTPException, abandoned: str,
                    interrupted: str) -> GlareError:
    """The Glare error for a failure of the client's connection: ``RequestTimeout`` for a
    client silent too long (``abandoned`` ends its message), ``ClientDisconnected`` for
    one gone (``interrupted`` starts its message)."""
    if isinstance(exc, BlockingIOError | TimeoutError):
        return RequestTimeout(f"The client sent nothing for too long; {abandoned}")
    return ClientDisconnected(f"{interrupted} ({type(exc).__name__})")


def request_body(
    stream: BodyReader, expected: int | None, chunk_size: int = CHUNK_SIZE, *,
    until_eof: bool = False, refused: Verdict = _never,
) -> Iterator[bytes]:
    """A request body in chunks; a client that stops early is an error, never a short blob.

    ``until_eof``: the stream itself ends where the body ends (a server that frames the
    body), so it is read to its end and a body longer than ``expected`` is an error.
    Otherwise the stream may be the connection itself, where the bytes after the body
    belong to the next request: reads then stop at ``expected`` bytes.

    A client that goes away or stays silent is a 400 or a 408 (``read_client``), and so
    is EOF before ``Content-Length`` bytes.
    """
    received = 0
    while True:
        want = chunk_size
        if expected is not None and not until_eof:
            want = min(chunk_size, expected - received)
            if want == 0:
                return
        chunk = read_client(stream, want, what="upload", received=received,
                            at_least=until_eof, refused=refused)
        if not chunk:
            if expected is not None and received < expected:
                raise BadRequest(
                    f"The body ended after {received} of the {expected} bytes announced"
                )
            return
        received += len(chunk)
        if expected is not None and received > expected:
            raise BadRequest(f"The body is longer than the {expected} bytes announced")
        yield chunk


def send_continue(environ: Environ, *, what: str) -> None:
    """Answer a ``100 Continue`` the server left to the app (``ServerEdge``): the body,
    ``what``, is about to be read. A client gone by then is a Glare error too."""
    try:
        server_edge(environ).send_continue(environ)
    except OSError as exc:
        raise _client_failure(exc, f"the {what} was not read",
                              f"The connection broke before the {what} was read") from None
