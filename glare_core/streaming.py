"""Stream types shared by the blob stores and the HTTP layer, which know nothing of each
other: the chunk size both read and send in, and ``FileRange``, the local-file data a store
returns and the HTTP layer may hand to the server for zero-copy sending.

``glare_core.blobs.base`` re-exports both for store authors.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

CHUNK_SIZE = 1024 * 1024


class FileRange:
    """Chunks of an open local file, from ``offset`` for ``length`` bytes (None: to EOF).

    A store returns one from ``read`` when the data is a local file, so that the HTTP
    layer may hand the file to the server for zero-copy sending (``wsgi.file_wrapper``);
    iterating it works everywhere else.
    """

    def __init__(self, fileobj: BinaryIO, offset: int = 0, length: int | None = None) -> None:
        self.fileobj = fileobj
        self.offset = offset
        self.length = length

    def __iter__(self) -> Iterator[bytes]:
        with self.fileobj:
            self.fileobj.seek(self.offset)
            remaining = self.length
            while remaining is None or remaining > 0:
                size = CHUNK_SIZE if remaining is None else min(CHUNK_SIZE, remaining)
                chunk = self.fileobj.read(size)
                if not chunk:
                    return
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk

    def close(self) -> None:
        self.fileobj.close()
