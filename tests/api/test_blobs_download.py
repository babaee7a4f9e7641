"""Blob download through the API (contract §7.9, §10.2, §16, §20, §22, Q3, Q23, Q30; §31 items
115, 116, 123-125, 130, 133, 134, 148, 157) and our HTTP extensions: ETag (the quoted
SHA-256), Accept-Ranges, HEAD, a single byte Range (206 / 416), If-Range, If-None-Match (304)
and Content-Disposition.

Every test runs with the ``file`` store and with the ``database`` store (§31 #148).
"""

from __future__ import annotations

import hashlib
import logging
import os
from typing import Any

import glare_sample_artifact
import pytest

from glare_core.errors import Forbidden
from glare_core.plugin import hookimpl
from glare_core.testing import replace_op
from tests.api.helpers import (
    DATA27,
    LOCATION,
    MISSING_ID,
    activate,
    assert_envelope,
    assert_error,
    digests,
    publish,
    stored,
    upload_ok,
    url,
)
from tests.conftest import SAMPLE, SAMPLE_URL

# Every test runs once per store (§31 #148); see store_name in tests/api/conftest.py.
pytestmark = pytest.mark.usefixtures("store_name")


# ---- helpers ----------------------------------------------------------------------------


def deactivate(admin: Any, artifact_id: str) -> dict:
    return admin.update(SAMPLE, artifact_id, replace_op("/status", "deactivated"))


def etag_of(data: bytes) -> str:
    return '"' + hashlib.sha256(data).hexdigest() + '"'


def assert_full_download(response: Any, data: bytes, content_type: str) -> None:
    """§7.9 headers of an uploaded blob, plus our ETag and Accept-Ranges."""
    assert response.status_code == 200, response.get_data(as_text=True)
    sums = digests(data)
    assert response.headers["Content-Type"] == content_type
    assert response.headers["Content-Length"] == str(len(data))
    assert response.headers["Content-MD5"] == sums["md5"]  # hex, not base64 (Q30)
    assert response.headers["X-Openstack-Glare-Content-SHA1"] == sums["sha1"]
    assert response.headers["X-Openstack-Glare-Content-SHA256"] == sums["sha256"]
    assert response.headers["ETag"] == etag_of(data)
    assert response.headers["Accept-Ranges"] == "bytes"
    assert "Content-Range" not in response.headers
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.data == data


@pytest.fixture
def blob27(user1) -> dict:
    """An artifact of user1 with DATA27 in ``blob`` (content type text/plain)."""
    art = user1.create(SAMPLE, name="dl")
    upload_ok(user1, art["id"], "blob", DATA27, "text/plain")
    return art


# ---- content and headers (§7.9, §31 #124, #115) -----------------------------------------


def test_download_headers_and_body(user1):
    """§31 #124: 27 bytes; JSON digests equal the headers and hashlib's hex digests."""
    art = user1.create(SAMPLE, name="dl-124")
    body = upload_ok(user1, art["id"], "blob", DATA27, "application/x-data; v=1")
    sums = digests(DATA27)
    assert {k: body["blob"][k] for k in ("md5", "sha1", "sha256")} == sums
    response = user1.get(url(art["id"], "blob"))
    assert_full_download(response, DATA27, "application/x-data")


def test_content_disposition_names_the_field(user1, blob27):
    response = user1.get(url(blob27["id"], "blob"))
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert 'filename="blob"' in disposition


def test_content_disposition_names_the_folder_key(user1):
    art = user1.create(SAMPLE, name="cd-key")
    upload_ok(user1, art["id"], "dict_of_blobs/report.txt", b"text", "text/plain")
    response = user1.get(url(art["id"], "dict_of_blobs/report.txt"))
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert 'filename="report.txt"' in disposition


@pytest.mark.parametrize("key", ["k" * 900, "dir/sub/file.bin", "a", "x" * 1000])
def test_download_folder_entry(user1, key):
    """§31 #115: a folder entry downloads with the same headers as a blob."""
    art = user1.create(SAMPLE, name="dl-folder")
    data = b"data" * 100
    body = upload_ok(user1, art["id"], f"dict_of_blobs/{key}", data, "application/x-f")
    entry_url = body["dict_of_blobs"][key]["url"]
    assert entry_url == f"{SAMPLE_URL}/{art['id']}/dict_of_blobs/{key}"
    assert_full_download(user1.get(entry_url), data, "application/x-f")


def test_download_empty_blob(user1):
    art = user1.create(SAMPLE, name="empty")
    upload_ok(user1, art["id"], "small_blob", b"", "text/plain")
    assert_full_download(user1.get(url(art["id"], "small_blob")), b"", "text/plain")


def test_download_large_blob(user1):
    """Data larger than one store chunk/row (1 MiB) comes back whole."""
    art = user1.create(SAMPLE, name="large")
    data = bytes(range(256)) * (10 * 1024 + 7)  # ~2.5 MiB
    upload_ok(user1, art["id"], "blob", data)
    assert_full_download(user1.get(url(art["id"], "blob")), data, "application/octet-stream")


def test_download_after_reupload_serves_new_data(user1, blob27):
    upload_ok(user1, blob27["id"], "blob", b"v2", "text/x-v2")
    assert_full_download(user1.get(url(blob27["id"], "blob")), b"v2", "text/x-v2")


def test_download_with_body_is_400(user1, blob27):
    """§2: a body on a download request → 400."""
    response = user1.get(url(blob27["id"], "blob"), data=b"unexpected",
                         content_type="text/plain")
    assert_error(response, 400)


# ---- missing and wrong targets (§7.9, §31 #116, #123) -------------------------------------


@pytest.mark.parametrize("path", [
    "not_a_dict/not_a_blob",  # §31 #116
    "not_a_blob",
    "int1",
    "str1",
    "dict_of_str/key",
    "blob/key",
    "dict_of_blobs",
    "dict_of_blobs/",
])
def test_download_wrong_target_is_400(user1, blob27, path):
    assert_error(user1.get(url(blob27["id"], path)), 400)


@pytest.mark.parametrize("path", ["small_blob", "dict_of_blobs/missing"])
def test_download_never_uploaded_is_404(user1, blob27, path):
    """§31 #123."""
    assert_error(user1.get(url(blob27["id"], path)), 404)


def test_data_missing_from_its_store_is_404_without_naming_the_location(user1, glare_app,
                                                                         blob27):
    """§16: store locations are never shown. Data lost behind an active blob (deleted from
    the store by hand) is a 404 whose message says so without the store's location."""
    record = glare_app.extensions["glare"].engine.context.data_apis[SAMPLE].get(blob27["id"])
    location = record["blob"]["location"]
    glare_app.extensions["glare"].stores.for_location(location).delete(location)
    body = assert_error(user1.get(url(blob27["id"], "blob")), 404)
    message = body["error"]["message"]
    assert "not found in the store" in message
    assert location not in message and location.split(":", 1)[1] not in message
    # HEAD reads no data, but answers as GET would.
    head = user1.request("HEAD", url(blob27["id"], "blob"))
    assert head.status_code == 404 and head.headers.get("Content-MD5") is None


def test_head_of_an_empty_blob_whose_data_is_missing_is_404(user1, glare_app):
    art = user1.create(SAMPLE, name="empty-missing")
    upload_ok(user1, art["id"], "blob", b"")
    assert user1.request("HEAD", url(art["id"], "blob")).status_code == 200
    record = glare_app.extensions["glare"].engine.context.data_apis[SAMPLE].get(art["id"])
    location = record["blob"]["location"]
    glare_app.extensions["glare"].stores.for_location(location).delete(location)
    assert user1.request("HEAD", url(art["id"], "blob")).status_code == 404
    assert_error(user1.get(url(art["id"], "blob")), 404)


def rewrite_stored_data(app: Any, artifact_id: str, data: bytes) -> str:
    """Replace behind Glare's back the bytes stored for the artifact's ``blob`` (the file
    rewritten in place and cut or grown, the database rows replaced); return its location."""
    record = app.extensions["glare"].engine.context.data_apis[SAMPLE].get(artifact_id)
    location = record["blob"]["location"]
    store = app.extensions["glare"].stores.for_location(location)
    if hasattr(store, "path_of"):
        with store.path_of(location).open("r+b") as file:
            file.write(data)
            file.truncate()
    else:
        store.delete(location)
        store.write(location, [data])
    return location


@pytest.mark.parametrize("data", [DATA27[:10], DATA27 + b"grown"], ids=["truncated", "grown"])
def test_data_of_another_size_than_recorded_is_not_sent(user1, glare_app, blob27, data,
                                                        caplog):
    """Data cut short or grown outside Glare was sent under the recorded Content-Length
    (the connection then cut, or the wrong bytes sent). Every download of it, ranges and
    HEAD included, is now a 404 error envelope like data missing from the store, and
    each logs an error naming the artifact, the field and the location."""
    location = rewrite_stored_data(glare_app, blob27["id"], data)
    requests = [{}, {"Range": "bytes=0-3"}, {"Range": "bytes=20-"}, {"Range": "bytes=27-"},
                {"If-Range": etag_of(DATA27), "Range": "bytes=1-2"}]
    with caplog.at_level(logging.ERROR, logger="glare_core.engine.downloads"):
        for headers in requests:
            response = user1.get(url(blob27["id"], "blob"), headers=headers)
            body = assert_error(response, 404, "NotFound")
            assert "damaged" in body["error"]["message"]
            assert location.split(":", 1)[1] not in response.get_data(as_text=True)
        head = user1.request("HEAD", url(blob27["id"], "blob"))
        assert head.status_code == 404 and head.mimetype == "application/json"
    logged = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(logged) == len(requests) + 1
    for message in logged:
        assert blob27["id"] in message and "field blob" in message and location in message
        assert f"holds {len(data)} bytes where 27 were recorded" in message


def test_an_empty_blob_whose_data_grew_is_not_sent(user1, glare_app):
    art = user1.create(SAMPLE, name="empty-grown")
    upload_ok(user1, art["id"], "blob", b"")
    rewrite_stored_data(glare_app, art["id"], b"junk")
    assert user1.request("HEAD", url(art["id"], "blob")).status_code == 404
    assert_error(user1.get(url(art["id"], "blob")), 404, "NotFound")


def test_download_from_missing_artifact_is_404(user1):
    """§31 #123."""
    assert_error(user1.get(url(MISSING_ID, "blob")), 404)


def test_download_from_unknown_type_is_404(user1):
    assert_error(user1.get(f"/artifacts/no_such_type/{MISSING_ID}/blob"), 404)


def test_download_saving_blob_is_409(user1, glare_app, blob27):
    """§31 #130: a blob in ``saving`` → 409 (also a folder key)."""
    data_api = glare_app.extensions["glare"].engine.context.data_apis[SAMPLE]
    saving = {"status": "saving", "external": False, "size": 10, "content_type": "x",
              "location": "file:none", "previous": None}
    data_api.set_blob(blob27["id"], "small_blob", None, dict(saving))
    data_api.set_blob(blob27["id"], "dict_of_blobs", "k", dict(saving))
    assert_error(user1.get(url(blob27["id"], "small_blob")), 409, "Conflict")
    assert_error(user1.get(url(blob27["id"], "dict_of_blobs/k")), 409, "Conflict")
    assert user1.get(url(blob27["id"], "blob")).status_code == 200


# ---- who may download (§7.9, §20, Q3, §31 #125, #133) ------------------------------------


def test_owner_and_admin_download_private(user1, admin, blob27):
    """§31 #125: admin downloads user1's private blob."""
    assert_full_download(user1.get(url(blob27["id"], "blob")), DATA27, "text/plain")
    assert_full_download(admin.get(url(blob27["id"], "blob")), DATA27, "text/plain")


def test_other_user_private_is_404(user2, blob27):
    """§31 #125."""
    assert_error(user2.get(url(blob27["id"], "blob")), 404)


def test_active_private_downloadable_by_owner_only(user1, user2, admin, blob27):
    activate(user1, blob27["id"])
    assert_full_download(user1.get(url(blob27["id"], "blob")), DATA27, "text/plain")
    assert_full_download(admin.get(url(blob27["id"], "blob")), DATA27, "text/plain")
    assert_error(user2.get(url(blob27["id"], "blob")), 404)


def test_public_artifact_downloadable_by_other_users(user1, user2, admin, blob27):
    """Q3 (adopted): other users may download blobs of public artifacts."""
    upload_ok(user1, blob27["id"], "dict_of_blobs/k", b"folder data")
    activate(user1, blob27["id"])
    publish(admin, blob27["id"])
    for client in (user1, user2, admin):
        assert_full_download(client.get(url(blob27["id"], "blob")), DATA27, "text/plain")
        response = client.get(url(blob27["id"], "dict_of_blobs/k"))
        assert_full_download(response, b"folder data", "application/octet-stream")


def test_deactivated_artifact_only_admin(user1, admin, blob27):
    """§31 #133: owner downloading from an admin-deactivated artifact → 403; admin → 200."""
    activate(user1, blob27["id"])
    deactivate(admin, blob27["id"])
    assert_error(user1.get(url(blob27["id"], "blob")), 403)
    assert_full_download(admin.get(url(blob27["id"], "blob")), DATA27, "text/plain")


def test_deactivated_public_artifact_only_admin(user1, user2, admin, blob27):
    """Q3: deactivated stays admin-only, also for a public artifact."""
    activate(user1, blob27["id"])
    publish(admin, blob27["id"])
    deactivate(admin, blob27["id"])
    assert_error(user1.get(url(blob27["id"], "blob")), 403)
    assert_error(user2.get(url(blob27["id"], "blob")), 403)
    assert_full_download(admin.get(url(blob27["id"], "blob")), DATA27, "text/plain")


def test_reactivated_artifact_downloadable_again(user1, admin, blob27):
    activate(user1, blob27["id"])
    deactivate(admin, blob27["id"])
    admin.update(SAMPLE, blob27["id"], replace_op("/status", "active"))
    assert_full_download(user1.get(url(blob27["id"], "blob")), DATA27, "text/plain")


class TestAnonymousDownload:
    @pytest.fixture
    def extra_settings(self):
        return {"GLARE_ALLOW_ANONYMOUS": True}

    def test_anonymous_public_and_private(self, user1, admin, anonymous, blob27):
        """Q3: anonymous callers download public blobs; private ones are invisible (404)."""
        private = user1.create(SAMPLE, name="private")
        upload_ok(user1, private["id"], "blob", b"secret")
        assert_error(anonymous.get(url(private["id"], "blob")), 404)
        activate(user1, blob27["id"])
        publish(admin, blob27["id"])
        assert_full_download(anonymous.get(url(blob27["id"], "blob")), DATA27, "text/plain")

    def test_anonymous_deactivated_public_is_403(self, user1, admin, anonymous, blob27):
        activate(user1, blob27["id"])
        publish(admin, blob27["id"])
        deactivate(admin, blob27["id"])
        assert_error(anonymous.get(url(blob27["id"], "blob")), 403)


class TestDeletedArtifactDownload:
    @pytest.fixture
    def extra_settings(self):
        return {"GLARE_DELAYED_DELETE": True}

    def test_deleted_private_is_403_for_everybody(self, user1, admin, blob27):
        """§7.9, §31 #133: a ``deleted`` (delayed delete) artifact → 403 for owner and admin."""
        assert user1.delete(url(blob27["id"])).status_code == 204
        assert user1.show(SAMPLE, blob27["id"])["status"] == "deleted"
        assert_error(user1.get(url(blob27["id"], "blob")), 403)
        assert_error(admin.get(url(blob27["id"], "blob")), 403)

    def test_deleted_public_is_403_for_everybody(self, user1, user2, admin, blob27):
        activate(user1, blob27["id"])
        publish(admin, blob27["id"])
        assert admin.delete(url(blob27["id"])).status_code == 204
        for client in (user1, user2, admin):
            assert_error(client.get(url(blob27["id"], "blob")), 403)

    def test_deleted_folder_entry_is_403(self, user1, admin):
        art = user1.create(SAMPLE, name="deleted-folder")
        upload_ok(user1, art["id"], "dict_of_blobs/k", b"data")
        assert user1.delete(url(art["id"])).status_code == 204
        assert_error(user1.get(url(art["id"], "dict_of_blobs/k")), 403)
        assert_error(admin.get(url(art["id"], "dict_of_blobs/k")), 403)


# ---- external and internal locations (§7.9, §31 #134, Q23) --------------------------------


def test_external_location_redirects(user1):
    """§31 #134: 301 to the URL, md5 as given, sha1/sha256 absent, empty JSON response."""
    art = user1.create(SAMPLE, name="ext")
    location = {"url": "https://example.com/some/file.bin", "md5": "a" * 32}
    response = user1.put(url(art["id"], "blob"), json_body=location, content_type=LOCATION)
    assert response.status_code == 200, response.get_data(as_text=True)
    response = user1.get(url(art["id"], "blob"))
    assert response.status_code == 301
    assert response.headers["Location"] == "https://example.com/some/file.bin"
    assert response.headers["Content-MD5"] == "a" * 32
    assert response.headers.get("X-Openstack-Glare-Content-SHA1") is None
    assert response.headers.get("X-Openstack-Glare-Content-SHA256") is None
    assert response.headers["Content-Length"] == "0"
    assert response.mimetype == "application/json"
    assert response.data == b""


@pytest.mark.parametrize(("given", "sent"), [
    ("http://example.com/Жук/é?q=ж", "http://example.com/%D0%96%D1%83%D0%BA/%C3%A9?q=%D0%B6"),
    ("http://bücher.example/x%20y", "http://xn--bcher-kva.example/x%20y"),
])
def test_external_location_with_an_iri_redirects_to_its_uri(user1, given, sent):
    """The URL is kept as given; the Location header (ASCII, as HTTP wants) carries it
    percent-encoded, with an IDNA host (werkzeug encodes Location headers)."""
    art = user1.create(SAMPLE, name="iri")
    location = {"url": given, "md5": "a" * 32}
    response = user1.put(url(art["id"], "blob"), json_body=location, content_type=LOCATION)
    assert response.get_json()["blob"]["url"] == given
    response = user1.get(url(art["id"], "blob"))
    assert response.status_code == 301
    assert response.headers["Location"] == sent


def test_external_location_in_folder_redirects_with_all_checksums(user1):
    art = user1.create(SAMPLE, name="ext-folder")
    location = {"url": "http://example.com/f", "md5": "1" * 32, "sha1": "2" * 40,
                "sha256": "3" * 64}
    response = user1.put(url(art["id"], "dict_of_blobs/e"), json_body=location,
                         content_type=LOCATION)
    assert response.status_code == 200, response.get_data(as_text=True)
    response = user1.get(url(art["id"], "dict_of_blobs/e"))
    assert response.status_code == 301
    assert response.headers["Location"] == "http://example.com/f"
    assert response.headers["Content-MD5"] == "1" * 32
    assert response.headers["X-Openstack-Glare-Content-SHA1"] == "2" * 40
    assert response.headers["X-Openstack-Glare-Content-SHA256"] == "3" * 64
    assert response.headers["Content-Length"] == "0"


def test_internal_location_served_as_octet_stream(user1, admin, glare_app, monkeypatch):
    """Q23: an internal location has a null content type and unknown size: served as
    application/octet-stream, without Content-Length (and without byte ranges)."""
    art = user1.create(SAMPLE, name="internal")
    location = {"url": "https://store.example.com/objects/1", "location_type": "internal",
                "md5": "c" * 32}
    response = admin.put(url(art["id"], "blob"), json_body=location, content_type=LOCATION)
    assert response.status_code == 200, response.get_data(as_text=True)
    reads = []

    def fake_read(location, *, offset=0, length=None):
        reads.append((location, offset, length))
        return iter([b"internal ", b"data"])

    https_store = glare_app.extensions["glare"].stores.by_scheme["https"]
    monkeypatch.setattr(https_store, "read", fake_read)
    response = user1.get(url(art["id"], "blob"), headers={"Range": "bytes=0-3"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.data == b"internal data"
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert "Content-Length" not in response.headers
    assert "Content-Range" not in response.headers
    assert "Accept-Ranges" not in response.headers
    assert response.headers["Content-MD5"] == "c" * 32
    assert reads == [("https://store.example.com/objects/1", 0, None)]


# ---- HEAD, ETag and conditional requests (extensions) -------------------------------------


def test_head_has_get_headers_and_no_body(user1, blob27):
    get = user1.get(url(blob27["id"], "blob"))
    head = user1.request("HEAD", url(blob27["id"], "blob"))
    assert head.status_code == 200
    assert head.data == b""
    for name in ("Content-Type", "Content-Length", "Content-MD5",
                 "X-Openstack-Glare-Content-SHA1", "X-Openstack-Glare-Content-SHA256",
                 "ETag", "Accept-Ranges", "Content-Disposition"):
        assert head.headers.get(name) == get.headers.get(name), name
    assert head.headers["Content-Length"] == "27"


def test_head_folder_entry(user1):
    art = user1.create(SAMPLE, name="head-folder")
    upload_ok(user1, art["id"], "dict_of_blobs/a/b", b"12345", "text/x")
    head = user1.request("HEAD", url(art["id"], "dict_of_blobs/a/b"))
    assert head.status_code == 200
    assert head.data == b""
    assert head.headers["Content-Length"] == "5"
    assert head.headers["ETag"] == etag_of(b"12345")


def test_head_follows_download_rules(user1, user2, blob27):
    assert user2.request("HEAD", url(blob27["id"], "blob")).status_code == 404
    assert user1.request("HEAD", url(blob27["id"], "small_blob")).status_code == 404
    assert user1.request("HEAD", url(blob27["id"], "int1")).status_code == 400


@pytest.mark.parametrize("if_none_match", [
    "{etag}",
    '"unrelated", {etag}',
    "*",
    "W/{etag}",  # If-None-Match uses the weak comparison (RFC 9110 §13.1.2)
])
def test_if_none_match_304(user1, blob27, if_none_match):
    etag = etag_of(DATA27)
    response = user1.get(url(blob27["id"], "blob"),
                         headers={"If-None-Match": if_none_match.format(etag=etag)})
    assert response.status_code == 304
    assert response.data == b""
    assert response.headers["ETag"] == etag


@pytest.mark.parametrize("if_none_match", ['"unrelated"', '"' + "0" * 64 + '"'])
def test_if_none_match_other_tag_200(user1, blob27, if_none_match):
    response = user1.get(url(blob27["id"], "blob"), headers={"If-None-Match": if_none_match})
    assert_full_download(response, DATA27, "text/plain")


def test_etag_changes_with_reupload(user1, blob27):
    old = etag_of(DATA27)
    upload_ok(user1, blob27["id"], "blob", b"new content", "text/plain")
    response = user1.get(url(blob27["id"], "blob"), headers={"If-None-Match": old})
    assert_full_download(response, b"new content", "text/plain")


@pytest.mark.parametrize("if_match", ["{etag}", '"unrelated", {etag}', "*"])
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_if_match_of_the_blob_sends_it(user1, blob27, if_match, method):
    etag = etag_of(DATA27)
    response = user1.request(method, url(blob27["id"], "blob"),
                             headers={"If-Match": if_match.format(etag=etag)})
    assert response.status_code == 200
    assert response.headers["ETag"] == etag
    if method == "GET":
        assert_full_download(response, DATA27, "text/plain")


@pytest.mark.parametrize("if_match", ['"unrelated"', "W/{etag}"])  # strong comparison
@pytest.mark.parametrize("extra", [{}, {"Range": "bytes=5-"}])
def test_if_match_of_another_blob_is_412(user1, blob27, if_match, extra):
    """RFC 9110 §13.1.1: a client resuming a download with If-Match and Range never gets
    the bytes of a blob that replaced the one it started with."""
    headers = {"If-Match": if_match.format(etag=etag_of(DATA27)), **extra}
    assert_envelope(user1.get(url(blob27["id"], "blob"), headers=headers), 412,
                    "PreconditionFailed")


def test_if_match_after_a_reupload_is_412(user1, blob27):
    old = etag_of(DATA27)
    upload_ok(user1, blob27["id"], "blob", b"new content", "text/plain")
    response = user1.get(url(blob27["id"], "blob"),
                         headers={"If-Match": old, "Range": "bytes=3-"})
    assert_envelope(response, 412, "PreconditionFailed")


def test_if_none_match_does_not_bypass_access_rules(user2, blob27):
    response = user2.get(url(blob27["id"], "blob"),
                         headers={"If-None-Match": etag_of(DATA27)})
    assert_error(response, 404)


# ---- byte ranges (extension) --------------------------------------------------------------


@pytest.mark.parametrize(("range_header", "start", "stop"), [
    ("bytes=0-3", 0, 4),
    ("bytes=0-0", 0, 1),
    ("bytes=5-", 5, 27),
    ("bytes=26-26", 26, 27),
    ("bytes=-5", 22, 27),
    ("bytes=-27", 0, 27),
    ("bytes=-100", 0, 27),  # a suffix longer than the blob is the whole blob
    ("bytes=20-100", 20, 27),  # an end past the blob is clamped
    ("bytes=0-26", 0, 27),
    ("bytes=3-" + "9" * 5000, 3, 27),  # an end of 5000 digits: clamped, not a crash
    ("bytes=-" + "9" * 5000, 0, 27),
    ("bytes=" + "0" * 5000 + "2-" + "0" * 4000 + "4", 2, 5),  # leading zeros
])
def test_single_range_206(user1, blob27, range_header, start, stop):
    response = user1.get(url(blob27["id"], "blob"), headers={"Range": range_header})
    assert response.status_code == 206, response.get_data(as_text=True)
    assert response.data == DATA27[start:stop]
    assert response.headers["Content-Range"] == f"bytes {start}-{stop - 1}/27"
    assert response.headers["Content-Length"] == str(stop - start)
    assert response.headers["Content-Type"] == "text/plain"
    assert response.headers["ETag"] == etag_of(DATA27)
    assert response.headers["Accept-Ranges"] == "bytes"
    # The blob's checksum headers describe the whole blob; Content-MD5 is the digest of
    # the body sent, so a part that is not the whole blob has none.
    assert response.headers["X-Openstack-Glare-Content-SHA256"] == digests(DATA27)["sha256"]
    if stop - start == 27:
        assert response.headers["Content-MD5"] == digests(DATA27)["md5"]
    else:
        assert "Content-MD5" not in response.headers


@pytest.mark.parametrize("range_header", ["bytes=27-", "bytes=100-200", "bytes=27-30",
                                          "bytes=" + "9" * 5000 + "-"])
def test_unsatisfiable_range_416(user1, blob27, range_header):
    response = user1.get(url(blob27["id"], "blob"), headers={"Range": range_header})
    assert_error(response, 416, "RequestRangeNotSatisfiable")
    assert response.headers["Content-Range"] == "bytes */27"


def test_any_range_of_empty_blob_is_416(user1):
    art = user1.create(SAMPLE, name="empty-range")
    upload_ok(user1, art["id"], "blob", b"")
    response = user1.get(url(art["id"], "blob"), headers={"Range": "bytes=0-"})
    assert_error(response, 416)
    assert response.headers["Content-Range"] == "bytes */0"


@pytest.mark.parametrize("range_header", [
    "bytes=0-1,5-6",  # several ranges → the whole blob
    "bytes=0-3, 10-12, 20-",
    "items=0-3",  # unknown unit → ignored
    "bytes=abc",  # malformed → ignored
    "bytes=5-2",  # last < first: invalid → ignored
    "bytes=" + "9" * 5000 + "-2",
    "bytes=\u00b2-3",  # digits of other scripts are no HTTP digits
    "bytes=-\u00b3",
    "bytes=-",
    "bytes=1-2-3",
])
def test_range_ignored_whole_blob(user1, blob27, range_header):
    response = user1.get(url(blob27["id"], "blob"), headers={"Range": range_header})
    assert_full_download(response, DATA27, "text/plain")


def test_if_range_matching_etag_206(user1, blob27):
    response = user1.get(url(blob27["id"], "blob"),
                         headers={"Range": "bytes=2-4", "If-Range": etag_of(DATA27)})
    assert response.status_code == 206
    assert response.data == DATA27[2:5]
    assert response.headers["Content-Range"] == "bytes 2-4/27"


@pytest.mark.parametrize("if_range", ['"stale"', '"' + "f" * 64 + '"',
                                      "Wed, 21 Oct 2015 07:28:00 GMT"])
def test_if_range_not_matching_whole_blob(user1, blob27, if_range):
    response = user1.get(url(blob27["id"], "blob"),
                         headers={"Range": "bytes=2-4", "If-Range": if_range})
    assert_full_download(response, DATA27, "text/plain")


def test_range_on_folder_entry(user1):
    art = user1.create(SAMPLE, name="range-folder")
    upload_ok(user1, art["id"], "dict_of_blobs/k", DATA27, "text/plain")
    response = user1.get(url(art["id"], "dict_of_blobs/k"), headers={"Range": "bytes=-3"})
    assert response.status_code == 206
    assert response.data == b"opq"
    assert response.headers["Content-Range"] == "bytes 24-26/27"


def test_range_across_store_chunks(user1):
    """A range spanning the 1 MiB chunk/row boundary of the stores is served exactly."""
    art = user1.create(SAMPLE, name="range-large")
    data = bytes(range(251)) * 12000  # 3,012,000 bytes: not a multiple of the row size
    upload_ok(user1, art["id"], "blob", data)
    mib = 1024 * 1024
    for start, stop in ((mib - 10, mib + 10), (mib - 1, 2 * mib + 1), (2 * mib, len(data))):
        response = user1.get(url(art["id"], "blob"),
                             headers={"Range": f"bytes={start}-{stop - 1}"})
        assert response.status_code == 206
        assert response.data == data[start:stop]
        assert response.headers["Content-Range"] == f"bytes {start}-{stop - 1}/{len(data)}"
        assert response.headers["Content-Length"] == str(stop - start)


def test_head_with_range(user1, blob27):
    response = user1.request("HEAD", url(blob27["id"], "blob"), headers={"Range": "bytes=0-9"})
    assert response.status_code == 206
    assert response.data == b""
    assert response.headers["Content-Range"] == "bytes 0-9/27"
    assert response.headers["Content-Length"] == "10"


def test_range_does_not_bypass_access_rules(user2, blob27):
    response = user2.get(url(blob27["id"], "blob"), headers={"Range": "bytes=0-1"})
    assert_error(response, 404)


# ---- download hooks (§22, §31 #157) ---------------------------------------------------------


class DownloadHooks:
    """A throwaway plugin: records download hooks; may refuse or transform downloads."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str | None]] = []
        self.refuse: Exception | None = None
        self.transform = False
        self.fail = False

    @hookimpl
    def glare_blob_pre_download(self, artifact_type, artifact, field_name, blob_key, context):
        self.calls.append(("pre_download", field_name, blob_key))
        if self.refuse is not None:
            raise self.refuse

    @hookimpl
    def glare_blob_post_download(self, artifact_type, artifact, field_name, blob_key, data,
                                 context):
        self.calls.append(("post_download", field_name, blob_key))
        if self.transform:
            return (chunk.upper() for chunk in data)
        if self.fail:
            raise ValueError("cannot read this")
        return None


class TestDownloadHooks:
    @pytest.fixture
    def hooks(self) -> DownloadHooks:
        return DownloadHooks()

    @pytest.fixture
    def glare_plugins(self, hooks):
        return [glare_sample_artifact, hooks]

    def test_pre_then_post_download(self, user1, hooks):
        """§31 #157: pre_download before post_download, with field and key."""
        art = user1.create(SAMPLE, name="hooks")
        upload_ok(user1, art["id"], "blob", b"data")
        upload_ok(user1, art["id"], "dict_of_blobs/x/y", b"data")
        assert user1.get(url(art["id"], "blob")).status_code == 200
        assert user1.get(url(art["id"], "dict_of_blobs/x/y")).status_code == 200
        assert hooks.calls == [
            ("pre_download", "blob", None), ("post_download", "blob", None),
            ("pre_download", "dict_of_blobs", "x/y"), ("post_download", "dict_of_blobs", "x/y"),
        ]

    def test_external_location_skips_post_download(self, user1, hooks):
        art = user1.create(SAMPLE, name="hooks-ext")
        response = user1.put(url(art["id"], "blob"), content_type=LOCATION,
                             json_body={"url": "http://example.com/a", "md5": "0" * 32})
        assert response.status_code == 200
        assert user1.get(url(art["id"], "blob")).status_code == 301
        assert hooks.calls == [("pre_download", "blob", None)]

    def test_post_download_may_transform_data(self, user1, hooks):
        """§22: post_download wraps the data iterator."""
        art = user1.create(SAMPLE, name="hooks-transform")
        upload_ok(user1, art["id"], "blob", b"lower case")
        hooks.transform = True
        response = user1.get(url(art["id"], "blob"))
        assert response.status_code == 200
        assert response.data == b"LOWER CASE"

    def test_pre_download_glare_error_keeps_status(self, user1, hooks):
        art = user1.create(SAMPLE, name="hooks-refuse")
        upload_ok(user1, art["id"], "blob", b"data")
        hooks.refuse = Forbidden("not today")
        assert_error(user1.get(url(art["id"], "blob")), 403)

    def test_post_download_plain_exception_is_400(self, user1, hooks):
        """§22: non-Glare exceptions from post_download → 400."""
        art = user1.create(SAMPLE, name="hooks-broken")
        upload_ok(user1, art["id"], "blob", b"data")
        hooks.fail = True
        response = user1.get(url(art["id"], "blob"))
        assert_error(response, 400)


# ---- downloads in progress while the data is replaced or deleted ------------------------

BIG = 3 * 1024 * 1024 + 5  # four rows of the database store, four file chunks


def start_download(client: Any, artifact_id: str) -> tuple[Any, Any, bytes]:
    """A download whose first chunk has been read: (response, chunk iterator, chunk)."""
    response = client.get(url(artifact_id, "blob"), buffered=False)
    assert response.status_code == 200
    chunks = iter(response.response)
    return response, chunks, next(chunks)


def garbage(app: Any) -> list:
    return app.extensions["glare"].engine.janitor.garbage.pending()


@pytest.mark.parametrize("change", ["reupload", "delete"])
def test_a_download_in_progress_gets_all_of_the_old_data(user1, glare_app, store_name, change):
    """Replacing or deleting a blob while it is downloaded does not cut the download
    short: the database store reads row by row (like a Swift large object, segment by
    segment), so its data is deleted when the download ends, not before."""
    data = os.urandom(BIG)
    art = user1.create(SAMPLE, name="read-while-replaced")
    upload_ok(user1, art["id"], "blob", data)
    (old,) = stored(glare_app)
    response, chunks, first = start_download(user1, art["id"])
    if change == "reupload":
        upload_ok(user1, art["id"], "blob", b"new data")
    else:
        assert user1.delete(url(art["id"])).status_code == 204
    rest = b"".join(chunks)
    response.close()
    assert first + rest == data
    assert old not in stored(glare_app)  # deleted by the download's end
    assert len(stored(glare_app)) == (1 if change == "reupload" else 0)
    assert garbage(glare_app) == []


def test_the_scrubber_leaves_data_a_download_still_reads(user1, glare_app, store_name):
    blobs = glare_app.extensions["glare"].engine
    data = os.urandom(BIG)
    art = user1.create(SAMPLE, name="scrub-while-read")
    upload_ok(user1, art["id"], "blob", data)
    (old,) = stored(glare_app)
    response, chunks, first = start_download(user1, art["id"])
    upload_ok(user1, art["id"], "blob", b"new data")
    blobs.janitor.collect_garbage()  # what glare-manage scrub does with the queue
    assert first + b"".join(chunks) == data
    response.close()
    assert old not in stored(glare_app)
    assert garbage(glare_app) == []


def test_a_download_that_starts_as_the_blob_is_replaced_is_409(user1, glare_app, monkeypatch):
    """Between reading the record and taking its lease the blob may be replaced (and its
    data deleted): the download then stops with a 409 before sending anything."""
    blobs = glare_app.extensions["glare"].engine
    art = user1.create(SAMPLE, name="replaced-at-start")
    upload_ok(user1, art["id"], "blob", b"old data")
    readers = blobs.janitor.readers
    take = readers.take

    def replaced_meanwhile(location: str) -> int:
        lease = take(location)
        record = blobs.context.data_apis[SAMPLE].get(art["id"])
        blobs.context.data_apis[SAMPLE].set_blob(
            art["id"], "blob", None, {**record["blob"], "location": location + "-new"})
        return lease

    monkeypatch.setattr(readers, "take", replaced_meanwhile)
    store = blobs.janitor.stores.for_location(
        blobs.context.data_apis[SAMPLE].get(art["id"])["blob"]["location"])
    response = user1.get(url(art["id"], "blob"))
    if store.readers_survive_delete:  # open files outlive deletion: no lease is taken
        assert response.status_code == 200
    else:
        assert_envelope(response, 409, "Conflict")
        assert not readers.held(location_of(glare_app, art["id"]).removesuffix("-new"))


def location_of(app: Any, artifact_id: str) -> str:
    record = app.extensions["glare"].engine.context.data_apis[SAMPLE].get(artifact_id)
    return record["blob"]["location"]


def test_the_scrubber_forgets_the_leases_of_downloads_whose_server_died(glare_app):
    import sqlalchemy as sa

    from glare_core.data.sql.reader_leases import ReaderLeases
    from glare_core.data.sql.tables import blob_readers

    blobs = glare_app.extensions["glare"].engine
    ReaderLeases(blobs.janitor.readers.db, ttl=-1).take("database:gone")  # never renewed
    live = blobs.janitor.readers.take("database:read")
    assert not blobs.janitor.readers.held("database:gone")
    blobs.janitor.collect_garbage()  # what glare-manage scrub does
    with blobs.janitor.readers.db.read() as conn:
        rows = conn.execute(sa.select(blob_readers.c.id)).scalars().all()
    assert rows == [live]
