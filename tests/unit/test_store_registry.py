"""Which internal locations clients may attach: each store class declares the schemes of
its server-local data (``BlobStore.server_local_schemes``), configured or not."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pytest

import glare_core.blobs.builtin  # noqa: F401 (as in the app: every core store class is known)
from glare_core.blobs.base import BlobStore, StoredBlob
from glare_core.blobs.database import DatabaseStore
from glare_core.blobs.filesystem import FilesystemStore
from glare_core.blobs.http import HttpReadStore
from glare_core.blobs.registry import StoreRegistry, server_local_schemes
from glare_core.errors import BadRequest, Forbidden


class LocalStore(BlobStore):
    """A plugin's store of server-local data, never configured in these tests."""

    schemes = ("plugin-local",)
    server_local_schemes = ("plugin-local", "PLUGIN-LEGACY")

    def write(self, location: str, chunks: Iterable[bytes], *,
              size: int | None = None) -> StoredBlob:
        raise NotImplementedError

    def read(self, location: str, *, offset: int = 0,
             length: int | None = None) -> Iterator[bytes]:
        raise NotImplementedError

    def delete(self, location: str) -> None:
        raise NotImplementedError


@pytest.fixture
def registry(tmp_path) -> StoreRegistry:
    import sqlalchemy as sa

    return StoreRegistry([FilesystemStore(tmp_path), DatabaseStore(sa.create_engine("sqlite://")),
                          HttpReadStore()])


def test_the_builtin_stores_declare_what_the_registry_used_to_hard_code():
    assert {"file", "filesystem", "swift+config", "sql"} <= server_local_schemes([])
    assert not {"http", "https", "swift"} & server_local_schemes([])


@pytest.mark.parametrize("url", ["file:///etc/passwd", "FILESYSTEM:///x", "sql://abc",
                                 "swift+config://ref/c/o", "plugin-local://x",
                                 "plugin-legacy://y"])
def test_server_local_schemes_are_refused_even_without_their_store(registry, url):
    with pytest.raises(Forbidden):
        registry.check_internal_location(url)


def test_other_schemes_need_a_store_that_reads_them(registry):
    registry.check_internal_location("https://example.com/blob")
    with pytest.raises(BadRequest):
        registry.check_internal_location("swift://container/object")  # no Swift configured
    with pytest.raises(BadRequest):
        registry.check_internal_location("gopher://example.com/x")
