"""What the server says about its connection at the edges: error responses to requests
whose body was left unread close the connection (``api/unread_body.py``), and gunicorn's
own error pages are rewritten as JSON envelopes and silent clients are bounded
(``server/worker.py``)."""

from __future__ import annotations

import io
import json
import logging
import socket
import struct
import sys
from types import SimpleNamespace

import pytest

from glare_core.api.unread_body import CloseAfterUnreadBody, body_left_unread
from glare_core.server.client_timeout import (
    SilentClientLogFilter,
    apply_client_timeout,
    apply_sendfile_timeout,
)
from glare_core.server.json_errors import JsonErrorSocket as _JsonErrorSocket
from glare_core.server.json_errors import json_error_response


def gunicorn_like_input(remaining: int) -> SimpleNamespace:
    return SimpleNamespace(reader=SimpleNamespace(length=remaining))


@pytest.mark.parametrize(("environ", "unread"), [
    ({}, False),
    ({"CONTENT_LENGTH": "0", "wsgi.input": io.BytesIO()}, False),
    ({"CONTENT_LENGTH": "10", "wsgi.input": gunicorn_like_input(0)}, False),
    ({"CONTENT_LENGTH": "10", "wsgi.input": gunicorn_like_input(4)}, True),
    ({"CONTENT_LENGTH": "10", "wsgi.input": io.BytesIO(b"x" * 10)}, True),  # unknown reader
    ({"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input": gunicorn_like_input(0)}, True),
    ({"CONTENT_LENGTH": "junk"}, False),
])
def test_body_left_unread(environ, unread):
    assert body_left_unread(environ) is unread


class RecordingResponse:
    """Stands for gunicorn's Response: ``start_response`` is one of its bound methods."""

    def __init__(self) -> None:
        self.closed = False
        self.status: str | None = None

    def force_close(self) -> None:
        self.closed = True

    def start_response(self, status: str, headers: list, exc_info=None) -> None:
        self.status = status


@pytest.mark.parametrize(("status", "remaining", "closes"), [
    ("413 REQUEST ENTITY TOO LARGE", 5, True),
    ("400 BAD REQUEST", 5, True),
    ("500 INTERNAL SERVER ERROR", 5, True),
    ("413 REQUEST ENTITY TOO LARGE", 0, False),  # body read to its end: keep alive
    ("200 OK", 5, False),
])
def test_middleware_closes_only_after_errors_with_unread_bodies(status, remaining, closes):
    def app(environ, start_response):
        start_response(status, [("Content-Type", "application/json")])
        return [b"{}"]

    server_response = RecordingResponse()
    environ = {"CONTENT_LENGTH": "5", "wsgi.input": gunicorn_like_input(remaining)}
    assert CloseAfterUnreadBody(app)(environ, server_response.start_response) == [b"{}"]
    assert server_response.status == status
    assert server_response.closed is closes


def test_middleware_leaves_other_servers_alone():
    started = []

    def app(environ, start_response):
        start_response("413 REQUEST ENTITY TOO LARGE", [])
        return []

    CloseAfterUnreadBody(app)({"CONTENT_LENGTH": "5"}, lambda *args: started.append(args))
    assert started == [("413 REQUEST ENTITY TOO LARGE", [])]


def parse(response: bytes) -> tuple[str, dict[str, str], dict]:
    head, _, body = response.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in header_lines)
    assert int(headers["Content-Length"]) == len(body)
    return status_line, headers, json.loads(body)


@pytest.mark.parametrize(("status_line", "code", "error_type"), [
    (b"HTTP/1.1 400 Bad Request", 400, "BadRequest"),
    (b"HTTP/1.1 414 URI Too Long", 414, "RequestURITooLong"),
    (b"HTTP/1.1 431 Request Header Fields Too Large", 431, "RequestHeaderFieldsTooLarge"),
    (b"HTTP/1.1 418 I'm A Teapot", 418, "IMATeapot"),
])
def test_json_error_response(status_line, code, error_type):
    status, headers, body = parse(json_error_response(status_line, "Invalid HTTP Header: 'X'"))
    assert status == status_line.decode()
    assert headers["Connection"] == "close"
    assert headers["Content-Type"] == "application/json; charset=UTF-8"
    assert body["code"] == code
    assert body["error"] == {"message": "Invalid HTTP Header: 'X'", "type": error_type}


def test_error_socket_rewrites_gunicorns_page_and_passes_the_rest_through():
    sent: list[bytes] = []
    real = SimpleNamespace(sendall=sent.append, gettimeout=lambda: 5.0)
    wrapped = _JsonErrorSocket(real, "Request Line is too large (5000 > 4094)")
    html = (b"HTTP/1.1 414 URI Too Long\r\nConnection: close\r\nContent-Type: text/html\r\n"
            b"Content-Length: 5\r\n\r\n<html>")
    wrapped.sendall(html)
    wrapped.sendall(b"not a response")
    assert wrapped.gettimeout() == 5.0
    status, _, body = parse(sent[0])
    assert status == "HTTP/1.1 414 URI Too Long"
    assert body["error"]["message"] == "Request Line is too large (5000 > 4094)"
    assert sent[1] == b"not a response"


def test_silence_limit_sets_the_kernel_timeouts_and_zero_leaves_them() -> None:
    timeval = struct.calcsize("ll")
    with socket.socket() as limited, socket.socket() as unlimited:
        apply_client_timeout(limited, 2.5)
        apply_client_timeout(unlimited, 0)
        for option in (socket.SO_RCVTIMEO, socket.SO_SNDTIMEO):
            assert struct.unpack("ll", limited.getsockopt(
                socket.SOL_SOCKET, option, timeval)) == (2, 500_000)
            assert struct.unpack("ll", unlimited.getsockopt(
                socket.SOL_SOCKET, option, timeval)) == (0, 0)
        assert limited.gettimeout() is None  # still blocking: MSG_WAITALL works


def test_sendfile_limit_is_a_python_timeout_on_gunicorns_socket_only() -> None:
    with socket.socket() as sock, socket.socket() as untouched:
        apply_sendfile_timeout({"gunicorn.socket": sock}, 3.0)
        assert sock.gettimeout() == 3.0
        apply_sendfile_timeout({"gunicorn.socket": untouched}, 0)
        assert untouched.gettimeout() is None
    apply_sendfile_timeout({"gunicorn.socket": object()}, 3.0)  # not a socket: ignored
    apply_sendfile_timeout({}, 3.0)


def _record(exc: BaseException) -> logging.LogRecord:
    try:
        raise exc
    except BaseException:
        return logging.LogRecord("gunicorn.error", logging.ERROR, __file__, 1,
                                 "Socket error processing request.", (), sys.exc_info())


@pytest.mark.parametrize("exc", [BlockingIOError(11, "Resource temporarily unavailable"),
                                 TimeoutError(110, "Connection timed out")])
def test_a_dropped_silent_client_is_one_info_line(exc: OSError) -> None:
    record = _record(exc)
    assert SilentClientLogFilter().filter(record)
    assert (record.levelno, record.exc_info) == (logging.INFO, None)
    assert "GLARE_CLIENT_TIMEOUT" in record.getMessage()
    assert str(exc) in record.getMessage()


def test_other_socket_errors_keep_their_traceback() -> None:
    record = _record(OSError(22, "Invalid argument"))
    assert SilentClientLogFilter().filter(record)
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None
    assert record.getMessage() == "Socket error processing request."
