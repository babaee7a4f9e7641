"""The ``swift`` store: blobs as OpenStack Swift objects (python-swiftclient).

One container per artifact type (``<prefix>_<type>``). A blob whose size is known and at
most ``large_object_size`` (default 5 GiB, Swift's own default object size limit, and
never more than the cluster's ``max_file_size``) is one object, streamed in one PUT.
Anything bigger, or of unknown size (chunked uploads), is a Static Large Object whose
``segment_size`` segments (``<container>_segments/<blob id>/<n>``) are uploaded one after
another while the request body streams in, so memory stays bounded and blobs of many GiB
work. Deleting a blob deletes its segments too, and deleting a location that has no
object deletes the segments a server killed mid-write left under it. Plain objects are
preferred: reading a Static Large Object costs the proxy an MD5 of every segment, and a
plain object's ETag is the MD5 of its content, which Glare then need not compute itself.

Authentication: tempauth/v1 (``auth_url``, ``user``, ``key``) or Keystone v3 (add
``auth_version = "3"``, ``project_name``, ``user_domain_name``, ``project_domain_name``),
through a keystoneauth session. With Keystone, the storage URL is ``object_storage_url``
when set (Keystone then only issues the token; its catalog need not list Swift), else the
catalog's object-store endpoint. A connection renews its token shortly before it expires:
swiftclient renews one only once Swift has refused it, and cannot then send a streamed
upload's body a second time, so the upload would fail.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import requests
import requests.adapters
from keystoneauth1 import exceptions as keystone_errors
from keystoneauth1 import loading as keystone_loading
from keystoneauth1 import session as keystone_session
from swiftclient import client as swift
from swiftclient.exceptions import ClientException

from glare_core.blobs.base import CHUNK_SIZE, BlobNotFound, BlobStore, BlobWriteError, StoredBlob
from glare_core.blobs.streams import take
from glare_core.errors import BadRequest, GlareError, ServiceUnavailable, StartupError

SCHEME = "swift"
DEFAULT_SEGMENT_SIZE = 200 * 1024 * 1024
DEFAULT_LARGE_OBJECT_SIZE = 5 * 1024 * 1024 * 1024
# Blobs of unknown size up to this many bytes are buffered and stored as plain objects.
SMALL_OBJECT_PEEK = 4 * 1024 * 1024
# A token this close to its end is renewed before a request (keystoneauth renews its own
# two minutes ahead).
TOKEN_RENEW_MARGIN = 120.0
_NETWORK_ERRORS = (ClientException, requests.RequestException, OSError,
                   keystone_errors.ClientException)
# Keystone v3 settings handed to the keystoneauth plugin when it has an option of the name.
_KEYSTONE_OPTIONS = ("project_name", "project_id", "user_id", "user_domain_name",
                     "user_domain_id", "project_domain_name", "project_domain_id",
                     "application_credential_id", "application_credential_name",
                     "application_credential_secret", "system_scope")


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


class _LargeBlockAdapter(requests.adapters.HTTPAdapter):
    """Sends request bodies in CHUNK_SIZE blocks instead of urllib3's 16 KiB.

    A 16 KiB block costs a Python read and a ``send`` system call each: 64 of them per
    MiB uploaded, about 0.4 CPU s per GiB in the worker on the reference machine.
    """

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False,
                         **pool_kwargs: Any) -> None:
        pool_kwargs["blocksize"] = CHUNK_SIZE
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)


class _Connection(swift.Connection):
    """A swiftclient connection whose HTTP session uses ``_LargeBlockAdapter`` and which
    knows when its token expires (tempauth says so at login; a keystoneauth session
    tracks its own)."""

    token_expires: float | None = None  # time.monotonic() at which the token ends

    def get_auth(self) -> tuple[str, str]:
        if self.session is None:  # tempauth (v1): Keystone v3 always has a session
            self.url, self.token, lifetime = _tempauth_login(
                self.authurl, self.user, self.key, insecure=self.insecure,
                timeout=self.timeout)
            self.token_expires = None if lifetime is None else time.monotonic() + lifetime
            return self.url, self.token
        storage_url = self.os_options.get("object_storage_url")
        if storage_url:
            # Only the token comes from Keystone: swiftclient would look the endpoint up
            # in the catalog first, and fail when the catalog has no object store.
            self.url, self.token = storage_url, self.session.get_token()
            return self.url, self.token
        return super().get_auth()

    def renew_expiring_token(self) -> None:
        """Before a request: a token about to expire is renewed now, not after Swift has
        refused it (when a streamed upload's body cannot be sent again)."""
        if not self.token:
            return  # the next request logs in anyway
        if self.session is not None:
            self.token = self.session.get_token()  # the same one until it nears its end
        elif (self.token_expires is not None
              and self.token_expires - time.monotonic() < TOKEN_RENEW_MARGIN):
            self.url = self.token = None

    def http_connection(self, url: str | None = None) -> tuple[Any, Any]:
        parsed, conn = super().http_connection(url)
        adapter = _LargeBlockAdapter()
        conn.request_session.mount("http://", adapter)
        conn.request_session.mount("https://", adapter)
        return parsed, conn


class _ConnectionPool:
    """swiftclient connections shared by every thread, each used by one thread at a time.

    A connection keeps its token, so reusing one spares an authentication (a Keystone
    token request) per operation: uploads are written from a new thread each time, where
    a per-thread connection would authenticate again. A connection whose request failed
    midway has its HTTP connection closed before it goes back; its token stays.
    """

    def __init__(self, factory: Callable[[], _Connection], max_idle: int = 16) -> None:
        self._factory = factory
        self._max_idle = max_idle
        self._idle: list[_Connection] = []
        self._lock = threading.Lock()

    def take(self) -> _Connection:
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            return self._factory()
        try:
            conn.renew_expiring_token()
        except BaseException:
            self.give_back(conn)
            raise
        return conn

    def give_back(self, conn: _Connection, *, failed: BaseException | None = None) -> None:
        # An HTTP error status was read in full; anything else may leave a request open.
        if failed is not None and not (
            isinstance(failed, ClientException) and failed.http_status
        ):
            conn.close()
        with self._lock:
            if len(self._idle) < self._max_idle:
                self._idle.append(conn)
                return
        conn.close()

    @contextlib.contextmanager
    def borrowed(self) -> Iterator[_Connection]:
        conn = self.take()
        try:
            yield conn
        except BaseException as exc:
            self.give_back(conn, failed=exc)
            raise
        self.give_back(conn)


class SwiftStore(BlobStore):
    schemes = (SCHEME,)

    def __init__(self, settings: Mapping[str, Any]) -> None:
        if not settings.get("auth_url"):
            raise StartupError("The swift store needs at least auth_url, user and key")
        self.settings = dict(settings)
        self.auth_version = str(self.settings.get("auth_version", "1"))
        if self.auth_version not in ("1", "1.0", "3", "3.0"):
            raise StartupError(f"The swift store's auth_version must be 1 (tempauth) or 3 "
                               f"(Keystone v3), not {self.auth_version!r}")
        # Keystone v3: one session for every connection, so the store holds one token.
        self._keystone = (self._keystone_session()
                          if self.auth_version.startswith("3") else None)
        self.prefix = self.settings.get("container_prefix", "glare")
        self.segment_size = int(self.settings.get("segment_size", DEFAULT_SEGMENT_SIZE))
        self.large_object_size = int(
            self.settings.get("large_object_size", DEFAULT_LARGE_OBJECT_SIZE))
        self._cluster_max_size: int | None = None
        self._pool = _ConnectionPool(self._new_connection)
        self._known_containers: set[str] = set()

    # ---- connections ------------------------------------------------------------------

    def _new_connection(self) -> _Connection:
        s = self.settings
        common = {"insecure": bool(s.get("insecure", False)),
                  "timeout": float(s.get("timeout", 60)), "retries": int(s.get("retries", 2))}
        if self._keystone is not None:
            # The object-store endpoint: object_storage_url, else the catalog's.
            os_options = {key: s[key] for key in ("region_name", "endpoint_type",
                                                   "object_storage_url") if s.get(key)}
            return _Connection(session=self._keystone, authurl=s["auth_url"],
                               auth_version=self.auth_version, os_options=os_options, **common)
        return _Connection(authurl=s["auth_url"], user=s.get("user"), key=s.get("key"),
                           auth_version=self.auth_version, **common)

    def _keystone_session(self) -> keystone_session.Session:
        """A keystoneauth session for Keystone v3 (``auth_type`` picks the plugin:
        ``password`` by default, or e.g. ``v3applicationcredential``)."""
        s = self.settings
        values = {"auth_url": s["auth_url"], "username": s.get("user"),
                  "password": s.get("key"), **{key: s.get(key) for key in _KEYSTONE_OPTIONS}}
        try:
            loader = keystone_loading.get_plugin_loader(s.get("auth_type") or "password")
            accepted = {option.dest for option in loader.get_options()}
            auth = loader.load_from_options(
                **{key: value for key, value in values.items() if value and key in accepted})
        except keystone_errors.ClientException as exc:
            raise StartupError(f"The swift store's Keystone settings: {exc}") from None
        return keystone_session.Session(auth=auth, verify=not s.get("insecure", False),
                                        timeout=float(s.get("timeout", 60)))

    def plain_object_limit(self) -> int:
        """The largest blob stored as one object: ``large_object_size``, capped by the
        cluster's ``max_file_size`` when Swift publishes it (``/info``)."""
        if self._cluster_max_size is None:
            try:
                with self._pool.borrowed() as conn:
                    info = conn.get_capabilities()
                self._cluster_max_size = int(info["swift"]["max_file_size"])
            except (*_NETWORK_ERRORS, KeyError, TypeError, ValueError):
                self._cluster_max_size = 0  # unknown: trust the setting
        if self._cluster_max_size:
            return min(self.large_object_size, self._cluster_max_size)
        return self.large_object_size

    def digests_while_writing(self, size: int | None) -> frozenset[str]:
        """MD5 for blobs stored as one plain object: Swift hashes them already."""
        if size is not None and size <= self.plain_object_limit():
            return frozenset({"md5"})
        return frozenset()

    def _ensure_container(self, container: str) -> None:
        if container not in self._known_containers:
            with self._pool.borrowed() as conn:
                conn.put_container(container)
            self._known_containers.add(container)

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
        written: list[tuple[str, str]] = []  # (container, object) to remove on failure
        reader = None
        try:
            self._ensure_container(container)
            chunks = iter(chunks)
            if size is None:
                # Unknown size: a small blob (it ends within the first few MiB) is still
                # stored as one plain object; only that much is ever buffered.
                head, chunks, ended = _peek(chunks, SMALL_OBJECT_PEEK)
                if ended:
                    size = len(head)
                chunks = _prepend(head, chunks)
            if size is not None and size <= self.plain_object_limit():
                reader = _IterReader(chunks)
                written.append((container, obj))
                with self._pool.borrowed() as conn:
                    etag = conn.put_object(
                        container, obj, reader, content_length=size, chunk_size=CHUNK_SIZE
                    )
                # A plain object's ETag is the MD5 of the bytes Swift stored.
                return StoredBlob(location, reader.count, checksums={"md5": etag.lower()})
            return self._write_large(container, obj, chunks, written, size)
        except BaseException as exc:
            leftovers = self._remove(written)
            cause = reader.error if reader is not None and reader.error else exc
            if isinstance(cause, GlareError) or not isinstance(cause, _NETWORK_ERRORS):
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
        self._ensure_container(segment_container)
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
                with self._pool.borrowed() as conn:
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
        with self._pool.borrowed() as conn:
            conn.put_object(
                container, obj, json.dumps(manifest), query_string="multipart-manifest=put"
            )
        return StoredBlob(f"{SCHEME}://{container}/{obj}", total)

    def _remove(self, written: list[tuple[str, str]]) -> list[str]:
        """Delete what a failed write left; return the locations that could not be deleted."""
        leftovers = []
        for container, obj in reversed(written):
            try:
                with self._pool.borrowed() as conn:
                    conn.delete_object(container, obj)
            except ClientException as exc:
                if exc.http_status != 404:
                    leftovers.append(f"{SCHEME}://{container}/{obj}")
            except _NETWORK_ERRORS:
                leftovers.append(f"{SCHEME}://{container}/{obj}")
        return leftovers

    def read(
        self, location: str, *, offset: int = 0, length: int | None = None
    ) -> Iterator[bytes]:
        container, obj = self.split(location)
        headers = {}
        if offset or length is not None:
            end = "" if length is None else str(offset + length - 1)
            headers["Range"] = f"bytes={offset}-{end}"
        if length == 0:
            headers = {}
        conn = self._pool.take()
        try:
            response_headers, body = conn.get_object(
                container, obj, resp_chunk_size=CHUNK_SIZE, headers=headers
            )
        except BaseException as exc:
            self._pool.give_back(conn, failed=exc)
            if isinstance(exc, ClientException) and exc.http_status == 404:
                raise BlobNotFound(f"No data at {location}") from None
            if isinstance(exc, ClientException) and exc.http_status == 416:
                # The object ends before the range starts: no bytes to send, and its size
                # (asked by stored_size) tells the download why.
                return _ObjectReading(iter(()), None)
            if isinstance(exc, _NETWORK_ERRORS):
                raise ServiceUnavailable(f"Swift is unavailable: {exc}") from None
            raise
        total = _object_size(response_headers)
        if length == 0:
            body.close()
            self._pool.give_back(conn)
            return _ObjectReading(iter(()), total)

        def close_unread() -> None:
            body.close()
            self._pool.give_back(conn, failed=GeneratorExit())  # its response is unread

        return _ObjectReading(_guarded(body, self._pool, conn), total, unread=close_unread)

    def stored_size(self, location: str,
                    reading: Iterable[bytes] | None = None) -> int | None:
        """The object's size from the headers of the GET being read (a large object's
        is the sum of its segments'), or from a HEAD."""
        if isinstance(reading, _ObjectReading) and reading.total_size is not None:
            return reading.total_size
        container, obj = self.split(location)
        try:
            with self._pool.borrowed() as conn:
                headers = conn.head_object(container, obj)
        except ClientException as exc:
            if exc.http_status == 404:
                raise BlobNotFound(f"No data at {location}") from None
            raise ServiceUnavailable(f"Swift cannot tell the size of {location}: {exc}") \
                from None
        except _NETWORK_ERRORS as exc:
            raise ServiceUnavailable(f"Swift is unavailable: {exc}") from None
        return _object_size(headers)

    def delete(self, location: str) -> None:
        container, obj = self.split(location)
        try:
            with self._pool.borrowed() as conn:
                try:
                    headers = conn.head_object(container, obj)
                except ClientException as exc:
                    if exc.http_status != 404:
                        raise
                    # No object, but a server killed mid-write may have left segments
                    # of a large object whose manifest it never wrote.
                    self._delete_orphan_segments(conn, container, obj)
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
        except _NETWORK_ERRORS as exc:
            raise ServiceUnavailable(f"Swift is unavailable: {exc}") from None

    @staticmethod
    def _delete_orphan_segments(conn: swift.Connection, container: str, obj: str) -> None:
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

    def exists(self, location: str) -> bool:
        container, obj = self.split(location)
        try:
            with self._pool.borrowed() as conn:
                conn.head_object(container, obj)
        except ClientException as exc:
            if exc.http_status == 404:
                return False
            raise
        return True

    def list_objects(self, container: str) -> list[str]:
        """Names in a container (empty if it does not exist): for leak checks."""
        try:
            with self._pool.borrowed() as conn:
                _, objects = conn.get_container(container, full_listing=True)
        except ClientException as exc:
            if exc.http_status == 404:
                return []
            raise
        return [o["name"] for o in objects]


def _tempauth_login(url: str, user: str, key: str, *, insecure: bool,
                    timeout: float | None) -> tuple[str, str, float | None]:
    """A v1 (tempauth) login: the storage URL, the token and the seconds it has left
    (``X-Auth-Token-Expires``; None when the server does not say). Failures are
    swiftclient's ClientException, as from its own v1 login."""
    response = requests.get(url, headers={"X-Auth-User": user, "X-Auth-Key": key},
                            verify=not insecure, timeout=timeout)
    storage_url = response.headers.get("X-Storage-Url")
    token = response.headers.get("X-Storage-Token") or response.headers.get("X-Auth-Token")
    if not response.ok or not storage_url or not token:
        raise ClientException("Auth GET failed", http_status=response.status_code,
                              http_reason=response.reason, http_url=url)
    try:
        lifetime: float | None = float(response.headers["X-Auth-Token-Expires"])
    except (KeyError, ValueError):
        lifetime = None
    return storage_url, token, lifetime


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


class _ObjectReading:
    """The chunks of an object being read, with the object's whole size as the response
    headers give it (None if they do not), for ``stored_size``.

    ``unread`` releases the response when it is closed before its first chunk (a
    download refused after opening it): a generator closed before it started never runs
    its own clean-up.
    """

    def __init__(self, chunks: Iterator[bytes], total_size: int | None, *,
                 unread: Callable[[], None] | None = None) -> None:
        self._chunks = chunks
        self._unread = unread
        self.total_size = total_size

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        self._unread = None  # started: the chunks' own clean-up releases the response
        return next(self._chunks)

    def close(self) -> None:
        unread, self._unread = self._unread, None
        if unread is not None:
            unread()
        close = getattr(self._chunks, "close", None)
        if close is not None:
            close()


def _object_size(headers: Mapping[str, str]) -> int | None:
    """The whole object's size: the total of a Content-Range (``bytes 0-9/1234``), else
    the Content-Length."""
    content_range = headers.get("content-range", "")
    _, slash, total = content_range.rpartition("/")
    value = total if slash else headers.get("content-length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _guarded(body: Any, pool: _ConnectionPool, conn: _Connection) -> Iterator[bytes]:
    """The object's chunks; the connection goes back to the pool once they end."""
    failed: BaseException | None = None
    try:
        yield from body
    except BaseException as exc:  # also GeneratorExit: the client went away midway
        failed = exc
        if isinstance(exc, _NETWORK_ERRORS):
            raise ServiceUnavailable(f"Swift stopped sending data: {exc}") from None
        raise
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()
        pool.give_back(conn, failed=failed)
