"""The file-like reader the Swift store hands to swiftclient: it returns every byte once,
in order, copies only what each read asks for, and remembers the stream's own error."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from glare_core.blobs.swift_writing import _IterReader

MIB = 1024 * 1024


def drain(reader: _IterReader, size: int) -> list[bytes]:
    pieces = []
    while piece := reader.read(size):
        pieces.append(piece)
    return pieces


@pytest.mark.parametrize("size", [-1, 1, 16384, MIB, 3 * MIB])
def test_reads_of_any_size_return_the_stream_exactly(size: int) -> None:
    chunks = [os.urandom(n) for n in (MIB, 10, 0, MIB + 7, 5)]
    reader = _IterReader(iter(chunks))
    pieces = drain(reader, size)
    assert b"".join(pieces) == b"".join(chunks)
    assert reader.count == sum(map(len, chunks))
    if size > 0:
        assert max(map(len, pieces)) <= size


def test_small_reads_never_join_chunks_and_whole_chunks_are_not_copied() -> None:
    first, second = os.urandom(MIB), os.urandom(MIB)
    reader = _IterReader(iter([first, second]))
    pieces = drain(reader, 16384)
    assert len(pieces) == 2 * MIB // 16384
    whole = _IterReader(iter([first]))
    assert whole.read(MIB) is first


def test_an_empty_chunk_is_not_the_end() -> None:
    reader = _IterReader(iter([b"a", b"", b"b"]))
    assert drain(reader, 10) == [b"a", b"b"]


def test_the_streams_error_is_kept_for_the_store() -> None:
    def broken() -> Iterator[bytes]:
        yield b"x" * 10
        raise LookupError("client went away")

    reader = _IterReader(broken())
    assert reader.read(4) == b"xxxx"
    assert reader.read(100) == b"x" * 6
    with pytest.raises(LookupError):
        reader.read(100)
    assert isinstance(reader.error, LookupError)
