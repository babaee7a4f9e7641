"""Reading an upload straight from gunicorn's socket (glare_core.server.socket_body).

Every test drives the installed gunicorn's own request parser and WSGI environ over a
socket pair, so the shortcut is checked against the real objects it reaches into: the
body must come out byte for byte, and gunicorn must find the next request on the
connection exactly where it starts, however much of the body was read.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

import pytest
from gunicorn.config import Config
from gunicorn.http import wsgi
from gunicorn.http.parser import RequestParser

from glare_core.api.request_body import request_body
from glare_core.errors import BadRequest
from glare_core.server.socket_body import SocketInput, direct_input

NEXT_REQUEST = b"GET /next-request HTTP/1.1\r\nHost: glare\r\n\r\n"


class Connection:
    """A client end that sends in the background and a gunicorn parser on the other."""

    def __init__(self) -> None:
        self.client, self.server = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.config = Config()
        self.parser = RequestParser(self.config, self.server, ("127.0.0.1", 0))
        self._senders: list[threading.Thread] = []
        # A reader that miscounts would wait for bytes that never come: cut the
        # connection after a while so such a test fails instead of hanging.
        self._watchdog = threading.Timer(30, self._cut)
        self._watchdog.start()

    def _cut(self) -> None:
        with contextlib.suppress(OSError):
            self.client.shutdown(socket.SHUT_RDWR)

    def send(self, data: bytes, *, close: bool = False) -> None:
        def run() -> None:
            try:
                self.client.sendall(data)
                if close:
                    self.client.shutdown(socket.SHUT_WR)
            except OSError:
                pass  # the test closed the connection first

        sender = threading.Thread(target=run, daemon=True)
        sender.start()
        self._senders.append(sender)

    def next_environ(self) -> dict:
        request = next(self.parser)
        _, environ = wsgi.create(request, self.server, ("127.0.0.1", 1),
                                 ("127.0.0.1", 2), self.config)
        return environ

    def close(self) -> None:
        self._watchdog.cancel()
        self.client.close()
        self.server.close()
        for sender in self._senders:
            sender.join(timeout=5)


@pytest.fixture
def connection() -> Iterator[Connection]:
    conn = Connection()
    yield conn
    conn.close()


def put_request(body: bytes, length: int | None = None) -> bytes:
    length = len(body) if length is None else length
    return (b"PUT /upload HTTP/1.1\r\nHost: glare\r\nContent-Length: %d\r\n\r\n" % length
            + body)


def payload(size: int) -> bytes:
    return bytes(i * 7 % 251 for i in range(size))


@pytest.mark.parametrize("size", [0, 10, 5000, 3 * 1024 * 1024 + 7])
def test_the_body_comes_out_whole_and_the_next_request_follows(connection, size):
    body = payload(size)
    connection.send(put_request(body) + NEXT_REQUEST)
    environ = connection.next_environ()
    reader = direct_input(environ)
    assert isinstance(reader, SocketInput)
    assert b"".join(request_body(reader, size)) == body
    follower = connection.next_environ()
    assert follower["PATH_INFO"] == "/next-request"
    assert follower["REQUEST_METHOD"] == "GET"


def test_beyond_the_headers_the_body_comes_in_whole_chunks(connection):
    chunk = 256 * 1024
    body = payload(4 * chunk + 100)
    connection.send(put_request(body))
    environ = connection.next_environ()
    chunks = list(request_body(direct_input(environ), len(body), chunk_size=chunk))
    # The part gunicorn read along with the headers, then one recv per full chunk.
    assert b"".join(chunks) == body
    assert [len(c) for c in chunks[1:-1]] == [chunk] * (len(chunks) - 2)


def test_bytes_gunicorn_already_returned_to_a_reader_come_first(connection):
    body = payload(200_000)
    connection.send(put_request(body) + NEXT_REQUEST)
    environ = connection.next_environ()
    # A hook that peeked at the start: gunicorn read ahead and holds the next bytes.
    head = environ["wsgi.input"].read(30)
    assert len(environ["wsgi.input"].buf.getvalue()) > 0
    rest = b"".join(request_body(direct_input(environ), len(body) - len(head)))
    assert head + rest == body
    assert connection.next_environ()["PATH_INFO"] == "/next-request"


def test_an_upload_stopped_early_leaves_gunicorn_able_to_drain(connection):
    """A size limit crossed mid-stream stops reading; gunicorn's count of what is left
    must be exact so it skips the rest of the body and parses the next request."""
    body = payload(2 * 1024 * 1024)
    connection.send(put_request(body) + NEXT_REQUEST)
    environ = connection.next_environ()
    chunks = request_body(direct_input(environ), len(body), chunk_size=64 * 1024)
    received = b"".join(next(chunks) for _ in range(5))
    assert received == body[: len(received)]
    assert connection.next_environ()["PATH_INFO"] == "/next-request"


def test_a_client_that_goes_away_gives_a_short_body_and_a_closed_connection(connection):
    connection.send(put_request(payload(1000), length=1024 * 1024), close=True)
    environ = connection.next_environ()
    with pytest.raises(BadRequest, match="ended after 1000 of the 1048576 bytes"):
        b"".join(request_body(direct_input(environ), 1024 * 1024))
    assert environ["wsgi.input"].failed is True  # gunicorn must not reuse the connection


def test_chunked_bodies_are_left_to_gunicorn(connection):
    connection.send(b"PUT /upload HTTP/1.1\r\nHost: glare\r\nTransfer-Encoding: chunked\r\n"
                    b"\r\n5\r\nhello\r\n0\r\n\r\n")
    environ = connection.next_environ()
    assert direct_input(environ) is None
    assert environ["wsgi.input"].read() == b"hello"


def test_other_servers_are_left_alone():
    import io

    assert direct_input({"wsgi.input": io.BytesIO(b"data")}) is None
    environ = {"wsgi.input": io.BytesIO(b"data"), "gunicorn.socket": object()}
    assert direct_input(environ) is None


def test_a_socket_with_a_timeout_still_gives_the_exact_body(connection):
    """With a timeout the socket is non-blocking underneath and MSG_WAITALL may return
    short chunks; the body must come out the same."""
    connection.server.settimeout(10)
    body = payload(3 * 1024 * 1024 + 11)
    connection.send(put_request(body) + NEXT_REQUEST)
    environ = connection.next_environ()
    assert b"".join(request_body(direct_input(environ), len(body))) == body
    assert connection.next_environ()["PATH_INFO"] == "/next-request"
