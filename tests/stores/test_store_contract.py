"""The BlobStore contract, run against every writable store: ``file``, ``database`` and a
real Swift on 127.0.0.1 (with a small segment size so large-object code paths run)."""

from __future__ import annotations

import hashlib
import os
import threading
import uuid
from collections.abc import Iterator

import pytest

from glare_core.blobs.base import BlobNotFound, BlobStore
from glare_core.blobs.swift import SwiftStore

SEGMENT = 256 * 1024


class Boom(RuntimeError):
    """Raised by a test stream part-way through (a client that went away, say)."""


def chunks_of(data: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start:start + size]


def failing_after(data: bytes, limit: int) -> Iterator[bytes]:
    sent = 0
    for chunk in chunks_of(data):
        if sent >= limit:
            raise Boom("stream broke")
        sent += len(chunk)
        yield chunk


@pytest.fixture(params=["file", "database", "swift"])
def store(request, glare_app) -> BlobStore:
    if request.param == "swift":
        swift_server = request.getfixturevalue("swift_server")
        prefix = request.getfixturevalue("swift_prefix")
        return SwiftStore(swift_server.settings(container_prefix=prefix, segment_size=SEGMENT,
                                                large_object_size=SEGMENT))
    return glare_app.extensions["glare"].stores.by_name[request.param]


def new_location(store: BlobStore) -> str:
    return store.location_for(uuid.uuid4().hex, namespace="contract")


def read_all(store: BlobStore, location: str, **kwargs) -> bytes:
    return b"".join(store.read(location, **kwargs))


def leftovers(store: BlobStore) -> list[str]:
    """Everything the store holds (used to prove failed writes leave nothing)."""
    if isinstance(store, SwiftStore):
        container = store.container_for("contract")
        return store.list_objects(container) + store.list_objects(f"{container}_segments")
    if hasattr(store, "stored_files"):
        return [str(p) for p in store.stored_files()]
    return sorted(store.stored_ids())


@pytest.mark.parametrize("size", [0, 1, 1000, SEGMENT, SEGMENT + 1, 3 * SEGMENT + 12345])
@pytest.mark.parametrize("known_size", [True, False])
def test_write_then_read_back(store, size, known_size):
    data = os.urandom(size)
    location = new_location(store)
    stored = store.write(location, chunks_of(data), size=size if known_size else None)
    assert stored.size == size
    assert stored.location == location
    assert store.exists(location)
    assert hashlib.sha256(read_all(store, location)).digest() == hashlib.sha256(data).digest()


@pytest.mark.parametrize(
    ("offset", "length"),
    [(0, 10), (5, 1), (SEGMENT - 3, 7), (SEGMENT * 2 + 1, None), (0, None), (700000, 50000)],
)
def test_read_byte_ranges(store, offset, length):
    data = os.urandom(3 * SEGMENT)
    location = new_location(store)
    store.write(location, chunks_of(data), size=None)
    end = None if length is None else offset + length
    assert read_all(store, location, offset=offset, length=length) == data[offset:end]


@pytest.mark.parametrize("size", [10, 3 * SEGMENT])
def test_delete_removes_data_and_is_idempotent(store, size):
    location = new_location(store)
    store.write(location, chunks_of(os.urandom(size)), size=size)
    store.delete(location)
    assert not store.exists(location)
    with pytest.raises(BlobNotFound):
        read_all(store, location)
    store.delete(location)  # already gone: no error
    assert leftovers(store) == []


@pytest.mark.parametrize("size", [0, 1000, 3 * SEGMENT + 7])
def test_stored_size_is_what_a_read_sends(store, size):
    """BLOB_STORE_API_VERSION 1.3: the size downloads check against the recorded one,
    asked alone (HEAD) or of an opened read (whole, or a range: the whole size still)."""
    location = new_location(store)
    store.write(location, chunks_of(os.urandom(size)), size=None)
    assert store.stored_size(location) == size
    for offset, length in ((0, None), (size // 2, 1 if size else None)):
        reading = store.read(location, offset=offset, length=length)
        try:
            assert store.stored_size(location, reading) == size
        finally:
            reading.close()  # closed before its first chunk: nothing may stay open
    with pytest.raises(BlobNotFound):
        store.stored_size(new_location(store))


def test_reading_unknown_location_is_not_found(store):
    with pytest.raises(BlobNotFound):
        read_all(store, new_location(store))


@pytest.mark.parametrize("known_size", [True, False])
@pytest.mark.parametrize("fail_at", [0, 100 * 1024, 2 * SEGMENT + 5000])
def test_failed_write_leaves_nothing(store, fail_at, known_size):
    data = os.urandom(3 * SEGMENT)
    location = new_location(store)
    with pytest.raises(Boom):
        store.write(location, failing_after(data, fail_at),
                    size=len(data) if known_size else None)
    assert not store.exists(location)
    assert leftovers(store) == []


class Killed(BaseException):
    """Ends a write that stood still, the way nothing ends a write whose server died."""


def standing_still_after(data: bytes, limit: int, still: threading.Event,
                         release: threading.Event) -> Iterator[bytes]:
    sent = 0
    for chunk in chunks_of(data):
        if sent >= limit:
            still.set()
            release.wait(60)
            raise Killed
        sent += len(chunk)
        yield chunk


@pytest.mark.parametrize("known_size", [True, False])
def test_delete_removes_what_an_unfinished_write_left(store, known_size):
    """BLOB_STORE_API_VERSION 1.2: a server killed mid-write never cleans up after it, so
    deleting the location (what the engine does with an abandoned upload) must remove its
    fragments: a temporary file, rows, or segments without a manifest. The write stands
    still after 5 MiB (past the Swift store's 4 MiB peek at bodies of unknown size and
    the database store's 1 MiB rows) while the location is deleted."""
    data = os.urandom(6 * 1024 * 1024)
    location = new_location(store)
    still, release = threading.Event(), threading.Event()
    outcome: list[BaseException] = []

    def write() -> None:
        try:
            store.write(location, standing_still_after(data, 5 * 1024 * 1024, still, release),
                        size=len(data) if known_size else None)
        except BaseException as exc:
            outcome.append(exc)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    try:
        assert still.wait(30)
        assert leftovers(store), "the write left no fragment to delete"
        store.delete(location)
        assert leftovers(store) == []
        assert not store.exists(location)
    finally:
        release.set()
        writer.join(60)
    assert len(outcome) == 1 and isinstance(outcome[0], Killed)
    assert leftovers(store) == []


def test_overwriting_is_not_needed_each_upload_gets_a_new_location(store):
    first, second = new_location(store), new_location(store)
    assert first != second
    store.write(first, [b"one"], size=3)
    store.write(second, [b"two"], size=3)
    assert read_all(store, first) == b"one"
    assert read_all(store, second) == b"two"


def test_swift_large_blob_is_a_static_large_object(swift_server, swift_prefix):
    store = SwiftStore(swift_server.settings(container_prefix=swift_prefix,
                                             segment_size=SEGMENT, large_object_size=SEGMENT))
    location = store.location_for("big", namespace="slo")
    data = os.urandom(3 * SEGMENT + 10)
    store.write(location, chunks_of(data), size=len(data))
    container = store.container_for("slo")
    segments = store.list_objects(f"{container}_segments")
    assert segments == [f"big/{n:08d}" for n in range(4)]
    headers = swift_server.connection().head_object(container, "big")
    assert headers.get("x-static-large-object") == "True"
    store.delete(location)
    assert store.list_objects(container) == []
    assert store.list_objects(f"{container}_segments") == []


def _layout(store: SwiftStore, namespace: str, name: str) -> tuple[bool, list[str]]:
    """Whether ``name`` is a Static Large Object, and its segment names."""
    container = store.container_for(namespace)
    with store._pool.borrowed() as conn:
        headers = conn.head_object(container, name)
    segments = [s for s in store.list_objects(f"{container}_segments")
                if s.startswith(f"{name}/")]
    return headers.get("x-static-large-object") == "True", segments


def test_swift_known_size_up_to_large_object_size_is_one_plain_object(
    swift_server, swift_prefix
):
    store = SwiftStore(swift_server.settings(container_prefix=swift_prefix,
                                             segment_size=SEGMENT,
                                             large_object_size=4 * SEGMENT))
    plain = os.urandom(4 * SEGMENT)
    store.write(store.location_for("plain", namespace="policy"), chunks_of(plain),
                size=len(plain))
    assert _layout(store, "policy", "plain") == (False, [])
    assert read_all(store, store.location_for("plain", namespace="policy")) == plain

    big = os.urandom(4 * SEGMENT + 1)
    store.write(store.location_for("big", namespace="policy"), chunks_of(big), size=len(big))
    is_slo, segments = _layout(store, "policy", "big")
    assert is_slo and segments == [f"big/{n:08d}" for n in range(5)]
    container = store.container_for("policy")
    with store._pool.borrowed() as conn:
        sizes = [int(conn.head_object(f"{container}_segments", s)["content-length"])
                 for s in segments]
    assert sizes == [SEGMENT] * 4 + [1]
    assert read_all(store, store.location_for("big", namespace="policy")) == big


def test_swift_unknown_size_beyond_the_peek_is_a_static_large_object(
    swift_server, swift_prefix, monkeypatch
):
    from glare_core.blobs import swift_writing as swift_module

    monkeypatch.setattr(swift_module, "SMALL_OBJECT_PEEK", SEGMENT)
    store = SwiftStore(swift_server.settings(container_prefix=swift_prefix,
                                             segment_size=SEGMENT,
                                             large_object_size=64 * SEGMENT))
    data = os.urandom(2 * SEGMENT + 5)
    location = store.location_for("chunked", namespace="policy")
    store.write(location, chunks_of(data), size=None)
    is_slo, segments = _layout(store, "policy", "chunked")
    assert is_slo and len(segments) == 3
    assert read_all(store, location) == data

    small = os.urandom(SEGMENT // 2)
    store.write(store.location_for("small", namespace="policy"), chunks_of(small), size=None)
    assert _layout(store, "policy", "small") == (False, [])


def test_swift_plain_object_limit_is_capped_by_the_cluster(swift_server, swift_prefix):
    max_file_size = int(swift_server.connection().get_capabilities()["swift"]["max_file_size"])
    huge = SwiftStore(swift_server.settings(container_prefix=swift_prefix,
                                            large_object_size=max_file_size * 2))
    assert huge.plain_object_limit() == max_file_size
    modest = SwiftStore(swift_server.settings(container_prefix=swift_prefix,
                                              large_object_size=1000))
    assert modest.plain_object_limit() == 1000


def test_swift_returns_the_md5_of_plain_objects_only(swift_server, swift_prefix):
    store = SwiftStore(swift_server.settings(container_prefix=swift_prefix,
                                             segment_size=SEGMENT, large_object_size=SEGMENT))
    assert store.digests_while_writing(SEGMENT) == frozenset({"md5"})
    assert store.digests_while_writing(SEGMENT + 1) == frozenset()
    assert store.digests_while_writing(None) == frozenset()
    for size, expected in ((0, True), (SEGMENT, True), (SEGMENT + 1, False)):
        data = os.urandom(size)
        stored = store.write(new_location(store), chunks_of(data), size=size)
        if expected:
            assert stored.checksums == {"md5": hashlib.md5(data).hexdigest()}
        else:
            assert stored.checksums == {}
