"""The Swift operations the ``swift`` store is made of, over pooled connections.

``SwiftObjects`` is everything of the store that talks to Swift through python-swiftclient
(an optional dependency): the store builds one when it is configured, so a server without
a Swift store never imports swiftclient. Swift's errors come out as Glare's (BlobNotFound,
ServiceUnavailable, BlobWriteError).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from glare_core.blobs.base import StoredBlob
from glare_core.blobs.swift_connection import (
    NETWORK_ERRORS,
    ClientException,
    ConnectionPool,
    keystone_session_for,
    new_connection,
)
from glare_core.blobs.swift_reading import ObjectReading, head_size, open_object
from glare_core.blobs.swift_writing import BlobWriter
from glare_core.errors import ServiceUnavailable


class SwiftObjects:
    """Objects of one Swift account, as the store's ``settings`` reach it."""

    def __init__(self, settings: Mapping[str, Any], auth_version: str, *,
                 segment_size: int, plain_limit: Callable[[], int]) -> None:
        self.settings = settings
        self.auth_version = auth_version
        # Keystone v3: one session for every connection, so the store holds one token.
        self.keystone = (keystone_session_for(settings)
                         if auth_version.startswith("3") else None)
        self.pool = ConnectionPool(self.new_connection)
        self._known_containers: set[str] = set()
        self._writer = BlobWriter(self.pool, segment_size=segment_size,
                                  plain_limit=plain_limit,
                                  ensure_container=self.ensure_container)

    def new_connection(self) -> Any:
        return new_connection(self.settings, self.auth_version, self.keystone)

    def max_file_size(self) -> int:
        """The cluster's ``max_file_size`` (``/info``), or 0 when Swift does not say."""
        try:
            with self.pool.borrowed() as conn:
                info = conn.get_capabilities()
            return int(info["swift"]["max_file_size"])
        except (*NETWORK_ERRORS, KeyError, TypeError, ValueError):
            return 0

    def ensure_container(self, container: str) -> None:
        if container not in self._known_containers:
            with self.pool.borrowed() as conn:
                conn.put_container(container)
            self._known_containers.add(container)

    def write(self, location: str, container: str, obj: str, chunks: Iterable[bytes],
              size: int | None) -> StoredBlob:
        return self._writer.write(location, container, obj, chunks, size)

    def read(self, location: str, container: str, obj: str, *, offset: int,
             length: int | None) -> ObjectReading:
        return open_object(self.pool, location, container, obj, offset=offset, length=length)

    def stored_size(self, location: str, container: str, obj: str,
                    reading: Iterable[bytes] | None) -> int | None:
        """From the headers of the GET being read, else from a HEAD."""
        if isinstance(reading, ObjectReading) and reading.total_size is not None:
            return reading.total_size
        return head_size(self.pool, location, container, obj)

    def delete(self, location: str, container: str, obj: str) -> None:
        """Delete an object (a large object with its segments), or the segments a write
        that never finished left under its name."""
        try:
            with self.pool.borrowed() as conn:
                try:
                    headers = conn.head_object(container, obj)
                except ClientException as exc:
                    if exc.http_status != 404:
                        raise
                    # No object, but a server killed mid-write may have left segments
                    # of a large object whose manifest it never wrote.
                    _delete_orphan_segments(conn, container, obj)
                    return
                # Swift answers 200 but deletes nothing when a plain object is deleted
                # with multipart-manifest=delete, so ask what the object is first.
                if headers.get("x-static-large-object", "").lower() == "true":
                    conn.delete_object(container, obj,
                                       query_string="multipart-manifest=delete")
                else:
                    conn.delete_object(container, obj)
        except ClientException as exc:
            if exc.http_status != 404:
                raise ServiceUnavailable(f"Swift cannot delete {location}: {exc}") from None
        except NETWORK_ERRORS as exc:
            raise ServiceUnavailable(f"Swift is unavailable: {exc}") from None

    def exists(self, container: str, obj: str) -> bool:
        try:
            with self.pool.borrowed() as conn:
                conn.head_object(container, obj)
        except ClientException as exc:
            if exc.http_status == 404:
                return False
            raise
        return True

    def names(self, container: str) -> list[str]:
        """Object names in a container (empty if it does not exist)."""
        try:
            with self.pool.borrowed() as conn:
                _, objects = conn.get_container(container, full_listing=True)
        except ClientException as exc:
            if exc.http_status == 404:
                return []
            raise
        return [o["name"] for o in objects]


def _delete_orphan_segments(conn: Any, container: str, obj: str) -> None:
    segment_container = f"{container}_segments"
    try:
        _, segments = conn.get_container(segment_container, prefix=f"{obj}/",
                                         full_listing=True)
    except ClientException as exc:
        if exc.http_status == 404:
            return  # no segment container: nothing was ever segmented
        raise
    for segment in segments:
        try:
            conn.delete_object(segment_container, segment["name"])
        except ClientException as exc:
            if exc.http_status != 404:
                raise
