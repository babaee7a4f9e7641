"""Stream wrappers: hash a blob's chunks and cap its size on the way, regroup and slice
chunks, and hold a download's reader lease while its chunks flow.

Nothing here holds more than one chunk in memory. (Reading the request body from the
client is the HTTP layer's: ``glare_core/api/request_body.py``.)
"""

from __future__ import annotations

import hashlib
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from glare_core.errors import RequestTooLarge

#: How many chunks a digest helper may be behind the reader (see MeteredStream).
HASH_LAG = 4

#: The digests Glare records for every blob, with the length of their hex form.
DIGEST_HEX_LENGTHS = {"md5": 32, "sha1": 40, "sha256": 64}


class MeteredStream:
    """Iterate over chunks while counting, hashing (MD5, SHA-1, SHA-256) and limiting.

    Reading past ``limit`` bytes raises RequestTooLarge with ``limit_message``. Digests
    named in ``skip_digests`` are not computed (the store computes them) and are absent
    from ``checksums``.

    With ``reserve``, the stream holds a reservation of ``reserved`` bytes; whenever the
    bytes read pass it, ``reserve(bytes read)`` is called and returns the new reservation
    (or raises, e.g. RequestTooLarge when the shared budget has no room left).
    """

    def __init__(
        self,
        chunks: Iterable[bytes],
        *,
        limit: int,
        limit_message: str = "",
        skip_digests: frozenset[str] = frozenset(),
        reserved: int = 0,
        reserve: Callable[[int], int] | None = None,
    ) -> None:
        self._chunks = chunks
        self.reserved = reserved
        self._reserve = reserve
        self.limit = limit
        self.limit_message = limit_message or f"The blob is larger than {limit} bytes"
        self.size = 0
        self._digests = {
            name: hashlib.new(name, usedforsecurity=False)
            for name in DIGEST_HEX_LENGTHS if name not in skip_digests
        }
        # Two helper threads split the work: MD5 (the slowest, about 2.5x SHA-1 or SHA-256
        # with CPU support) alone and the others together, or one digest each without MD5.
        rest = [d for name, d in self._digests.items() if name != "md5"]
        if "md5" in self._digests:
            groups = [[self._digests["md5"]], rest]
        else:
            groups = [[digest] for digest in rest]
        self._groups = [group for group in groups if group]

    def __iter__(self) -> Iterator[bytes]:
        # The digests run in two helper threads while this thread goes on reading:
        # hashlib releases the GIL for large updates. Each helper is a one-thread
        # executor, so it takes the chunks in order; it may lag up to HASH_LAG chunks
        # behind the reader, which absorbs the moments when one side waits (the network,
        # the disk, a busy core) without holding more than a few chunks.
        groups = self._groups
        helpers = [ThreadPoolExecutor(1, thread_name_prefix="glare-digest") for _ in groups]
        pending: list[deque[Future]] = [deque() for _ in groups]
        try:
            for chunk in self._counted():
                for index, group in enumerate(groups):
                    queue = pending[index]
                    if len(queue) >= HASH_LAG:
                        queue.popleft().result()
                    queue.append(helpers[index].submit(_update_all, group, chunk))
                yield chunk
        finally:
            for queue in pending:
                for future in queue:
                    future.result()
            for helper in helpers:
                helper.shutdown()

    def _counted(self) -> Iterator[bytes]:
        for chunk in self._chunks:
            if not chunk:
                continue
            self.size += len(chunk)
            if self.size > self.limit:
                raise RequestTooLarge(self.limit_message)
            if self._reserve is not None and self.size > self.reserved:
                self.reserved = self._reserve(self.size)
            yield chunk

    @property
    def checksums(self) -> dict[str, str]:
        return {name: digest.hexdigest() for name, digest in self._digests.items()}


def _update_all(digests: list[Any], chunk: bytes) -> None:
    for digest in digests:
        digest.update(chunk)


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


class LeasedChunks:
    """The chunks of a download that holds a lease: ``renew`` is called at most every
    ``renew_every`` seconds while chunks flow, ``on_close`` once, when the last chunk
    has been taken or when the server closes the response, whichever comes first."""

    def __init__(self, chunks: Iterable[bytes], *, renew: Callable[[], None],
                 renew_every: float, on_close: Callable[[], None]) -> None:
        self._source = chunks
        self._chunks = iter(chunks)
        self._renew = renew
        self._renew_every = renew_every
        self._on_close = on_close
        self._renewed = time.monotonic()
        self._closed = False

    def __iter__(self) -> LeasedChunks:
        return self

    def __next__(self) -> bytes:
        try:
            chunk = next(self._chunks)
        except BaseException:
            self.close()  # the end (or a failed read): nothing more will be read
            raise
        now = time.monotonic()
        if now - self._renewed >= self._renew_every:
            self._renewed = now
            self._renew()
        return chunk

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            close = getattr(self._source, "close", None)  # iter() of an iterator is itself
            if close is not None:
                close()
        finally:
            self._on_close()
