"""The rules that keep slow clients from holding threads, without a server: how the worker's
main thread gathers a request (glare_core.server.request_head), the minimum body rate and
the stop of a body being received (glare_core.server.body_rate)."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from glare_core.errors import RequestTimeout, ServiceUnavailable
from glare_core.server.body_rate import PacedSocket
from glare_core.server.request_head import MAX_HEAD, PREBUFFER, QUICK, STREAM, RequestHead, classify
from glare_core.server.stopping import abandon_after

HEAD = b"PUT /x HTTP/1.1\r\nHost: a\r\n"


@pytest.mark.parametrize(("headers", "lane", "gathered"), [
    (b"", QUICK, 0),
    (b"Content-Length: 0\r\n", QUICK, 0),
    (b"Content-Length: 200\r\n", QUICK, 200),
    (b"content-length:  65536 \r\n", QUICK, PREBUFFER),
    (b"Content-Length: 65537\r\n", STREAM, 0),
    (b"Content-Length: 200\r\nExpect: 100-continue\r\n", STREAM, 0),
    (b"Transfer-Encoding: chunked\r\n", STREAM, 0),
    # gunicorn refuses these without reading a body: nothing to wait for.
    (b"Content-Length: 2x\r\n", QUICK, 0),
    (b"Content-Length: 5\r\nContent-Length: 6\r\n", QUICK, 0),
])
def test_the_lane_and_the_body_gathered_first(headers: bytes, lane: str, gathered: int):
    assert classify(HEAD + headers + b"\r\n") == (lane, gathered)


@pytest.mark.parametrize(("request_line", "lane"), [
    (b"GET /artifacts/images/0f1e/image HTTP/1.1", STREAM),
    (b"GET /artifacts/images/0f1e/folder/a%2Fkey?x=1 HTTP/1.1", STREAM),
    (b"HEAD /artifacts/images/0f1e/image HTTP/1.1", QUICK),
    (b"GET /artifacts/images/0f1e HTTP/1.1", QUICK),
    (b"GET /artifacts/images?name=x/y HTTP/1.1", QUICK),
    (b"GET /healthcheck HTTP/1.1", QUICK),
])
def test_blob_downloads_stream_at_their_clients_pace(request_line: bytes, lane: str):
    """A download waits on its reader as an upload waits on its sender: a thread of the
    streaming lane, so slow readers never hold the threads other requests need."""
    assert classify(request_line + b"\r\nHost: a\r\n\r\n") == (lane, 0)


def test_a_head_is_ready_once_complete_and_a_small_body_once_whole():
    head = RequestHead(now=0, head_timeout=20, min_rate=500, grace=10)
    head.feed(HEAD + b"Content-Length: 10\r\n", 1)
    assert not head.ready and head.deadline() == 20
    head.feed(b"\r\n0123", 2)
    assert head.lane == QUICK and not head.ready
    assert head.wanted() == 6
    # The body's clock starts with the head: grace plus one second per min_rate bytes.
    assert head.deadline() == 2 + 10 + 4 / 500
    head.feed(b"456789", 3)
    assert head.ready and head.wanted() == 0


def test_bytes_left_over_from_the_last_request_count():
    head = RequestHead(now=5, head_timeout=20, min_rate=500, grace=10,
                       buffered=b"GET / HTTP/1.1\r\n\r\nGET /next")
    assert head.ready and head.lane == QUICK


def test_bare_line_feeds_end_a_head_too():
    head = RequestHead(now=0, head_timeout=20, min_rate=500, grace=10)
    head.feed(b"GET / HTTP/1.1\nHost: a\n", 0)
    head.feed(b"\n", 0)
    assert head.ready


def test_a_head_that_never_ends_goes_to_gunicorn_at_the_cap():
    head = RequestHead(now=0, head_timeout=20, min_rate=500, grace=10)
    prefix = b"GET / HTTP/1.1\r\nX: "
    head.feed(prefix + b"a" * (MAX_HEAD - len(prefix) - 30), 0)
    assert not head.ready and head.wanted() == 30
    head.feed(b"a" * 30, 0)
    assert head.ready and head.head_end is None


def test_no_head_timeout_means_no_deadline():
    assert RequestHead(now=0, head_timeout=0, min_rate=0, grace=0).deadline() == float("inf")


def test_uploads_are_abandoned_early_enough_to_roll_back():
    assert abandon_after(30) == 25
    assert abandon_after(4) == 2
    assert abandon_after(0) == 0


@pytest.fixture
def pair():
    server, client = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    yield server, client
    server.close()
    client.close()


def paced(sock: socket.socket, **kwargs) -> PacedSocket:
    options = {"min_rate": 1000.0, "grace": 0.5, "silence": 60.0,
               "stopping": threading.Event(), **kwargs}
    return PacedSocket(sock, **options)


def test_a_trickling_body_is_cut_after_the_grace(pair):
    server, client = pair
    reader = paced(server)
    client.sendall(b"ab")
    started = time.monotonic()
    with pytest.raises(RequestTimeout, match=r"too slowly .* after 2 bytes"):
        while True:
            reader.recv(65536, socket.MSG_WAITALL)
    # 0.5 s of grace plus 2 bytes' worth at 1000 bytes a second, with room for a busy CPU
    assert 0.45 <= time.monotonic() - started < 5


def test_data_earns_waiting_time_and_time_outside_receives_is_free(pair):
    server, client = pair
    reader = paced(server, min_rate=1000.0, grace=0.2)
    client.sendall(b"x" * 2000)  # earns 2 s of waiting
    assert reader.recv(2000, socket.MSG_WAITALL) == b"x" * 2000
    time.sleep(0.5)  # the server busy elsewhere: not the client's time
    threading.Timer(0.8, client.sendall, (b"y",)).start()
    assert reader.recv(1) == b"y"
    assert reader.waited < 1.5


def test_a_silent_client_is_still_cut_by_the_silence_limit(pair):
    server, _ = pair
    reader = paced(server, min_rate=0.0, silence=0.3)
    with pytest.raises(BlockingIOError):
        reader.recv(10)


def test_a_stopping_worker_ends_a_receive_with_a_503(pair):
    server, client = pair
    stopping = threading.Event()
    reader = paced(server, min_rate=0.0, stopping=stopping)
    client.sendall(b"abc")
    assert reader.recv(3) == b"abc"

    def stop() -> None:
        stopping.set()
        reader.wake()

    threading.Timer(0.3, stop).start()
    with pytest.raises(ServiceUnavailable, match="shutting down"):
        reader.recv(10, socket.MSG_WAITALL)
    with pytest.raises(ServiceUnavailable):
        reader.recv(10)


def test_the_silence_limit_applies_while_gathering_too():
    head = RequestHead(now=0, head_timeout=20, min_rate=500, grace=10, silence=3)
    head.feed(b"GET / HTTP/1.1\r\n", 1)
    assert head.deadline() == 4
    assert head.timeout_message() == "The client sent nothing for 3 seconds"
    head.feed(b"Host: a\r\n", 2.5)
    assert head.deadline() == 5.5
    idle = RequestHead(now=0, head_timeout=20, min_rate=500, grace=10, silence=60)
    assert idle.deadline() == 20
    assert idle.timeout_message() == "The request head did not arrive within 20 seconds"
