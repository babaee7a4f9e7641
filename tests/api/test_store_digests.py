"""Blob stores that hash what they store (blob store API 1.1): Glare takes the digests a
store promises from ``StoredBlob.checksums`` instead of computing them, computes the rest,
and fails the upload cleanly when a store breaks its promise.

Uploads go to ``images`` (no pre-upload hook): a hook that replaces the stream may change
its length, so the store is then told no size and promises nothing (sample_artifact)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

import glare_images
import glare_sample_artifact
import pytest

from glare_core.auth.context import RequestContext
from glare_core.blobs.filesystem import FilesystemStore
from glare_core.blobs.streams import MeteredStream
from glare_core.plugin import StoredBlob, hookimpl
from tests.api.helpers import assert_envelope
from tests.conftest import SAMPLE

IMAGES = "images"

MARKER_MD5 = "f" * 32  # what no hash of the test data is: proves whose value was kept


class HashingStore(FilesystemStore):
    """A file store that claims to compute MD5 for uploads of known size and returns
    ``answer`` (a marker, nothing, or garbage) as that MD5."""

    schemes = ("hashing",)

    def __init__(self, root: Any) -> None:
        super().__init__(root)
        self.answer: str | None = MARKER_MD5
        self.promised_for: list[int | None] = []
        self.promise = frozenset({"md5"})

    def digests_while_writing(self, size: int | None) -> frozenset[str]:
        self.promised_for.append(size)
        return self.promise if size is not None else frozenset()

    def write(self, location: str, chunks: Iterable[bytes], *,
              size: int | None = None) -> StoredBlob:
        stored = super().write(location, chunks, size=size)
        if size is None or self.answer is None:
            return stored
        return StoredBlob(stored.location, stored.size, checksums={"md5": self.answer})


class HashingStorePlugin:
    def __init__(self) -> None:
        self.store: HashingStore | None = None

    @hookimpl
    def glare_register_blob_stores(self, app: Any) -> list[Any]:
        self.store = HashingStore(app.config["GLARE_BLOB_DIR"] + "-hashing")
        return [self.store]


PLUGIN = HashingStorePlugin()


@pytest.fixture
def glare_plugins() -> list[Any]:
    return [glare_sample_artifact, glare_images, PLUGIN]


@pytest.fixture
def glare_settings() -> dict[str, Any]:
    return {"GLARE_DEFAULT_STORE": "hashing"}


@pytest.fixture
def store(glare_app) -> HashingStore:
    assert PLUGIN.store is not None
    PLUGIN.store.answer = MARKER_MD5
    PLUGIN.store.promise = frozenset({"md5"})
    PLUGIN.store.promised_for.clear()
    return PLUGIN.store


def upload(client: Any, artifact_id: str, data: bytes, *, type_name: str = IMAGES,
           field: str = "image") -> Any:
    return client.put(f"/artifacts/{type_name}/{artifact_id}/{field}", data=data,
                      content_type="application/octet-stream")


def test_the_store_md5_is_kept_and_glare_computes_the_others(user1, store):
    art = user1.create(IMAGES, name="digests")
    data = b"stored and hashed by the store" * 1000
    response = upload(user1, art["id"], data)
    assert response.status_code == 200, response.get_data(as_text=True)
    blob = response.get_json()["image"]
    assert store.promised_for == [len(data)]
    assert blob["md5"] == MARKER_MD5
    assert blob["sha1"] == hashlib.sha1(data).hexdigest()
    assert blob["sha256"] == hashlib.sha256(data).hexdigest()
    assert blob["status"] == "active" and blob["size"] == len(data)


def test_without_a_promise_glare_computes_all_three(user1, store, glare_app):
    """An upload of unknown length (chunked; at the engine, as the test client always
    announces a length): the store promises nothing."""
    art = user1.create(IMAGES, name="chunked")
    data = b"unknown length" * 500
    context = RequestContext(user_id="u1", project_id="p1", roles=("member",))
    saved = glare_app.extensions["glare"].engine.uploads.upload(
        context, IMAGES, art["id"], "image", None, iter([data[:1000], data[1000:]]),
        content_type="application/octet-stream", content_length=None)
    assert store.promised_for == [None]
    assert saved["image"]["md5"] == hashlib.md5(data).hexdigest()
    assert saved["image"]["sha256"] == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("answer", [None, "", "not-hex", "F" * 32, "a" * 31])
def test_a_broken_promise_fails_the_upload_and_keeps_nothing(user1, store, answer):
    art = user1.create(IMAGES, name="broken")
    previous = upload(user1, art["id"], b"previous").get_json()["image"]
    files_before = store.stored_files()
    store.answer = answer
    response = upload(user1, art["id"], b"new data")
    assert_envelope(response, 503, "BlobStoreError")
    assert "md5" in response.get_json()["error"]["message"]
    assert user1.show(IMAGES, art["id"])["image"] == previous
    assert store.stored_files() == files_before


def test_digest_names_glare_does_not_know_are_ignored(user1, store):
    store.promise = frozenset({"md5", "crc32"})
    art = user1.create(IMAGES, name="crc")
    response = upload(user1, art["id"], b"data")
    assert response.status_code == 200, response.get_data(as_text=True)
    blob = response.get_json()["image"]
    assert blob["md5"] == MARKER_MD5 and "crc32" not in blob


def test_a_stream_replacing_hook_means_no_size_and_no_promise(user1, store):
    art = user1.create(SAMPLE, name="hooked")
    data = b"through sample_artifact's pre-upload hook"
    response = upload(user1, art["id"], data, type_name=SAMPLE, field="blob")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert store.promised_for == [None]
    assert response.get_json()["blob"]["md5"] == hashlib.md5(data).hexdigest()


def test_a_skipped_digest_is_neither_computed_nor_reported():
    metered = MeteredStream(iter([b"abc", b"def"]), limit=100, skip_digests=frozenset({"md5"}))
    assert b"".join(metered) == b"abcdef"
    assert metered.checksums == {"sha1": hashlib.sha1(b"abcdef").hexdigest(),
                                 "sha256": hashlib.sha256(b"abcdef").hexdigest()}
    everything = MeteredStream(iter([b"abc"]), limit=100)
    list(everything)
    assert everything.checksums["md5"] == hashlib.md5(b"abc").hexdigest()
