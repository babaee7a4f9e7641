"""Write a stream of chunks to a file without going through the page cache (``O_DIRECT``).

Why: a blob upload writes each byte once and is rarely read back at once, so copying it
into the page cache costs CPU (on virtual machines, touching fresh page-cache pages is
several times slower than a plain memory copy) and evicts data that other requests use.
With ``O_DIRECT`` the device reads straight from our buffer.

``O_DIRECT`` needs the buffer address, the file offset and the length to be multiples of
the device block size. Chunks are therefore gathered in a page-aligned staging buffer
(an anonymous mmap) and written in whole blocks; the last, partial block is written after
switching the descriptor back to ordinary buffered writes. Filesystems that refuse
``O_DIRECT`` (tmpfs, some network filesystems) get buffered writes throughout.
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


def open_for_write(path: os.PathLike[str] | str, *, direct: bool) -> tuple[int, bool]:
    """Create ``path`` for writing; returns the descriptor and whether it uses O_DIRECT."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    if direct and O_DIRECT:
        try:
            return os.open(path, flags | O_DIRECT, 0o644), True
        except OSError as exc:
            if exc.errno != errno.EINVAL:  # EINVAL: this filesystem has no O_DIRECT
                raise
    return os.open(path, flags, 0o644), False


def write_chunks(fd: int, chunks: Iterable[bytes], *, direct: bool) -> int:
    """Write every chunk to ``fd`` in order; returns the number of bytes written.

    ``direct`` says whether ``fd`` was opened with O_DIRECT. Without it the chunks are
    written as they come.
    """
    if not direct:
        written = 0
        for chunk in chunks:
            _write_all(fd, memoryview(chunk))
            written += len(chunk)
        return written
    writer = _AlignedWriter(fd)
    try:
        for chunk in chunks:
            writer.write(chunk)
        return writer.finish()
    finally:
        writer.release()


class _AlignedWriter:
    """Gathers chunks in an aligned buffer and writes it with O_DIRECT whenever it is full."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.direct = True
        self.written = 0
        self._buffer = mmap.mmap(-1, STAGE_SIZE)
        self._view = memoryview(self._buffer)
        self._filled = 0

    def write(self, chunk: bytes) -> None:
        data = memoryview(chunk)
        while data:
            take = min(len(data), STAGE_SIZE - self._filled)
            self._view[self._filled:self._filled + take] = data[:take]
            self._filled += take
            data = data[take:]
            if self._filled == STAGE_SIZE:
                self._flush(STAGE_SIZE)

    def finish(self) -> int:
        """Write what is left: the whole blocks directly, then the tail buffered."""
        whole = self._filled - self._filled % ALIGNMENT
        if whole:
            self._flush(whole)
        if self._filled:
            self._stop_direct()
            self._flush(self._filled)
        return self.written

    def release(self) -> None:
        self._view.release()
        # A traceback may still hold a slice of the buffer; it is then freed with it.
        with contextlib.suppress(BufferError):
            self._buffer.close()

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
