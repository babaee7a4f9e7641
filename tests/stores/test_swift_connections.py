"""The Swift store reuses its connections (and their tokens) across threads, against the
suite's real Swift: uploads are written from a fresh thread each time, and must not
authenticate again every time."""

from __future__ import annotations

import os
import threading

import pytest

from glare_core.blobs import swift_connection as swift_store
from glare_core.blobs.pipeline import write_behind
from glare_core.blobs.swift import SwiftStore


def chunks_of(data: bytes, size: int = 64 * 1024):
    for start in range(0, len(data), size):
        yield data[start:start + size]


@pytest.fixture
def auth_calls(monkeypatch) -> list[str]:
    calls: list[str] = []
    real_get_auth = swift_store._Connection.get_auth

    def counting_get_auth(self):
        calls.append(threading.current_thread().name)
        return real_get_auth(self)

    monkeypatch.setattr(swift_store._Connection, "get_auth", counting_get_auth)
    return calls


def test_uploads_from_fresh_threads_authenticate_once(swift_server, swift_prefix,
                                                      auth_calls):
    store = SwiftStore(swift_server.settings(container_prefix=swift_prefix))
    blobs = {}
    for n in range(6):  # as the engine does: each upload's writer is a new thread
        data = os.urandom(1000 + n)
        location = store.location_for(f"blob{n}", namespace="pool")
        write_behind(lambda chunks, loc=location, size=len(data):
                     store.write(loc, chunks, size=size), chunks_of(data))
        blobs[location] = data
    for location, data in blobs.items():
        assert b"".join(store.read(location)) == data
        store.delete(location)
        assert not store.exists(location)
    assert len(auth_calls) == 1


def test_concurrent_operations_never_share_a_connection(swift_server, swift_prefix):
    store = SwiftStore(swift_server.settings(container_prefix=swift_prefix))
    in_use: set[int] = set()
    overlaps: list[int] = []
    guard = threading.Lock()
    real_take, real_give_back = store._pool.take, store._pool.give_back

    def take():
        conn = real_take()
        with guard:
            if id(conn) in in_use:
                overlaps.append(id(conn))
            in_use.add(id(conn))
        return conn

    def give_back(conn, *, failed=None):
        with guard:
            in_use.discard(id(conn))
        real_give_back(conn, failed=failed)

    store._pool.take, store._pool.give_back = take, give_back
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(5):
                data = os.urandom(500 + i)
                location = store.location_for(f"w{n}-{i}", namespace="pool")
                store.write(location, chunks_of(data), size=len(data))
                assert b"".join(store.read(location)) == data
                store.delete(location)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and overlaps == []
    assert 1 <= len(store._pool._idle) <= 4  # reused, one per concurrent operation at most


def test_a_download_stopped_midway_gives_back_a_usable_connection(swift_server,
                                                                  swift_prefix):
    store = SwiftStore(swift_server.settings(container_prefix=swift_prefix))
    data = os.urandom(3 * 1024 * 1024)
    location = store.location_for("partial", namespace="pool")
    store.write(location, chunks_of(data), size=len(data))
    body = store.read(location)
    assert next(body) == data[:1024 * 1024]
    body.close()  # the client went away
    assert len(store._pool._idle) == 1
    assert b"".join(store.read(location)) == data  # the same connection, reconnected
    assert len(store._pool._idle) == 1


def test_bodies_go_to_swift_in_whole_chunks(swift_server, swift_prefix, monkeypatch):
    """urllib3 would send a file-like body 16 KiB at a time (a Python read and a system
    call each); the store's connections send CHUNK_SIZE blocks."""
    import http.client

    from glare_core.blobs.base import CHUNK_SIZE

    sent: list[int] = []
    real_send = http.client.HTTPConnection.send

    def recording_send(self, data):
        sent.append(len(data))
        return real_send(self, data)

    store = SwiftStore(swift_server.settings(container_prefix=swift_prefix))
    data = os.urandom(4 * CHUNK_SIZE)
    location = store.location_for("blocks", namespace="pool")
    monkeypatch.setattr(http.client.HTTPConnection, "send", recording_send)
    store.write(location, chunks_of(data, CHUNK_SIZE), size=len(data))
    monkeypatch.undo()
    assert sent.count(CHUNK_SIZE) == 4  # the body: four sends, one per chunk
    assert b"".join(store.read(location)) == data
