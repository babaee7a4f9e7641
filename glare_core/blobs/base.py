"""The BlobStore interface: where blob bytes live. Stores never touch artifact metadata.

A store writes a stream of chunks under a fresh blob id and returns the location (a URI
of its own scheme, never shown to clients), reads a location back as a stream of chunks
(optionally a byte range), and deletes a location. Stores are plugins: the
``glare_register_blob_stores`` hook provides them by scheme.

Failure contract: ``write`` either stores every byte and returns, or raises after removing
whatever it had written (best effort; locations it cannot remove it lists in
``BlobWriteError.leftover`` so the caller can queue them for the scrubber).
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

# The store errors belong to the one error tree; re-exported here for store authors.
from glare_core.errors import BlobNotFound, BlobWriteError, InsufficientStorage

# Shared with the HTTP layer (glare_core/streaming.py); re-exported here for store authors.
from glare_core.streaming import CHUNK_SIZE, FileRange

__all__ = ["BLOB_STORE_API_VERSION", "CHUNK_SIZE", "BlobNotFound", "BlobStore", "BlobWriteError",
           "FileRange", "InsufficientStorage", "StoredBlob"]

BLOB_STORE_API_VERSION = "1.4"


@dataclass(frozen=True)
class StoredBlob:
    """What a store wrote: where, how many bytes, and the digests it computed itself
    (only those promised by ``BlobStore.digests_while_writing``)."""

    location: str
    size: int
    checksums: Mapping[str, str] = field(default_factory=dict)


class BlobStore(abc.ABC):
    """Bytes of blobs, addressed by location URIs of the store's ``schemes``."""

    #: URI schemes this store writes (first) and reads.
    schemes: tuple[str, ...] = ()
    #: False for read-only stores (e.g. plain HTTP locations).
    writable: bool = True
    #: True when a read that has started keeps getting its bytes after ``delete`` of its
    #: location (an open file). When False, Glare holds back deleting replaced or deleted
    #: data until the downloads reading it have finished. Since blob store API 1.2.
    readers_survive_delete: bool = False
    #: URI schemes of locations that point at data local to the server (its files, its
    #: database), this store's and the names earlier Glare versions gave them. Clients
    #: may never attach such a location as an internal location (403), whether or not a
    #: store of this class is configured. Since blob store API 1.4.
    server_local_schemes: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.schemes[0]

    def location_for(self, blob_id: str, *, namespace: str) -> str:
        """The location ``write`` will use for ``blob_id`` (recorded before writing)."""
        raise NotImplementedError

    @abc.abstractmethod
    def write(
        self, location: str, chunks: Iterable[bytes], *, size: int | None = None
    ) -> StoredBlob:
        """Store every chunk at ``location``; ``size`` is the expected total if known."""

    def digests_while_writing(self, size: int | None) -> frozenset[str]:
        """Digests (of ``md5``, ``sha1``, ``sha256``) this store computes itself while
        writing a blob of ``size`` bytes (None: unknown) and returns in
        ``StoredBlob.checksums``, so that Glare need not compute them again.

        A store that already hashes what it receives (Swift's ETag is the MD5 of a plain
        object) saves the API process that CPU. The default is none. Since blob store API 1.1.
        """
        return frozenset()

    @abc.abstractmethod
    def read(
        self, location: str, *, offset: int = 0, length: int | None = None
    ) -> Iterator[bytes]:
        """Stream the bytes at ``location`` from ``offset`` (``length`` bytes or to the end).

        Raises BlobNotFound when nothing is stored there.
        """

    @abc.abstractmethod
    def delete(self, location: str) -> None:
        """Remove the data at ``location``; no error if it is already gone.

        It must also remove whatever a write to ``location`` that never finished left
        (a server killed mid-upload cannot clean up after itself): the engine deletes
        the location of an abandoned upload and expects no fragment to remain.
        """

    def stored_size(self, location: str,
                    reading: Iterable[bytes] | None = None) -> int | None:
        """How many bytes are stored at ``location``, if the store can tell cheaply; None
        when it cannot. Downloads compare it with the size recorded at upload and send
        nothing when they differ (data truncated or grown outside Glare).

        ``reading`` is what ``read`` returned for the location when the download has
        opened it: a store that can should take the size from it (an open file's size,
        the headers of the response being read) rather than ask again, so that the size
        checked is that of the data about to be sent. Raises BlobNotFound when nothing is
        stored there. The default answers None (no check). Since blob store API 1.3.
        """
        return None

    def exists(self, location: str) -> bool:
        """True if data is stored at ``location`` (used by the scrubber and tests)."""
        try:
            next(iter(self.read(location, length=0)), None)
        except BlobNotFound:
            return False
        return True

    def close(self) -> None:  # noqa: B027 (optional hook)
        """Release connections when the app shuts down."""
