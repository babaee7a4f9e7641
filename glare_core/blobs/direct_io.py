"""Write a stream of chunks to a file: its head through the page cache, the rest without
(``O_DIRECT``).

Why the head is cached: users download what was just uploaded (a CI job uploads, a deploy
downloads). Written with ``O_DIRECT``, a fresh blob is on disk only, and its first download
reads it back from there: on the reference machine at a fifth to a tenth of the speed of a
download from the page cache (docs/performance.md, "Fresh blobs"). Written through the page
cache, it stays there.

Why the rest is not: a huge upload written through the page cache evicts data that other
requests use, and each fresh page-cache page costs kernel time (on virtual machines,
touching memory the guest has not used yet is several times slower than a plain copy).
With ``O_DIRECT`` the device reads straight from our buffer. So each upload puts at most
``direct_from`` bytes into the page cache, however large it is.

``O_DIRECT`` needs the buffer address, the file offset and the length to be multiples of
the device block size. The switch therefore happens at a page boundary, the chunks after it
are gathered in a page-aligned staging buffer (an anonymous mmap) and written in whole
blocks, and the last, partial block is written after switching the descriptor back to
ordinary buffered writes. Filesystems that refuse ``O_DIRECT`` (tmpfs, some network
filesystems) get buffered writes throughout.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import mmap
import os
from collections.abc import Iterable

#: Alignment for direct writes: a page, which is a multiple of every common block size.
ALIGNMENT = mmap.PAGESIZE
#: Size of the staging buffer, i.e. of each direct write (a multiple of ALIGNMENT).
STAGE_SIZE = 1024 * 1024
O_DIRECT: int = getattr(os, "O_DIRECT", 0)


def open_for_write(path: os.PathLike[str] | str) -> int:
    """Create ``path`` for writing (buffered: ``write_chunks`` turns on O_DIRECT)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    return os.open(path, flags, 0o644)


def write_chunks(fd: int, chunks: Iterable[bytes], *, direct_from: int | None) -> int:
    """Write every chunk to ``fd`` (a new, empty file) in order; returns the byte count.

    The first ``direct_from`` bytes (rounded up to a whole page) go through the page
    cache, the rest with O_DIRECT where the filesystem allows it; ``None``: all of them
    through the page cache, ``0``: none.
    """
    writer = _Writer(fd, direct_from)
    try:
        for chunk in chunks:
            writer.write(chunk)
        return writer.finish()
    finally:
        writer.release()


class _Writer:
    """Writes buffered up to the switch offset, then stages whole blocks for O_DIRECT."""

    def __init__(self, fd: int, direct_from: int | None) -> None:
        self.fd = fd
        self.written = 0
        self.direct = False
        self.switch_at = None if direct_from is None or not O_DIRECT else (
            -(-direct_from // ALIGNMENT) * ALIGNMENT)
        self._buffer: mmap.mmap | None = None
        self._view = memoryview(b"")
        self._filled = 0
        self._switch_if_due()

    def write(self, chunk: bytes) -> None:
        data = memoryview(chunk)
        if self._buffer is None:
            if self.switch_at is not None:
                head = self.switch_at - self.written
                _write_all(self.fd, data[:head])
                self.written += min(head, len(data))
                data = data[head:]
                self._switch_if_due()
            if self._buffer is None:
                _write_all(self.fd, data)
                self.written += len(data)
                return
        while data:
            take = min(len(data), STAGE_SIZE - self._filled)
            self._view[self._filled:self._filled + take] = data[:take]
            self._filled += take
            data = data[take:]
            if self._filled == STAGE_SIZE:
                self._flush(STAGE_SIZE)

    def finish(self) -> int:
        """Write what is staged: the whole blocks directly, then the tail buffered."""
        whole = self._filled - self._filled % ALIGNMENT
        if whole:
            self._flush(whole)
        if self._filled:
            self._stop_direct()
            self._flush(self._filled)
        return self.written

    def release(self) -> None:
        self._view.release()
        if self._buffer is not None:
            # A traceback may still hold a slice of the buffer; it is then freed with it.
            with contextlib.suppress(BufferError):
                self._buffer.close()

    def _switch_if_due(self) -> None:
        """At the switch offset: turn on O_DIRECT and start staging (once)."""
        if self.switch_at is None or self.written < self.switch_at:
            return
        self.switch_at = None
        flags = fcntl.fcntl(self.fd, fcntl.F_GETFL)
        try:
            fcntl.fcntl(self.fd, fcntl.F_SETFL, flags | O_DIRECT)
        except OSError as exc:
            if exc.errno != errno.EINVAL:  # EINVAL: this filesystem has no O_DIRECT
                raise
            return
        self.direct = True
        self._buffer = mmap.mmap(-1, STAGE_SIZE)
        self._view = memoryview(self._buffer)

    def _flush(self, length: int) -> None:
        """Write the first ``length`` staged bytes and move any rest to the front."""
        pending = self._view[:length]
        while pending:
            try:
                done = os.write(self.fd, pending)
            except OSError as exc:
                if exc.errno != errno.EINVAL or not self.direct:
                    raise
                self._stop_direct()  # the filesystem accepted the flag but not the write
                continue
            pending = pending[done:]
            self.written += done
            if done % ALIGNMENT and self.direct:
                self._stop_direct()  # a short, unaligned write: the offset is unaligned now
        rest = self._filled - length
        if rest:
            self._view[:rest] = self._view[length:self._filled]
        self._filled = rest

    def _stop_direct(self) -> None:
        if self.direct:
            flags = fcntl.fcntl(self.fd, fcntl.F_GETFL)
            fcntl.fcntl(self.fd, fcntl.F_SETFL, flags & ~O_DIRECT)
            self.direct = False


def _write_all(fd: int, data: memoryview) -> None:
    while data:
        data = data[os.write(fd, data):]
