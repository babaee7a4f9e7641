"""Reading Swift objects for the ``swift`` store: ranged GETs streamed chunk by chunk,
and the whole object's size (from the GET's headers, or a HEAD) for download checks.

A read holds its pooled connection until its chunks end or it is closed; the connection
then goes back to the pool (closed first when the response was not read to its end).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from glare_core.blobs.base import CHUNK_SIZE, BlobNotFound
from glare_core.blobs.swift_connection import NETWORK_ERRORS, ClientException, ConnectionPool
from glare_core.errors import ServiceUnavailable


class ObjectReading:
    """The chunks of an object being read, with the object's whole size as the response
    headers give it (None if they do not), for ``stored_size``.

    ``unread`` releases the response when it is closed before its first chunk (a
    download refused after opening it): a generator closed before it started never runs
    its own clean-up.
    """

    def __init__(self, chunks: Iterator[bytes], total_size: int | None, *,
                 unread: Callable[[], None] | None = None) -> None:
        self._chunks = chunks
        self._unread = unread
        self.total_size = total_size

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        self._unread = None  # started: the chunks' own clean-up releases the response
        return next(self._chunks)

    def close(self) -> None:
        unread, self._unread = self._unread, None
        if unread is not None:
            unread()
        close = getattr(self._chunks, "close", None)
        if close is not None:
            close()


def open_object(pool: ConnectionPool, location: str, container: str, obj: str, *,
                offset: int = 0, length: int | None = None) -> ObjectReading:
    """GET ``obj`` from ``offset`` (``length`` bytes or to the end), streamed.

    Raises BlobNotFound when there is no such object, ServiceUnavailable when Swift
    cannot be reached."""
    headers = {}
    if offset or length is not None:
        end = "" if length is None else str(offset + length - 1)
        headers["Range"] = f"bytes={offset}-{end}"
    if length == 0:
        headers = {}
    conn = pool.take()
    try:
        response_headers, body = conn.get_object(
            container, obj, resp_chunk_size=CHUNK_SIZE, headers=headers
        )
    except BaseException as exc:
        pool.give_back(conn, failed=exc)
        if isinstance(exc, ClientException) and exc.http_status == 404:
            raise BlobNotFound(f"No data at {location}") from None
        if isinstance(exc, ClientException) and exc.http_status == 416:
            # The object ends before the range starts: no bytes to send, and its size
            # (asked by stored_size) tells the download why.
            return ObjectReading(iter(()), None)
        if isinstance(exc, NETWORK_ERRORS):
            raise ServiceUnavailable(f"Swift is unavailable: {exc}") from None
        raise
    total = object_size(response_headers)
    if length == 0:
        body.close()
        pool.give_back(conn)
        return ObjectReading(iter(()), total)

    def close_unread() -> None:
        body.close()
        pool.give_back(conn, failed=GeneratorExit())  # its response is unread

    return ObjectReading(_guarded(body, pool, conn), total, unread=close_unread)


def head_size(pool: ConnectionPool, location: str, container: str, obj: str) -> int | None:
    """The object's size from a HEAD (a large object's is the sum of its segments')."""
    try:
        with pool.borrowed() as conn:
            headers = conn.head_object(container, obj)
    except ClientException as exc:
        if exc.http_status == 404:
            raise BlobNotFound(f"No data at {location}") from None
        raise ServiceUnavailable(f"Swift cannot tell the size of {location}: {exc}") \
            from None
    except NETWORK_ERRORS as exc:
        raise ServiceUnavailable(f"Swift is unavailable: {exc}") from None
    return object_size(headers)


def object_size(headers: Mapping[str, str]) -> int | None:
    """The whole object's size: the total of a Content-Range (``bytes 0-9/1234``), else
    the Content-Length."""
    content_range = headers.get("content-range", "")
    _, slash, total = content_range.rpartition("/")
    value = total if slash else headers.get("content-length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _guarded(body: Any, pool: ConnectionPool, conn: Any) -> Iterator[bytes]:
    """The object's chunks; the connection goes back to the pool once they end."""
    failed: BaseException | None = None
    try:
        yield from body
    except BaseException as exc:  # also GeneratorExit: the client went away midway
        failed = exc
        if isinstance(exc, NETWORK_ERRORS):
            raise ServiceUnavailable(f"Swift stopped sending data: {exc}") from None
        raise
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()
        pool.give_back(conn, failed=failed)
