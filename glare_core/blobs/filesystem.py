"""The ``file`` store: blobs as files under ``<data dir>/blobs`` (the embedded default).

Writes go to a temporary file next to the target, are fsynced, then renamed into place, so
a reader never sees a partial blob and a failed write leaves nothing behind (a server
killed mid-write leaves its temporary file, which deleting the location removes).
The first ``write_cache`` bytes of each blob go through the page cache, so the first
download of a fresh blob is served from memory; the rest bypasses it (``O_DIRECT``, see
``direct_io``) where the filesystem allows, so a huge upload does not evict everything else.
Locations are relative (``file:<namespace>/<xx>/<blob id>``) so the data folder can move.
"""

from __future__ import annotations

import errno
import glob
import os
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

from glare_core.blobs import direct_io
from glare_core.blobs.base import (
    BlobNotFound,
    BlobStore,
    BlobWriteError,
    FileRange,
    InsufficientStorage,
    StoredBlob,
)
from glare_core.errors import BadRequest

SCHEME = "file"
#: Bytes of each blob written through the page cache by default (``GLARE_BLOB_WRITE_CACHE``):
#: blobs up to this size are downloaded from memory right after their upload.
DEFAULT_WRITE_CACHE = 512 * 1024 * 1024


class FilesystemStore(BlobStore):
    schemes = (SCHEME,)
    readers_survive_delete = True  # an unlinked file stays readable through open handles
    # Files of this server ("filesystem" is what earlier Glare versions called them).
    server_local_schemes = (SCHEME, "filesystem")

    def __init__(
        self, root: str | os.PathLike[str], *, fsync: bool = True,
        write_cache: int | None = DEFAULT_WRITE_CACHE,
    ) -> None:
        """``write_cache``: bytes of each blob written through the page cache, the rest
        with O_DIRECT; ``None``: every byte through the page cache."""
        self.root = Path(root)
        self.fsync = fsync
        self.write_cache = write_cache
        # The root is made by the first write (glare-api creates it at start): building
        # an app for a command that only reads creates no folder.

    def location_for(self, blob_id: str, *, namespace: str) -> str:
        return f"{self.name}:{namespace}/{blob_id[:2]}/{blob_id}"

    def path_of(self, location: str) -> Path:
        scheme = self.name
        if not location.startswith(f"{scheme}:"):
            raise BadRequest(f"Not a {scheme} location: {location}")
        relative = Path(location[len(scheme) + 1:])
        if relative.is_absolute() or ".." in relative.parts:
            raise BadRequest(f"Invalid {scheme} location: {location}")
        return self.root / relative

    def write(
        self, location: str, chunks: Iterable[bytes], *, size: int | None = None
    ) -> StoredBlob:
        target = self.path_of(location)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f"{target.name}.partial-{uuid.uuid4().hex[:8]}")
        try:
            fd = direct_io.open_for_write(partial)
            try:
                written = direct_io.write_chunks(fd, chunks, direct_from=self.write_cache)
                # On disk before the blob can become active (the caller marks it so once
                # this returns), however much of it is also still in the page cache.
                if self.fsync:
                    os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(partial, target)
        except BaseException as exc:
            partial.unlink(missing_ok=True)
            if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise InsufficientStorage("The blob store is full") from exc
            if isinstance(exc, OSError):
                raise BlobWriteError(f"Cannot write blob data: {exc.strerror}") from exc
            raise
        return StoredBlob(location=location, size=written)

    def read(
        self, location: str, *, offset: int = 0, length: int | None = None
    ) -> Iterator[bytes]:
        path = self.path_of(location)
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            raise BlobNotFound(f"No data at {location}") from None
        if hasattr(os, "posix_fadvise"):
            # Downloads read straight through: a larger readahead window makes bigger disk
            # reads (sendfile would otherwise read the cold file in small pieces).
            os.posix_fadvise(handle.fileno(), offset, length or 0, os.POSIX_FADV_SEQUENTIAL)
        return FileRange(handle, offset, length)

    def delete(self, location: str) -> None:
        target = self.path_of(location)
        target.unlink(missing_ok=True)
        # A server killed mid-write leaves its temporary file behind: it goes too.
        for partial in target.parent.glob(f"{glob.escape(target.name)}.partial-*"):
            partial.unlink(missing_ok=True)

    def stored_size(self, location: str,
                    reading: Iterable[bytes] | None = None) -> int | None:
        """The size of the open file being read (the very bytes sendfile will send), or
        of the file at ``location``."""
        if isinstance(reading, FileRange):
            return os.fstat(reading.fileobj.fileno()).st_size
        try:
            return self.path_of(location).stat().st_size
        except FileNotFoundError:
            raise BlobNotFound(f"No data at {location}") from None

    def exists(self, location: str) -> bool:
        return self.path_of(location).is_file()

    def stored_files(self) -> list[Path]:
        """Every file under the store root (for leak checks)."""
        return sorted(p for p in self.root.rglob("*") if p.is_file())
