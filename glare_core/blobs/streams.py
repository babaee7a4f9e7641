"""Stream wrappers: read a request body in chunks, hash it and cap its size on the way.

Nothing here holds more than one chunk in memory.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import BinaryIO

from werkzeug.exceptions import HTTPException

from glare_core.blobs.base import CHUNK_SIZE
from glare_core.errors import BadRequest, RequestTooLarge


def request_body(
    stream: BinaryIO, expected: int | None, chunk_size: int = CHUNK_SIZE
) -> Iterator[bytes]:
    """A request body in chunks; a client that stops early is an error, never a short blob.

    Servers report a dropped connection differently (an OSError, an HTTP error, or just
    EOF before ``Content-Length`` bytes); each becomes a BadRequest here.
    """
    received = 0
    while True:
        try:
            chunk = stream.read(chunk_size)
        except (OSError, HTTPException) as exc:
            raise BadRequest(
                f"The upload was interrupted after {received} bytes ({type(exc).__name__})"
            ) from None
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


class MeteredStream:
    """Iterate over chunks while counting, hashing (MD5, SHA-1, SHA-256) and limiting.

    Reading past ``limit`` bytes raises RequestTooLarge with ``limit_message``. Every
    ``heartbeat_every`` seconds ``heartbeat`` is called (the engine uses it to show the
    upload is alive).
    """

    def __init__(
        self,
        chunks: Iterable[bytes],
        *,
        limit: int,
        limit_message: str = "",
        heartbeat: Callable[[], None] | None = None,
        heartbeat_every: float = 30.0,
    ) -> None:
        self._chunks = chunks
        self.limit = limit
        self.limit_message = limit_message or f"The blob is larger than {limit} bytes"
        self.size = 0
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._sha1 = hashlib.sha1(usedforsecurity=False)
        self._sha256 = hashlib.sha256()
        self._heartbeat = heartbeat
        self._heartbeat_every = heartbeat_every
        self._last_beat = time.monotonic()

    def __iter__(self) -> Iterator[bytes]:
        # The digests run in two helper threads (MD5 alone, SHA-1 + SHA-256 together) while
        # this thread goes on reading: hashlib releases the GIL for large updates, and each
        # digest still sees the chunks in order because a helper takes the next chunk only
        # after finishing the previous one.
        with (
            ThreadPoolExecutor(1, thread_name_prefix="glare-md5") as md5_helper,
            ThreadPoolExecutor(1, thread_name_prefix="glare-sha") as sha_helper,
        ):
            md5_done: Future | None = None
            sha_done: Future | None = None
            try:
                for chunk in self._counted():
                    if md5_done is not None:
                        md5_done.result()
                    md5_done = md5_helper.submit(self._md5.update, chunk)
                    if sha_done is not None:
                        sha_done.result()
                    sha_done = sha_helper.submit(self._update_sha, chunk)
                    yield chunk
            finally:
                for pending in (md5_done, sha_done):
                    if pending is not None:
                        pending.result()

    def _update_sha(self, chunk: bytes) -> None:
        self._sha1.update(chunk)
        self._sha256.update(chunk)

    def _counted(self) -> Iterator[bytes]:
        for chunk in self._chunks:
            if not chunk:
                continue
            self.size += len(chunk)
            if self.size > self.limit:
                raise RequestTooLarge(self.limit_message)
            if self._heartbeat is not None and (
                time.monotonic() - self._last_beat >= self._heartbeat_every
            ):
                self._last_beat = time.monotonic()
                self._heartbeat()
            yield chunk

    @property
    def checksums(self) -> dict[str, str]:
        return {
            "md5": self._md5.hexdigest(),
            "sha1": self._sha1.hexdigest(),
            "sha256": self._sha256.hexdigest(),
        }


def rechunk(chunks: Iterable[bytes], size: int) -> Iterator[bytes]:
    """Regroup chunks into pieces of exactly ``size`` bytes (the last may be shorter)."""
    buffer = bytearray()
    for chunk in chunks:
        buffer.extend(chunk)
        while len(buffer) >= size:
            yield bytes(buffer[:size])
            del buffer[:size]
    if buffer:
        yield bytes(buffer)


def take(chunks: Iterator[bytes], limit: int, carry: list[bytes]) -> Iterator[bytes]:
    """Yield at most ``limit`` bytes from ``chunks``; a split chunk's rest goes to ``carry``.

    ``carry`` (a one-item list or empty) is consumed first, so successive calls walk one
    stream in consecutive slices (e.g. Swift segments) without reading ahead.
    """
    remaining = limit
    while remaining > 0:
        if carry:
            chunk = carry.pop()
        else:
            chunk = next(chunks, b"")
            if not chunk:
                return
        if len(chunk) > remaining:
            carry.append(chunk[remaining:])
            chunk = chunk[:remaining]
        remaining -= len(chunk)
        yield chunk
