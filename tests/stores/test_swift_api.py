"""The blob API on a real Swift: plain and segmented objects, ranges, re-upload and delete
leave no object behind (the containers are empty after the deletions)."""

from __future__ import annotations

import hashlib
import os

import pytest

from glare_core.app import create_app
from glare_core.blobs.swift import SwiftStore
from glare_core.engine.scrubber import scrub
from glare_core.testing import GlareClient
from tests.conftest import SAMPLE, SAMPLE_URL

SEGMENT = 64 * 1024
MIB = 1024 * 1024
LOCATION = "application/vnd+openstack.glare-custom-location+json"


@pytest.fixture
def glare_settings(swift_server, swift_prefix):
    return {
        "GLARE_DEFAULT_STORE": "swift",
        "GLARE_SWIFT": swift_server.settings(container_prefix=swift_prefix,
                                             segment_size=SEGMENT,
                                             large_object_size=SEGMENT),
    }


@pytest.fixture
def objects(swift_server, swift_prefix):
    """Everything stored in this test's containers."""
    from swiftclient.exceptions import ClientException

    conn = swift_server.connection()

    def listing() -> list[str]:
        names = []
        for suffix in ("", "_segments"):
            container = f"{swift_prefix}_{SAMPLE}{suffix}"
            try:
                names += [f"{container}/{o['name']}"
                          for o in conn.get_container(container, full_listing=True)[1]]
            except ClientException as exc:
                assert exc.http_status == 404
        return sorted(names)

    return listing


def upload(client, artifact_id: str, path: str, data: bytes):
    return client.put(f"{SAMPLE_URL}/{artifact_id}/{path}", data=data,
                      content_type="application/octet-stream")


@pytest.mark.parametrize("size", [0, 10, SEGMENT, SEGMENT + 1, 5 * SEGMENT + 7])
def test_upload_download_roundtrip(user1, objects, size):
    data = os.urandom(size)
    artifact = user1.create(SAMPLE, name="swift")
    response = upload(user1, artifact["id"], "blob", data)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["blob"]["sha256"] == hashlib.sha256(data).hexdigest()
    download = user1.get(f"{SAMPLE_URL}/{artifact['id']}/blob")
    assert download.status_code == 200
    assert download.data == data
    assert download.headers["Content-Length"] == str(size)
    segments = [n for n in objects() if "_segments/" in n]
    assert len(segments) == (0 if size <= SEGMENT else -(-size // SEGMENT))


def test_range_of_a_segmented_blob(user1):
    data = os.urandom(4 * SEGMENT)
    artifact = user1.create(SAMPLE, name="swift")
    assert upload(user1, artifact["id"], "blob", data).status_code == 200
    start, end = SEGMENT - 10, 2 * SEGMENT + 9
    response = user1.get(f"{SAMPLE_URL}/{artifact['id']}/blob",
                         headers={"Range": f"bytes={start}-{end}"})
    assert response.status_code == 206
    assert response.headers["Content-Range"] == f"bytes {start}-{end}/{len(data)}"
    assert response.data == data[start:end + 1]


def test_reupload_and_delete_leave_no_objects(user1, objects):
    artifact = user1.create(SAMPLE, name="swift")
    other = user1.create(SAMPLE, name="other")
    assert upload(user1, artifact["id"], "blob", os.urandom(3 * SEGMENT)).status_code == 200
    first = objects()
    assert upload(user1, artifact["id"], "blob", os.urandom(2 * SEGMENT + 1)).status_code == 200
    second = objects()
    assert len(second) == len(first) == 4  # manifest + segments, the old ones are gone
    assert set(first).isdisjoint(second)
    assert upload(user1, artifact["id"], "dict_of_blobs/a/b", b"x" * 500).status_code == 200
    assert upload(user1, other["id"], "blob", b"other data").status_code == 200
    assert user1.delete(f"{SAMPLE_URL}/{artifact['id']}").status_code == 204
    assert len(objects()) == 1
    assert user1.get(f"{SAMPLE_URL}/{other['id']}/blob").data == b"other data"
    assert user1.delete(f"{SAMPLE_URL}/{other['id']}").status_code == 204
    assert objects() == []


@pytest.mark.parametrize("change", ["reupload", "delete", "delayed delete and scrub"])
def test_a_download_in_progress_outlives_the_segments_it_reads(
        glare_config, glare_plugins, objects, change):
    """The proxy reads a large object segment by segment while the download streams: a
    re-upload, an artifact delete or the scrubber must not delete the segments under it
    (that cut downloads short). They go when the download ends."""
    # Nine 1 MiB segments: past what the sockets buffer, and under the 10 segments after
    # which Swift's proxy serves large objects at one segment a second.
    swift = {**glare_config["GLARE_SWIFT"], "segment_size": MIB, "large_object_size": MIB}
    app = create_app({**glare_config, "GLARE_SWIFT": swift,
                      "GLARE_DELAYED_DELETE": change.startswith("delayed")},
                     plugins=glare_plugins, autoload=False)
    user1 = GlareClient(app.test_client())
    data = os.urandom(9 * MIB)
    artifact = user1.create(SAMPLE, name="swift-read-while-deleted")
    assert upload(user1, artifact["id"], "blob", data).status_code == 200
    response = user1.get(f"{SAMPLE_URL}/{artifact['id']}/blob", buffered=False)
    chunks = iter(response.response)
    first = next(chunks)
    if change == "reupload":
        assert upload(user1, artifact["id"], "blob", b"new").status_code == 200
    else:
        assert user1.delete(f"{SAMPLE_URL}/{artifact['id']}").status_code == 204
    if change.startswith("delayed"):
        state = app.extensions["glare"]
        assert scrub(state.engine) == 1
    received = first + b"".join(chunks)
    response.close()
    assert hashlib.sha256(received).hexdigest() == hashlib.sha256(data).hexdigest()
    assert len(objects()) == (1 if change == "reupload" else 0)  # the old data is gone


def test_delayed_delete_keeps_objects_until_scrubbed(glare_config, glare_plugins, objects):
    app = create_app({**glare_config, "GLARE_DELAYED_DELETE": True}, plugins=glare_plugins,
                     autoload=False)
    user1 = GlareClient(app.test_client())
    artifact = user1.create(SAMPLE, name="swift")
    assert upload(user1, artifact["id"], "blob", os.urandom(2 * SEGMENT)).status_code == 200
    stored = objects()
    assert len(stored) == 3  # manifest and two segments
    assert user1.delete(f"{SAMPLE_URL}/{artifact['id']}").status_code == 204
    assert user1.show(SAMPLE, artifact["id"])["status"] == "deleted"
    assert objects() == stored
    state = app.extensions["glare"]
    assert scrub(state.engine) == 1
    assert user1.get(f"{SAMPLE_URL}/{artifact['id']}").status_code == 404
    assert objects() == []


def test_internal_swift_location_is_served_and_deleted_with_the_artifact(
        user1, admin, swift_server, swift_prefix):
    conn = swift_server.connection()
    container = f"{swift_prefix}_external_data"
    conn.put_container(container)
    conn.put_object(container, "disk.img", b"internal bytes")
    artifact = user1.create(SAMPLE, name="swift")
    response = admin.put(
        f"{SAMPLE_URL}/{artifact['id']}/blob",
        json_body={"url": f"swift://{container}/disk.img", "location_type": "internal",
                   "md5": hashlib.md5(b"internal bytes").hexdigest()},
        content_type=LOCATION,
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    blob = response.get_json()["blob"]
    assert blob["external"] is False
    assert blob["url"] == f"/artifacts/{SAMPLE}/{artifact['id']}/blob"
    download = user1.get(f"{SAMPLE_URL}/{artifact['id']}/blob")
    assert download.status_code == 200
    assert download.data == b"internal bytes"
    assert download.headers["Content-Type"] == "application/octet-stream"
    assert user1.delete(f"{SAMPLE_URL}/{artifact['id']}").status_code == 204
    assert conn.get_container(container)[1] == []


class TestSwiftComputesMd5:
    """``images`` has no pre-upload hook, so Swift learns each blob's size: blobs up to
    ``large_object_size`` are plain objects whose MD5 is Swift's ETag (Glare skips its
    own), bigger ones are SLOs whose MD5 Glare computes."""

    @pytest.fixture
    def glare_plugins(self):
        import glare_images
        import glare_sample_artifact

        return [glare_sample_artifact, glare_images]

    @pytest.mark.parametrize("size", [0, 10, SEGMENT, 5 * SEGMENT + 7])
    def test_checksums_are_right_whoever_computes_them(self, user1, glare_app, size):
        store = glare_app.extensions["glare"].stores.by_name["swift"]
        assert store.digests_while_writing(size) == (
            frozenset({"md5"}) if size <= SEGMENT else frozenset())
        data = os.urandom(size)
        artifact = user1.create("images", name="swift-md5")
        response = user1.put(f"/artifacts/images/{artifact['id']}/image", data=data,
                             content_type="application/octet-stream")
        assert response.status_code == 200, response.get_data(as_text=True)
        blob = response.get_json()["image"]
        assert blob["md5"] == hashlib.md5(data).hexdigest()
        assert blob["sha1"] == hashlib.sha1(data).hexdigest()
        assert blob["sha256"] == hashlib.sha256(data).hexdigest()
        download = user1.get(f"/artifacts/images/{artifact['id']}/image")
        assert download.data == data
        assert download.headers["Content-MD5"] == hashlib.md5(data).hexdigest()


@pytest.mark.parametrize("stored", [b"short", b"x" * 100], ids=["shorter", "longer"])
def test_an_object_overwritten_outside_glare_is_not_sent(user1, glare_app, swift_server,
                                                         stored):
    """An object overwritten with data of another size (here straight through
    swiftclient) was sent short under the recorded Content-Length: now a 404 error
    envelope, for a GET, a range (even one the object still holds) and a HEAD."""
    artifact = user1.create(SAMPLE, name="swift-damaged")
    assert upload(user1, artifact["id"], "blob", b"0123456789" * 3).status_code == 200
    record = glare_app.extensions["glare"].engine.context.data_apis[SAMPLE].get(artifact["id"])
    container, obj = SwiftStore.split(record["blob"]["location"])
    swift_server.connection().put_object(container, obj, stored)
    blob_url = f"{SAMPLE_URL}/{artifact['id']}/blob"
    for headers in ({}, {"Range": "bytes=0-2"}, {"Range": "bytes=10-"}):
        response = user1.get(blob_url, headers=headers)
        assert response.status_code == 404, response.get_data(as_text=True)
        assert response.get_json()["error"]["type"] == "NotFound"
        assert "damaged" in response.get_json()["error"]["message"]
    head = user1.request("HEAD", blob_url)
    assert head.status_code == 404 and head.mimetype == "application/json"
