"""MeteredStream: digests computed on helper threads that may lag a little behind."""

from __future__ import annotations

import hashlib
import threading

import pytest

from glare_core.blobs import streams
from glare_core.blobs.streams import HASH_LAG, MeteredStream
from glare_core.errors import RequestTooLarge


def chunks_of(count: int, size: int = 70_000) -> list[bytes]:
    return [bytes([i % 251]) * size + i.to_bytes(4, "big") for i in range(count)]


def test_every_digest_matches_hashlib_over_the_whole_stream():
    data = chunks_of(3 * HASH_LAG + 1)
    stream = MeteredStream(iter(data), limit=10**9)
    assert list(stream) == data
    whole = b"".join(data)
    assert stream.size == len(whole)
    assert stream.checksums == {
        "md5": hashlib.md5(whole).hexdigest(),
        "sha1": hashlib.sha1(whole).hexdigest(),
        "sha256": hashlib.sha256(whole).hexdigest(),
    }


def test_the_reader_runs_at_most_hash_lag_chunks_ahead_of_a_slow_digest(monkeypatch):
    release = threading.Event()
    real_update = streams._update_all

    def stalled_update(digests, chunk):
        release.wait(10)
        real_update(digests, chunk)

    monkeypatch.setattr(streams, "_update_all", stalled_update)
    data = chunks_of(HASH_LAG + 3)
    stream = MeteredStream(iter(data), limit=10**9)
    yielded: list[bytes] = []
    blocked = threading.Event()

    def consume() -> None:
        for chunk in stream:
            yielded.append(chunk)
            if len(yielded) == HASH_LAG:
                blocked.set()

    reader = threading.Thread(target=consume)
    reader.start()
    assert blocked.wait(10)
    reader.join(0.3)
    # The digests are stuck on the first chunk: the reader may not go further.
    assert reader.is_alive() and len(yielded) == HASH_LAG
    release.set()
    reader.join(10)
    assert yielded == data
    assert stream.checksums["sha256"] == hashlib.sha256(b"".join(data)).hexdigest()


def digest_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith("glare-digest")}


def test_crossing_the_limit_stops_the_stream_and_its_helpers():
    before = digest_threads()
    stream = MeteredStream(iter(chunks_of(10)), limit=150_000, limit_message="too big")
    with pytest.raises(RequestTooLarge, match="too big"):
        list(stream)
    assert digest_threads() <= before  # no helper left behind


def test_digests_a_store_computes_are_skipped():
    data = chunks_of(3)
    stream = MeteredStream(iter(data), limit=10**9, skip_digests=frozenset({"md5"}))
    list(stream)
    assert set(stream.checksums) == {"sha1", "sha256"}


def test_leased_chunks_renew_while_flowing_and_end_once():
    from glare_core.blobs.streams import LeasedChunks

    events: list[str] = []
    chunks = LeasedChunks(iter([b"a", b"b", b"c"]), renew=lambda: events.append("renew"),
                          renew_every=0, on_close=lambda: events.append("end"))
    assert b"".join(chunks) == b"abc"
    chunks.close()  # the server closes the response too: the lease is given back once
    assert events == ["renew", "renew", "renew", "end"]


def test_leased_chunks_closed_early_close_their_source():
    from glare_core.blobs.streams import LeasedChunks

    closed: list[str] = []

    def source():
        try:
            yield b"a"
            yield b"b"
        finally:
            closed.append("source")

    chunks = LeasedChunks(source(), renew=lambda: None, renew_every=60,
                          on_close=lambda: closed.append("lease"))
    assert next(chunks) == b"a"
    chunks.close()
    assert closed == ["source", "lease"]


def test_the_reservation_grows_only_when_the_data_passes_it():
    asked: list[int] = []

    def reserve(needed: int) -> int:
        asked.append(needed)
        return needed + 150

    stream = MeteredStream(iter([b"a" * 100] * 6), limit=10**9, reserved=250,
                           reserve=reserve)
    assert b"".join(stream) == b"a" * 600
    # 100, 200 fit in 250; 300 asks (-> 450); 400 fits; 500 asks (-> 650); 600 fits.
    assert asked == [300, 500]
    assert stream.reserved == 650


def test_a_refused_reservation_stops_the_stream_before_the_chunk_goes_on():
    def reserve(needed: int) -> int:
        raise RequestTooLarge(f"no room for {needed}")

    stream = MeteredStream(iter([b"a" * 100] * 3), limit=10**9, reserved=150, reserve=reserve)
    passed = []
    with pytest.raises(RequestTooLarge, match="no room for 200"):
        for chunk in stream:
            passed.append(chunk)
    assert passed == [b"a" * 100]
