"""The file store's write cache (``GLARE_BLOB_WRITE_CACHE``).

The first ``write_cache`` bytes of an upload go through the page cache, so a fresh blob is
downloaded from memory; from there on the descriptor bypasses it (O_DIRECT), so a huge
upload leaves no more than that in the cache. Whatever the split, the data is on disk
(fsynced) before the write returns, i.e. before the blob can be marked active."""

from __future__ import annotations

import ctypes
import mmap
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from glare_core.app import create_app
from glare_core.blobs import direct_io, filesystem
from glare_core.blobs.filesystem import DEFAULT_WRITE_CACHE, FilesystemStore
from glare_core.config import load_settings
from glare_core.errors import StartupError
from tests.unit.test_filesystem_store_io import _fd_is_direct, _o_direct_works

MIB = 1024 * 1024


@pytest.fixture
def disk_dir(tmp_path: Path) -> Path:
    if not _o_direct_works(tmp_path):
        pytest.skip(f"{tmp_path} is on a filesystem without O_DIRECT")
    return tmp_path


def _record_writes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int, bool]]:
    """(file offset, length, O_DIRECT on?) of every write the store makes."""
    real_write = os.write
    writes: list[tuple[int, int, bool]] = []

    def recording_write(fd: int, data: bytes) -> int:
        done = real_write(fd, data)
        writes.append((os.lseek(fd, 0, os.SEEK_CUR) - done, done, _fd_is_direct(fd)))
        return done

    monkeypatch.setattr(direct_io.os, "write", recording_write)
    return writes


def _chunks(data: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start:start + size]


@pytest.mark.parametrize("write_cache", [2 * MIB, 2 * MIB + 1, 100_000])
def test_the_head_goes_through_the_page_cache_and_the_rest_bypasses_it(
    disk_dir: Path, monkeypatch: pytest.MonkeyPatch, write_cache: int
) -> None:
    writes = _record_writes(monkeypatch)
    store = FilesystemStore(disk_dir, write_cache=write_cache)
    data = os.urandom(5 * MIB + 123)
    location = store.location_for("aa" * 16, namespace="t")
    # 300,000-byte chunks: the switch falls inside a chunk, which is split there
    store.write(location, _chunks(data, 300_000))
    assert store.path_of(location).read_bytes() == data
    switch = -(-write_cache // mmap.PAGESIZE) * mmap.PAGESIZE  # rounded up to a page
    buffered = [(offset, length) for offset, length, direct in writes if not direct]
    direct = [(offset, length) for offset, length, direct in writes if direct]
    assert sum(length for _, length in buffered[:-1]) == switch  # the head...
    assert all(offset + length <= switch for offset, length in buffered[:-1])
    assert direct[0][0] == switch  # ...then O_DIRECT from the switch on...
    assert sum(length for _, length in direct) == (len(data) - switch) // 4096 * 4096
    assert buffered[-1] == (len(data) // 4096 * 4096, 123)  # ...but the unaligned tail


def test_a_blob_within_the_write_cache_never_uses_o_direct(
    disk_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writes = _record_writes(monkeypatch)
    store = FilesystemStore(disk_dir)
    store.write(store.location_for("ab" * 16, namespace="t"), _chunks(b"x" * 4 * MIB, MIB))
    assert writes and not any(direct for _, _, direct in writes)


def _cached_share(path: Path) -> float:
    """Share of the file's pages in the page cache: mincore(2) over a mapping of it."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                          ctypes.c_int, ctypes.c_long]
    size = path.stat().st_size
    pages = -(-size // mmap.PAGESIZE)
    resident = (ctypes.c_ubyte * pages)()
    with path.open("rb") as handle:
        address = libc.mmap(None, size, mmap.PROT_READ, mmap.MAP_SHARED, handle.fileno(), 0)
        assert address not in (None, ctypes.c_void_p(-1).value), "mmap failed"
        try:
            assert libc.mincore(ctypes.c_void_p(address), ctypes.c_size_t(size),
                                resident) == 0, os.strerror(ctypes.get_errno())
        finally:
            libc.munmap(ctypes.c_void_p(address), ctypes.c_size_t(size))
    return sum(flag & 1 for flag in resident) / pages


def test_a_fresh_blob_is_left_in_the_page_cache_up_to_the_write_cache(disk_dir: Path) -> None:
    data = os.urandom(8 * MIB)
    cached = FilesystemStore(disk_dir / "cached", write_cache=8 * MIB)
    direct = FilesystemStore(disk_dir / "direct", write_cache=0)
    half = FilesystemStore(disk_dir / "half", write_cache=4 * MIB)
    shares = {}
    for name, store in (("cached", cached), ("direct", direct), ("half", half)):
        location = store.location_for("ac" * 16, namespace="t")
        store.write(location, _chunks(data, MIB))
        shares[name] = _cached_share(store.path_of(location))
    # O_DIRECT writes leave nothing cached; what went through the cache stays there after
    # the fsync (as clean pages) unless memory runs short, which 8 MiB will not make it.
    assert shares == {"cached": 1.0, "direct": 0.0, "half": 0.5}


def test_the_data_is_fsynced_before_the_blob_takes_its_place(
    disk_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append(f"fsync {os.fstat(fd).st_size}")
        real_fsync(fd)

    def replace(source: Path, target: Path) -> None:
        events.append("replace")
        real_replace(source, target)

    monkeypatch.setattr(filesystem.os, "fsync", fsync)
    monkeypatch.setattr(filesystem.os, "replace", replace)
    for write_cache in (None, 0, MIB, DEFAULT_WRITE_CACHE):
        events.clear()
        store = FilesystemStore(disk_dir, write_cache=write_cache)
        store.write(store.location_for(f"{write_cache}".ljust(32, "0"), namespace="t"),
                    _chunks(b"y" * (3 * MIB + 5), MIB))
        assert events == [f"fsync {3 * MIB + 5}", "replace"], write_cache


def test_the_setting_reaches_the_store(tmp_path: Path) -> None:
    def store_of(value: int | None) -> FilesystemStore:
        config = {"GLARE_DATA_DIR": str(tmp_path)}
        if value is not None:
            config["GLARE_BLOB_WRITE_CACHE"] = value
        app = create_app(config, autoload=False)
        return app.extensions["glare"].stores.by_name["file"]

    assert store_of(None).write_cache == DEFAULT_WRITE_CACHE == 512 * MIB
    assert store_of(0).write_cache == 0
    assert store_of(1234).write_cache == 1234
    assert store_of(-1).write_cache is None  # every byte through the page cache


@pytest.mark.parametrize("value", ["-2", "a lot", "1.5", 1.5])
def test_a_bad_write_cache_stops_the_start(value: str | float) -> None:
    with pytest.raises(StartupError, match=r"GLARE_BLOB_WRITE_CACHE .* is invalid: must be a"
                                           r" whole number of bytes"):
        load_settings(overrides={"GLARE_BLOB_WRITE_CACHE": value}, environ={})


def test_the_write_cache_from_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "glare.toml"
    config.write_text("blob_write_cache = 67108864\n")
    assert load_settings(config, environ={})["GLARE_BLOB_WRITE_CACHE"] == 64 * MIB
