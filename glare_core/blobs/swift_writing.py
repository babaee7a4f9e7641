"""Writing blobs to Swift for the ``swift`` store: one plain object, or a Static Large
Object whose segments are uploaded one after another while the request body streams in.

A blob whose size is known and within the plain-object limit is one object, streamed in
one PUT. Anything bigger, or of unknown size (chunked uploads), is a Static Large Object
of ``segment_size`` segments (``<container>_segments/<blob id>/<n>``), so memory stays
bounded and blobs of many GiB work. Plain objects are preferred: reading a Static Large
Object costs the proxy an MD5 of every segment, and a plain object's ETag is the MD5 of
its content, which Glare then need not compute itself. A failed write deletes what it
wrote, and reports what it could not delete.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator

from glare_core.blobs.base import CHUNK_SIZE, BlobWriteError, StoredBlob
from glare_core.blobs.streams import take
from glare_core.blobs.swift import SCHEME
from glare_core.blobs.swift_connection import NETWORK_ERRORS, ClientException, ConnectionPool
from glare_core.errors import GlareError

# Blobs of unknown size up to this many bytes are buffered and stored as plain objects.
SMALL_OBJECT_PEEK = 4 * 1024 * 1024


class _IterReader:
    """A file-like ``read()`` over an iterator of chunks, for swiftclient's streaming PUT.

    Reads are short: each returns at most the rest of the current chunk, so a chunk is
    never joined with the next and a small ``read(size)`` copies only ``size`` bytes (the
    HTTP layer reads 16 KiB at a time from a sized body). An exception raised by the
    iterator (size limit, client gone) is remembered so the store can re-raise it instead
    of whatever swiftclient wraps it in.
    """

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._current = b""
        self._offset = 0
        self.count = 0
        self.error: BaseException | None = None

    def read(self, size: int = -1) -> bytes:
        while self._offset >= len(self._current):
            try:
                chunk = next(self._chunks, None)
            except BaseException as exc:
                self.error = exc
                raise
            if chunk is None:
                return b""
            self._current, self._offset = chunk, 0
        start = self._offset
        if size < 0 or len(self._current) - start <= size:
            out = self._current[start:] if start else self._current  # no copy when whole
        else:
            out = self._current[start:start + size]
        self._offset += len(out)
        self.count += len(out)
        return out


class BlobWriter:
    """Writes blobs at ``swift://<container>/<obj>`` through ``pool``.

    ``ensure_container`` creates a container unless known to exist; ``plain_limit`` gives
    the largest blob stored as one plain object.
    """

    def __init__(self, pool: ConnectionPool, *, segment_size: int,
                 plain_limit: Callable[[], int],
                 ensure_container: Callable[[str], None]) -> None:
        self.pool = pool
        self.segment_size = segment_size
        self.plain_limit = plain_limit
        self.ensure_container = ensure_container

    def write(self, location: str, container: str, obj: str, chunks: Iterable[bytes],
              size: int | None) -> StoredBlob:
        written: list[tuple[str, str]] = []  # (container, object) to remove on failure
        reader = None
        try:
            self.ensure_container(container)
            chunks = iter(chunks)
            if size is None:
                # Unknown size: a small blob (it ends within the first few MiB) is still
                # stored as one plain object; only that much is ever buffered.
                head, chunks, ended = _peek(chunks, SMALL_OBJECT_PEEK)
                if ended:
                    size = len(head)
                chunks = _prepend(head, chunks)
            if size is not None and size <= self.plain_limit():
                reader = _IterReader(chunks)
                written.append((container, obj))
                with self.pool.borrowed() as conn:
                    etag = conn.put_object(
                        container, obj, reader, content_length=size, chunk_size=CHUNK_SIZE
                    )
                # A plain object's ETag is the MD5 of the bytes Swift stored.
                return StoredBlob(location, reader.count, checksums={"md5": etag.lower()})
            return self._write_large(container, obj, chunks, written, size)
        except BaseException as exc:
            leftovers = self._remove(written)
            cause = reader.error if reader is not None and reader.error else exc
            if isinstance(cause, GlareError) or not isinstance(cause, NETWORK_ERRORS):
                if leftovers:
                    raise BlobWriteError(str(cause), leftover=leftovers,
                                         status=getattr(cause, "status", 503)) from cause
                raise cause from None
            raise BlobWriteError(
                f"Swift is unavailable: {cause}", leftover=leftovers
            ) from cause

    def _write_large(
        self, container: str, obj: str, chunks: Iterator[bytes],
        written: list[tuple[str, str]], size: int | None,
    ) -> StoredBlob:
        segment_container = f"{container}_segments"
        self.ensure_container(segment_container)
        manifest, carry, total = [], [], 0
        while True:
            piece = take(chunks, self.segment_size, carry)
            first = next(piece, b"")
            if not first and manifest:
                break
            name = f"{obj}/{len(manifest):08d}"
            reader = _IterReader(_prepend(first, piece))
            written.append((segment_container, name))
            # With the blob's size known, each segment's is too: a sized PUT spares Swift
            # the chunked transfer decoding.
            length = None if size is None else min(self.segment_size, size - total)
            try:
                with self.pool.borrowed() as conn:
                    etag = conn.put_object(
                        segment_container, name, reader, content_length=length,
                        chunk_size=CHUNK_SIZE,
                    )
            except BaseException:
                if reader.error is not None:
                    raise reader.error from None
                raise
            manifest.append(
                {"path": f"/{segment_container}/{name}", "etag": etag,
                 "size_bytes": reader.count}
            )
            total += reader.count
            if not first:
                break  # an empty blob: one empty segment
        written.append((container, obj))
        with self.pool.borrowed() as conn:
            conn.put_object(
                container, obj, json.dumps(manifest), query_string="multipart-manifest=put"
            )
        return StoredBlob(f"{SCHEME}://{container}/{obj}", total)

    def _remove(self, written: list[tuple[str, str]]) -> list[str]:
        """Delete what a failed write left; return the locations that could not be deleted."""
        leftovers = []
        for container, obj in reversed(written):
            try:
                with self.pool.borrowed() as conn:
                    conn.delete_object(container, obj)
            except ClientException as exc:
                if exc.http_status != 404:
                    leftovers.append(f"{SCHEME}://{container}/{obj}")
            except NETWORK_ERRORS:
                leftovers.append(f"{SCHEME}://{container}/{obj}")
        return leftovers


def _peek(chunks: Iterator[bytes], limit: int) -> tuple[bytes, Iterator[bytes], bool]:
    """Read up to ``limit`` bytes; return them, the rest, and whether the stream ended."""
    head = bytearray()
    for chunk in chunks:
        head.extend(chunk)
        if len(head) > limit:
            return bytes(head), chunks, False
    return bytes(head), iter(()), True


def _prepend(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    if first:
        yield first
    yield from rest
