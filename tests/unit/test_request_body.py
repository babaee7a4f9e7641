"""``request_body``: the upload stream reader never reads past Content-Length (the bytes
after it belong to the next request on the connection), and a short or broken body is a
400, never a short blob."""

from __future__ import annotations

import io

import pytest

from glare_core.api.request_body import request_body
from glare_core.errors import BadRequest, RequestTimeout

NEXT_REQUEST = b"GET /versions HTTP/1.1\r\nHost: x\r\n\r\n"


@pytest.mark.parametrize("size", [0, 1, 1000, 3 * 1024 + 5])
def test_stops_exactly_at_the_announced_length(size: int) -> None:
    body = bytes(range(256)) * (size // 256) + bytes(size % 256)
    connection = io.BytesIO(body + NEXT_REQUEST)
    assert b"".join(request_body(connection, size, chunk_size=1024)) == body
    assert connection.read() == NEXT_REQUEST  # untouched for the next request


def test_reads_ask_for_no_more_than_what_is_left() -> None:
    asked: list[int] = []

    class Recording(io.BytesIO):
        def read(self, size: int = -1) -> bytes:  # type: ignore[override]
            asked.append(size)
            return super().read(size)

    list(request_body(Recording(b"x" * 2500 + NEXT_REQUEST), 2500, chunk_size=1000))
    assert asked == [1000, 1000, 500]


def test_without_a_length_it_reads_to_the_end() -> None:
    data = b"y" * 5000
    assert b"".join(request_body(io.BytesIO(data), None, chunk_size=1024)) == data


def test_a_body_shorter_than_announced_is_a_400() -> None:
    with pytest.raises(BadRequest, match="ended after 10 of the 20 bytes"):
        list(request_body(io.BytesIO(b"z" * 10), 20))


def test_a_terminated_stream_is_read_to_its_end_and_checked() -> None:
    """A server that frames the body ends the stream itself: a longer body is a 400."""
    with pytest.raises(BadRequest, match="longer than the 100 bytes"):
        list(request_body(io.BytesIO(b"f" * 2001), 100, until_eof=True))
    exact = io.BytesIO(b"e" * 2001)
    assert b"".join(request_body(exact, 2001, chunk_size=500, until_eof=True)) == b"e" * 2001


def test_a_stream_that_returns_more_than_asked_is_a_400() -> None:
    class Greedy(io.BytesIO):
        def read(self, size: int = -1) -> bytes:  # type: ignore[override]
            return super().read(-1)

    with pytest.raises(BadRequest, match="longer than the 4 bytes"):
        list(request_body(Greedy(b"0123456789"), 4))


def test_a_broken_connection_is_a_400() -> None:
    class Broken(io.RawIOBase):
        def read(self, size: int = -1) -> bytes:  # type: ignore[override]
            raise ConnectionResetError("peer reset")

    with pytest.raises(BadRequest, match="interrupted after 0 bytes"):
        list(request_body(Broken(), 100))


@pytest.mark.parametrize("silence", [BlockingIOError(11, "Resource temporarily unavailable"),
                                     TimeoutError("timed out")])
def test_a_client_silent_past_the_receive_timeout_is_a_408(silence: OSError) -> None:
    """A socket with a receive timeout (GLARE_CLIENT_TIMEOUT) fails the read with EAGAIN
    (kernel timeout) or TimeoutError (Python timeout): that is not a broken body but a
    client that stopped sending."""
    class Stalling(io.BytesIO):
        def read(self, size: int = -1) -> bytes:  # type: ignore[override]
            if self.tell() >= 300:
                raise silence
            return super().read(min(size, 300))

    chunks = request_body(Stalling(b"s" * 1000), 1000, chunk_size=100)
    with pytest.raises(RequestTimeout, match="abandoned after 300 bytes") as caught:
        list(chunks)
    assert caught.value.status == 408


def test_a_silent_chunked_client_is_reported_with_what_arrived_at_least() -> None:
    """A server that frames the body (chunked) may hold part of a piece it has not handed
    over yet, so the count is a lower bound, and says so."""
    class Stalling(io.BytesIO):
        def read(self, size: int = -1) -> bytes:  # type: ignore[override]
            if self.tell() >= 200:
                raise TimeoutError("timed out")
            return super().read(min(size, 200))

    chunks = request_body(Stalling(b"s" * 1000), None, chunk_size=100, until_eof=True)
    with pytest.raises(RequestTimeout, match="abandoned after at least 200 bytes"):
        list(chunks)
