"""The file store's disk I/O.

Writes go through the O_DIRECT writer (after the write cache: see
test_filesystem_write_cache.py): every size and chunking lands byte for byte, the
descriptor really bypasses the page cache where the filesystem allows it, and every way a
filesystem can refuse direct I/O falls back to buffered writes without losing a byte.
Reads tell the kernel they go straight through the requested range."""

from __future__ import annotations

import errno
import fcntl
import os
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from glare_core.blobs import direct_io
from glare_core.blobs.base import BlobWriteError
from glare_core.blobs.filesystem import FilesystemStore

MIB = 1024 * 1024
SIZES = [0, 1, 4095, 4096, 4097, MIB - 1, MIB, MIB + 1, 3 * MIB + 12345]


def _o_direct_works(folder: Path) -> bool:
    if not direct_io.O_DIRECT:
        return False
    probe = folder / "probe"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | direct_io.O_DIRECT)
    except OSError:
        return False
    os.close(fd)
    probe.unlink()
    return True


@pytest.fixture
def disk_dir(tmp_path: Path) -> Path:
    if not _o_direct_works(tmp_path):
        pytest.skip(f"{tmp_path} is on a filesystem without O_DIRECT")
    return tmp_path


def _fd_is_direct(fd: int) -> bool:
    for line in Path(f"/proc/self/fdinfo/{fd}").read_text().splitlines():
        if line.startswith("flags:"):
            return bool(int(line.split()[1], 8) & direct_io.O_DIRECT)
    raise AssertionError("no flags in fdinfo")


def _uneven_chunks(data: bytes, seed: int) -> Iterator[bytes]:
    rng = random.Random(seed)
    position = 0
    while position < len(data):
        step = rng.choice([1, 100, 4096, 65536, MIB, 3 * MIB])
        yield data[position:position + step]
        position += step


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("write_cache", [0, 4097, MIB, None])
def test_every_size_and_chunking_is_written_exactly(
    disk_dir: Path, size: int, write_cache: int | None
) -> None:
    """Direct from the first byte, switching after a page or a MiB, or never."""
    store = FilesystemStore(disk_dir, write_cache=write_cache)
    data = os.urandom(size)
    location = store.location_for(f"{size:032x}", namespace="t")
    stored = store.write(location, _uneven_chunks(data, size))
    assert stored.size == size
    assert store.path_of(location).read_bytes() == data


def test_the_descriptor_bypasses_the_page_cache_until_the_tail(disk_dir: Path) -> None:
    path = disk_dir / "blob"
    fd = direct_io.open_for_write(path)
    seen: list[bool] = []

    def chunks() -> Iterator[bytes]:
        for _ in range(3):
            seen.append(_fd_is_direct(fd))
            yield os.urandom(MIB)
        yield b"tail"

    try:
        written = direct_io.write_chunks(fd, chunks(), direct_from=0)
        after = _fd_is_direct(fd)
    finally:
        os.close(fd)
    assert seen == [True, True, True]
    assert after is False  # the unaligned tail went through the page cache
    assert written == 3 * MIB + 4 == path.stat().st_size


def test_direct_io_can_be_turned_off(
    disk_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = os.write
    flags: list[bool] = []

    def recording_write(fd: int, data: bytes) -> int:
        flags.append(_fd_is_direct(fd))
        return real_write(fd, data)

    monkeypatch.setattr(direct_io.os, "write", recording_write)
    store = FilesystemStore(disk_dir, write_cache=None)
    store.write(store.location_for("ab" * 16, namespace="t"), iter([b"x" * MIB] * 2))
    assert flags and not any(flags)


def _refuse_o_direct(monkeypatch: pytest.MonkeyPatch, error: int = errno.EINVAL) -> None:
    """Setting O_DIRECT fails with EINVAL on filesystems without it (older tmpfs, FUSE)."""
    real_fcntl = fcntl.fcntl

    def no_direct(fd: int, command: int, arg: int = 0) -> int:
        if command == fcntl.F_SETFL and arg & direct_io.O_DIRECT:
            raise OSError(error, os.strerror(error))
        return real_fcntl(fd, command, arg)

    monkeypatch.setattr(direct_io.fcntl, "fcntl", no_direct)


@pytest.mark.parametrize("write_cache", [0, MIB // 2])
def test_a_filesystem_refusing_o_direct_gets_buffered_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, write_cache: int
) -> None:
    _refuse_o_direct(monkeypatch)
    store = FilesystemStore(tmp_path, write_cache=write_cache)
    data = os.urandom(MIB + 7)
    location = store.location_for("cd" * 16, namespace="t")
    store.write(location, _uneven_chunks(data, 1))
    assert store.path_of(location).read_bytes() == data


def test_other_errors_turning_on_o_direct_are_not_mistaken_for_missing_o_direct(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _refuse_o_direct(monkeypatch, errno.EBADF)
    store = FilesystemStore(tmp_path, write_cache=0)
    with pytest.raises(BlobWriteError, match="Bad file descriptor"):
        store.write(store.location_for("ce" * 16, namespace="t"), [b"x"])
    assert store.stored_files() == []


def test_einval_on_a_direct_write_switches_to_buffered(
    disk_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = os.write
    refused: list[int] = []

    def picky_write(fd: int, data: bytes) -> int:
        if _fd_is_direct(fd):
            refused.append(len(data))
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_write(fd, data)

    monkeypatch.setattr(direct_io.os, "write", picky_write)
    store = FilesystemStore(disk_dir, write_cache=0)
    data = os.urandom(2 * MIB + 3)
    location = store.location_for("ef" * 16, namespace="t")
    store.write(location, _uneven_chunks(data, 2))
    assert refused == [MIB]  # one refusal, then everything went buffered
    assert store.path_of(location).read_bytes() == data


def test_a_short_unaligned_direct_write_switches_to_buffered(
    disk_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = os.write
    calls: list[tuple[bool, int]] = []

    def short_once(fd: int, data: bytes) -> int:
        calls.append((_fd_is_direct(fd), len(data)))
        if len(calls) == 1:
            return real_write(fd, bytes(memoryview(data)[:4096 + 100]))
        return real_write(fd, data)

    monkeypatch.setattr(direct_io.os, "write", short_once)
    store = FilesystemStore(disk_dir, write_cache=0)
    data = os.urandom(3 * MIB)
    location = store.location_for("0a" * 16, namespace="t")
    store.write(location, _uneven_chunks(data, 3))
    assert calls[0] == (True, MIB)
    assert all(direct is False for direct, _ in calls[1:])
    assert store.path_of(location).read_bytes() == data


def test_a_failing_source_leaves_no_partial_file(disk_dir: Path) -> None:
    store = FilesystemStore(disk_dir)

    def broken() -> Iterator[bytes]:
        yield os.urandom(MIB + 1)
        raise RuntimeError("client went away")

    with pytest.raises(RuntimeError):
        store.write(store.location_for("1b" * 16, namespace="t"), broken())
    assert store.stored_files() == []


def test_reads_announce_a_sequential_range(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Downloads tell the kernel they read straight through (bigger readahead)."""
    if not hasattr(os, "posix_fadvise"):
        pytest.skip("no posix_fadvise on this platform")
    store = FilesystemStore(tmp_path)
    location = store.location_for("ad" * 16, namespace="t")
    store.write(location, [b"x" * 10_000])
    hints: list[tuple[int, int, int]] = []
    monkeypatch.setattr(os, "posix_fadvise", lambda fd, off, n, advice: hints.append(
        (off, n, advice)))
    assert b"".join(store.read(location)) == b"x" * 10_000
    assert b"".join(store.read(location, offset=100, length=50)) == b"x" * 50
    assert hints == [(0, 0, os.POSIX_FADV_SEQUENTIAL), (100, 50, os.POSIX_FADV_SEQUENTIAL)]
