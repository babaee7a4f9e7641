"""Unit tests of the upload-hook stream helpers (glare_core/blobs/stream_checks.py), exported by
the public plugin API: chunks pass unchanged, the check runs at the end before the last
chunk is released, the in-memory copy is bounded, spooled files are always removed."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import glare_core.plugin as plugin_api
from glare_core.errors import BadRequest
from glare_core.plugin import spool_then_check, validate_after_stream

CHUNKS = [b"alpha-", b"beta-", b"gamma-", b"delta"]
DATA = b"".join(CHUNKS)


class Source:
    """A chunk source that logs every chunk it hands out (to see read-ahead)."""

    def __init__(self, chunks: list[bytes], log: list[str]) -> None:
        self.chunks = chunks
        self.log = log

    def __iter__(self) -> Iterator[bytes]:
        for index, chunk in enumerate(self.chunks):
            self.log.append(f"read {index}")
            yield chunk


def test_helpers_are_part_of_the_public_plugin_api():
    assert "validate_after_stream" in plugin_api.__all__
    assert "spool_then_check" in plugin_api.__all__
    assert plugin_api.validate_after_stream is validate_after_stream
    assert plugin_api.spool_then_check is spool_then_check


# ---- validate_after_stream --------------------------------------------------------------


def test_validate_passes_chunks_unchanged_and_checks_the_whole_data():
    seen: list[bytes] = []
    out = list(validate_after_stream(iter(CHUNKS), 1000, seen.append))
    assert out == CHUNKS
    assert seen == [DATA]


def test_validate_holds_the_last_chunk_until_the_check_passed():
    log: list[str] = []
    stream = validate_after_stream(Source(CHUNKS, log), 1000, lambda data: log.append("check"))
    for chunk in stream:
        log.append(f"yield {CHUNKS.index(chunk)}")
    assert log == ["read 0", "read 1", "yield 0", "read 2", "yield 1", "read 3", "yield 2",
                   "check", "yield 3"]


def test_validate_check_error_keeps_the_last_chunk_back():
    def refuse(data: bytes) -> None:
        raise BadRequest("not a template")

    received: list[bytes] = []
    with pytest.raises(BadRequest, match="not a template"):
        for chunk in validate_after_stream(iter(CHUNKS), 1000, refuse):
            received.append(chunk)
    assert received == CHUNKS[:-1]


def test_validate_exactly_at_the_limit_is_accepted():
    seen: list[bytes] = []
    assert list(validate_after_stream(iter(CHUNKS), len(DATA), seen.append)) == CHUNKS
    assert seen == [DATA]


def test_validate_over_the_limit_is_400_without_checking():
    seen: list[bytes] = []
    received: list[bytes] = []
    with pytest.raises(BadRequest, match=f"larger than the {len(DATA) - 1} bytes"):
        for chunk in validate_after_stream(iter(CHUNKS), len(DATA) - 1, seen.append):
            received.append(chunk)
    # Everything read so far was passed on (an outer size limit may report it first) ...
    assert received == CHUNKS
    # ... but the check never ran.
    assert seen == []


def test_validate_stops_reading_at_the_limit():
    log: list[str] = []
    with pytest.raises(BadRequest):
        list(validate_after_stream(Source(CHUNKS, log), 8, lambda data: None))
    assert log == ["read 0", "read 1"]  # 6 + 5 bytes > 8: the rest is never read


def test_validate_empty_stream_checks_empty_data():
    seen: list[bytes] = []
    assert list(validate_after_stream(iter([]), 10, seen.append)) == []
    assert seen == [b""]


def test_validate_skips_empty_chunks():
    seen: list[bytes] = []
    out = list(validate_after_stream(iter([b"", b"ab", b"", b"c", b""]), 10, seen.append))
    assert out == [b"ab", b"c"]
    assert seen == [b"abc"]


def test_validate_zero_limit_accepts_only_empty_data():
    assert list(validate_after_stream(iter([b""]), 0, lambda data: None)) == []
    with pytest.raises(BadRequest):
        list(validate_after_stream(iter([b"x"]), 0, lambda data: None))


def test_validate_negative_limit_is_a_programming_error():
    with pytest.raises(ValueError):
        list(validate_after_stream(iter(CHUNKS), -1, lambda data: None))


def test_validate_is_lazy():
    log: list[str] = []
    stream = validate_after_stream(Source(CHUNKS, log), 1000, lambda data: None)
    assert log == []
    next(iter(stream))
    assert log == ["read 0", "read 1"]


# ---- spool_then_check -------------------------------------------------------------------


def test_spool_passes_chunks_unchanged_and_checks_the_complete_file(spool_dir: Path):
    paths: list[str] = []
    contents: list[bytes] = []

    def check(path: str) -> None:
        paths.append(path)
        contents.append(Path(path).read_bytes())

    assert list(spool_then_check(iter(CHUNKS), check)) == CHUNKS
    assert contents == [DATA]
    assert not os.path.exists(paths[0])  # removed after the upload
    assert list(spool_dir.iterdir()) == []


def test_spool_holds_the_last_chunk_until_the_check_passed():
    log: list[str] = []
    stream = spool_then_check(Source(CHUNKS, log), lambda path: log.append("check"))
    for chunk in stream:
        log.append(f"yield {CHUNKS.index(chunk)}")
    assert log == ["read 0", "read 1", "yield 0", "read 2", "yield 1", "read 3", "yield 2",
                   "check", "yield 3"]


def test_spool_check_error_propagates_and_removes_the_file(spool_dir: Path):
    paths: list[str] = []

    def refuse(path: str) -> None:
        paths.append(path)
        raise BadRequest("not a zip")

    received: list[bytes] = []
    with pytest.raises(BadRequest, match="not a zip"):
        for chunk in spool_then_check(iter(CHUNKS), refuse):
            received.append(chunk)
    assert received == CHUNKS[:-1]
    assert not os.path.exists(paths[0])
    assert list(spool_dir.iterdir()) == []


@pytest.fixture
def spool_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Temporary files of this test go to a private folder."""
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    return tmp_path


def test_spool_removes_the_file_when_the_consumer_stops_early(spool_dir: Path):
    calls: list[str] = []
    stream = spool_then_check(iter(CHUNKS), calls.append)
    assert next(stream) == CHUNKS[0]
    assert len(list(spool_dir.iterdir())) == 1
    stream.close()
    assert calls == []
    assert list(spool_dir.iterdir()) == []


def test_spool_file_is_gone_after_an_upstream_error(spool_dir: Path):
    paths: list[str] = []

    def broken() -> Iterator[bytes]:
        yield b"first"
        raise OSError("client went away")

    with pytest.raises(OSError, match="client went away"):
        list(spool_then_check(broken(), paths.append))
    assert paths == []
    assert list(spool_dir.iterdir()) == []


def test_spool_empty_stream_checks_an_empty_file():
    sizes: list[int] = []
    assert list(spool_then_check(iter([]), lambda path: sizes.append(os.path.getsize(path)))) \
        == []
    assert sizes == [0]


def test_spool_writes_one_temporary_file_and_removes_it(spool_dir: Path):
    seen: list[str] = []
    stream = spool_then_check(iter(CHUNKS), seen.append)
    next(stream)
    spooled = list(spool_dir.iterdir())
    assert len(spooled) == 1 and spooled[0].name.startswith("glare-upload-")
    list(stream)
    assert seen == [str(spooled[0])]
    assert list(spool_dir.iterdir()) == []
