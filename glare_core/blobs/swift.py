"""The ``swift`` store: blobs as OpenStack Swift objects (python-swiftclient).

One container per artifact type (``<prefix>_<type>``). A blob whose size is known and at
most ``large_object_size`` (default 5 GiB, Swift's own default object size limit, and
never more than the cluster's ``max_file_size``) is one plain object; anything bigger, or
of unknown size, is a Static Large Object of ``segment_size`` segments written while the
request streams (swift_writing.py). Deleting a blob deletes its segments too, and deleting
a location that has no object deletes the segments a server killed mid-write left under
it (swift_objects.py). Settings and authentication: swift_connection.py.

python-swiftclient is an optional dependency (the ``glare-core[swift]`` extra): this
module does not import it, the store does when it is built, so that a server without a
Swift store runs without it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from glare_core.blobs.base import BlobStore, StoredBlob
from glare_core.errors import BadRequest, StartupError

if TYPE_CHECKING:
    from glare_core.blobs.swift_objects import SwiftObjects

SCHEME = "swift"
DEFAULT_SEGMENT_SIZE = 200 * 1024 * 1024
DEFAULT_LARGE_OBJECT_SIZE = 5 * 1024 * 1024 * 1024
#: What installs python-swiftclient along with Glare.
SWIFT_EXTRA = "glare-core[swift]"


def _swift_objects(settings: Mapping[str, Any], auth_version: str, *, segment_size: int,
                   plain_limit: Callable[[], int]) -> SwiftObjects:
    """The store's Swift operations; a StartupError when python-swiftclient is missing."""
    try:
        from glare_core.blobs.swift_objects import SwiftObjects
    except ImportError as exc:
        if (exc.name or "").partition(".")[0] != "swiftclient":
            raise
        raise StartupError(
            f"The swift store needs python-swiftclient, which is not installed: "
            f"pip install '{SWIFT_EXTRA}'") from None
    return SwiftObjects(settings, auth_version, segment_size=segment_size,
                        plain_limit=plain_limit)


class SwiftStore(BlobStore):
    schemes = (SCHEME,)
    # What Glare's first versions called locations in the server's configured account.
    server_local_schemes = ("swift+config",)

    def __init__(self, settings: Mapping[str, Any]) -> None:
        if not settings.get("auth_url"):
            raise StartupError("The swift store needs at least auth_url, user and key")
        self.settings = dict(settings)
        self.auth_version = str(self.settings.get("auth_version", "1"))
        if self.auth_version not in ("1", "1.0", "3", "3.0"):
            raise StartupError(f"The swift store's auth_version must be 1 (tempauth) or 3 "
                               f"(Keystone v3), not {self.auth_version!r}")
        self.prefix = self.settings.get("container_prefix", "glare")
        self.segment_size = int(self.settings.get("segment_size", DEFAULT_SEGMENT_SIZE))
        self.large_object_size = int(
            self.settings.get("large_object_size", DEFAULT_LARGE_OBJECT_SIZE))
        self._cluster_max_size: int | None = None
        self._objects = _swift_objects(self.settings, self.auth_version,
                                       segment_size=self.segment_size,
                                       plain_limit=self.plain_object_limit)
        self._pool = self._objects.pool

    def _new_connection(self) -> Any:
        return self._objects.new_connection()

    def plain_object_limit(self) -> int:
        """The largest blob stored as one object: ``large_object_size``, capped by the
        cluster's ``max_file_size`` when Swift publishes it (``/info``)."""
        if self._cluster_max_size is None:
            self._cluster_max_size = self._objects.max_file_size()  # 0: trust the setting
        if self._cluster_max_size:
            return min(self.large_object_size, self._cluster_max_size)
        return self.large_object_size

    def digests_while_writing(self, size: int | None) -> frozenset[str]:
        """MD5 for blobs stored as one plain object: Swift hashes them already."""
        if size is not None and size <= self.plain_object_limit():
            return frozenset({"md5"})
        return frozenset()

    # ---- locations --------------------------------------------------------------------

    def container_for(self, namespace: str) -> str:
        return f"{self.prefix}_{namespace}"

    def location_for(self, blob_id: str, *, namespace: str) -> str:
        return f"{SCHEME}://{self.container_for(namespace)}/{blob_id}"

    @staticmethod
    def split(location: str) -> tuple[str, str]:
        prefix = f"{SCHEME}://"
        container, _, obj = location[len(prefix):].partition("/")
        if not location.startswith(prefix) or not container or not obj:
            raise BadRequest(f"Not a {SCHEME} location: {location}")
        return container, obj

    # ---- operations -------------------------------------------------------------------

    def write(
        self, location: str, chunks: Iterable[bytes], *, size: int | None = None
    ) -> StoredBlob:
        container, obj = self.split(location)
        return self._objects.write(location, container, obj, chunks, size)

    def read(
        self, location: str, *, offset: int = 0, length: int | None = None
    ) -> Iterator[bytes]:
        container, obj = self.split(location)
        return self._objects.read(location, container, obj, offset=offset, length=length)

    def stored_size(self, location: str,
                    reading: Iterable[bytes] | None = None) -> int | None:
        """The object's size from the headers of the GET being read (a large object's
        is the sum of its segments'), or from a HEAD."""
        container, obj = self.split(location)
        return self._objects.stored_size(location, container, obj, reading)

    def delete(self, location: str) -> None:
        container, obj = self.split(location)
        self._objects.delete(location, container, obj)

    def exists(self, location: str) -> bool:
        return self._objects.exists(*self.split(location))

    def list_objects(self, container: str) -> list[str]:
        """Names in a container (empty if it does not exist): for leak checks."""
        return self._objects.names(container)
