"""Blob and folder upload through the API (contract §7.7, §9.6, §10.2, §16, §22, §28, Q8, Q9,
Q14, Q26, Q28; §31 items 115, 117-122, 130-132, 148, 157).

Every test runs twice: once with the ``file`` store (the default) and once with the
``database`` store (§31 #148: every blob test behaves identically). After each upload the
store itself is inspected: successful uploads leave exactly their data, failed ones leave
nothing new and the previous blob untouched.
"""

from __future__ import annotations

import io
import time
from typing import Any

import glare_sample_artifact
import jsonschema
import pytest

from glare_core.auth.context import RequestContext
from glare_core.blobs.base import BlobWriteError
from glare_core.errors import Conflict, Forbidden, RequestTooLarge
from glare_core.plugin import hookimpl
from glare_core.testing import replace_op
from tests.api.helpers import (
    ACTIVATE,
    DATA27,
    LOCATION,
    activate,
    assert_error,
    digests,
    publish,
    set_saving,
    stored,
    upload_ok,
    url,
)
from tests.conftest import SAMPLE, SAMPLE_URL

# Every test runs once per store (§31 #148); see store_name in tests/api/conftest.py.
pytestmark = pytest.mark.usefixtures("store_name")


# ---- helpers ----------------------------------------------------------------------------


def uploaded_blob(artifact_id: str, path: str, data: bytes, content_type: str) -> dict:
    """The §9.6/§10.2 output of an uploaded blob (exact: no ``id`` or ``location`` key)."""
    return {
        "url": f"{SAMPLE_URL}/{artifact_id}/{path}",
        "size": len(data),
        **digests(data),
        "external": False,
        "status": "active",
        "content_type": content_type,
    }


def stored_in(app: Any, store_name: str) -> set[str]:
    return {blob_id for name, blob_id in stored(app) if name == store_name}


def data_id(app: Any, artifact_id: str, field: str, key: str | None = None) -> str:
    """The store id of a blob's data, read from the record (never shown by the API)."""
    record = app.extensions["glare"].engine.context.data_apis[SAMPLE].get(artifact_id)
    blob = record[field] if key is None else record[field][key]
    location = blob["location"]
    return location.rsplit("/", 1)[-1]


def put_data(client: Any, artifact_id: str, path: str, data: bytes,
             content_type: str = "application/octet-stream", **kwargs: Any) -> Any:
    return client.put(url(artifact_id, path), data=data, content_type=content_type, **kwargs)


def download(client: Any, artifact_id: str, path: str) -> bytes:
    response = client.get(url(artifact_id, path))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.data


class TrackingStream(io.BytesIO):
    """A request body that records whether the server read from it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.reads = 0

    def read(self, *args: Any) -> bytes:
        self.reads += 1
        return super().read(*args)


def put_unread(client: Any, artifact_id: str, path: str, body: TrackingStream,
               content_length: int) -> Any:
    return client.put(url(artifact_id, path), input_stream=body,
                      content_type="application/octet-stream",
                      headers={"Content-Length": str(content_length)})


def put_streamed(client: Any, artifact_id: str, path: str, data: bytes, *,
                 content_length: int | None = None) -> Any:
    """Send ``data`` as a body whose length the server only learns by reading it (chunked
    transfer, or a Content-Length that understates the body), as a WSGI server that
    terminates the input stream itself presents it."""
    environ: dict[str, Any] = {"wsgi.input_terminated": True}
    headers = {}
    if content_length is None:
        headers["Transfer-Encoding"] = "chunked"
    else:
        environ["CONTENT_LENGTH"] = str(content_length)
    return client.put(url(artifact_id, path), input_stream=io.BytesIO(data),
                      content_type="application/octet-stream", headers=headers,
                      environ_overrides=environ)


# ---- upload of a blob field (§7.7, §31 #120, #124) ----------------------------------------


def test_upload_returns_artifact_with_blob(user1, glare_app, store_name):
    """§31 #120, #124: 200 with the full artifact; the blob JSON carries the hex digests."""
    art = user1.create(SAMPLE, name="up")
    response = put_data(user1, art["id"], "blob", DATA27, "application/x-test")
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["blob"] == uploaded_blob(art["id"], "blob", DATA27, "application/x-test")
    assert "id" not in body["blob"] and "location" not in body["blob"]
    assert body["id"] == art["id"]
    assert body["status"] == "drafted"
    assert body["small_blob"] is None
    assert body["dict_of_blobs"] == {}
    assert user1.show(SAMPLE, art["id"])["blob"] == body["blob"]
    # §16: the data went to the configured store, keyed by a fresh id.
    other = "database" if store_name == "file" else "file"
    assert stored_in(glare_app, store_name) == {data_id(glare_app, art["id"], "blob")}
    assert stored_in(glare_app, other) == set()
    assert download(user1, art["id"], "blob") == DATA27


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("text/plain; charset=utf-8", "text/plain"),
        ("application/json;charset=UTF-8", "application/json"),
        ("application/x-tar", "application/x-tar"),
        ("image/png ; foo=bar", "image/png"),
    ],
)
def test_content_type_is_stored_without_parameters(user1, sent, kept):
    """§7.7: the request Content-Type is the blob's content_type, parameters stripped."""
    art = user1.create(SAMPLE, name="ct")
    body = upload_ok(user1, art["id"], "blob", b"abc", sent)
    assert body["blob"]["content_type"] == kept
    response = user1.get(url(art["id"], "blob"))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == kept


def test_empty_upload(user1, glare_app):
    """A zero-byte blob is a valid blob with the digests of empty data."""
    art = user1.create(SAMPLE, name="empty")
    body = upload_ok(user1, art["id"], "blob", b"")
    assert body["blob"] == uploaded_blob(art["id"], "blob", b"", "application/octet-stream")
    assert download(user1, art["id"], "blob") == b""


def test_chunked_upload_without_content_length(user1, glare_app, store_name):
    """§7.7: Content-Length is optional (chunked transfer); size and digests are computed."""
    art = user1.create(SAMPLE, name="chunked")
    data = bytes(range(256)) * 40
    response = put_streamed(user1, art["id"], "blob", data)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["blob"] == uploaded_blob(art["id"], "blob", data,
                                                        "application/octet-stream")
    assert download(user1, art["id"], "blob") == data
    assert len(stored_in(glare_app, store_name)) == 1


def test_chunked_framing_overrides_a_content_length(user1, glare_app):
    """RFC 9112 §6.3: with Transfer-Encoding chunked a Content-Length is ignored (gunicorn
    refuses such a request; other WSGI servers may pass it on): the body is what the
    chunks hold, not a body of the announced length."""
    art = user1.create(SAMPLE, name="chunked-and-length")
    data = b"c" * 1500
    response = user1.put(url(art["id"], "blob"), input_stream=io.BytesIO(data),
                         content_type="application/octet-stream",
                         headers={"Transfer-Encoding": "chunked"},
                         environ_overrides={"wsgi.input_terminated": True,
                                            "CONTENT_LENGTH": "10"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["blob"]["size"] == 1500
    assert download(user1, art["id"], "blob") == data


def test_artifact_revision_changes_after_upload(user1):
    """An upload changes the artifact: new ETag and a later updated_at."""
    art = user1.create(SAMPLE, name="rev")
    before = user1.get(url(art["id"]))
    time.sleep(1.1)  # updated_at has second precision
    response = put_data(user1, art["id"], "blob", b"data")
    assert response.status_code == 200
    after = user1.get(url(art["id"]))
    assert after.headers["ETag"] != before.headers["ETag"]
    assert response.headers["ETag"] == after.headers["ETag"]
    assert after.get_json()["updated_at"] > before.get_json()["updated_at"]
    assert after.get_json()["created_at"] == before.get_json()["created_at"]


def test_blob_output_matches_type_schema(user1):
    """§19 + Q14: uploaded blobs and folder entries validate against the type's schema, whose
    blob properties include ``url``."""
    art = user1.create(SAMPLE, name="schema")
    upload_ok(user1, art["id"], "blob", b"abc")
    body = upload_ok(user1, art["id"], "dict_of_blobs/k", b"abc")
    schema = user1.get(f"/schemas/{SAMPLE}").get_json()["schemas"][SAMPLE]
    blob_schema = schema["properties"]["blob"]
    assert blob_schema["properties"]["url"] == {"type": ["string", "null"]}
    assert blob_schema["additionalProperties"] is False
    folder_schema = schema["properties"]["dict_of_blobs"]
    assert folder_schema["additionalProperties"]["properties"]["url"] == {
        "type": ["string", "null"]
    }
    jsonschema.Draft4Validator(blob_schema).validate(body["blob"])
    jsonschema.Draft4Validator(folder_schema).validate(body["dict_of_blobs"])


# ---- re-upload (§31 #121, Q8) ---------------------------------------------------------


def test_reupload_blob_replaces_data_and_deletes_old(user1, glare_app, store_name):
    """§31 #121 + Q8: re-upload → 200, new size/digests; the old data leaves the store."""
    art = user1.create(SAMPLE, name="re")
    upload_ok(user1, art["id"], "blob", b"first version", "text/plain")
    old = data_id(glare_app, art["id"], "blob")
    assert stored_in(glare_app, store_name) == {old}
    body = upload_ok(user1, art["id"], "blob", b"second", "application/x-two")
    assert body["blob"] == uploaded_blob(art["id"], "blob", b"second", "application/x-two")
    new = data_id(glare_app, art["id"], "blob")
    assert new != old
    assert stored_in(glare_app, store_name) == {new}
    assert download(user1, art["id"], "blob") == b"second"


def test_reupload_folder_key_replaces_data_and_deletes_old(user1, glare_app, store_name):
    """§31 #121 + Q8 for a folder key; other keys are untouched."""
    art = user1.create(SAMPLE, name="re-folder")
    upload_ok(user1, art["id"], "dict_of_blobs/a", b"aaaa")
    upload_ok(user1, art["id"], "dict_of_blobs/b", b"bbbb")
    old_a = data_id(glare_app, art["id"], "dict_of_blobs", "a")
    keep_b = data_id(glare_app, art["id"], "dict_of_blobs", "b")
    body = upload_ok(user1, art["id"], "dict_of_blobs/a", b"AAAAAAAA", "text/x-new")
    assert body["dict_of_blobs"]["a"] == uploaded_blob(art["id"], "dict_of_blobs/a",
                                                       b"AAAAAAAA", "text/x-new")
    assert body["dict_of_blobs"]["b"] == uploaded_blob(art["id"], "dict_of_blobs/b", b"bbbb",
                                                       "application/octet-stream")
    new_a = data_id(glare_app, art["id"], "dict_of_blobs", "a")
    assert new_a != old_a
    assert stored_in(glare_app, store_name) == {new_a, keep_b}
    assert download(user1, art["id"], "dict_of_blobs/a") == b"AAAAAAAA"
    assert download(user1, art["id"], "dict_of_blobs/b") == b"bbbb"


# ---- folders (§9.6, §31 #115, #117, Q26) -----------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "k" * 900,  # §31 #115
        "x" * 1000,  # the sample folder allows keys up to 1000 characters (§28)
        "a",
        "dir/sub/file.txt",  # keys may contain '/' (§6, §9.6)
        "folder1/folder2/",
        "name.with.dots-and_underscores",
    ],
)
def test_folder_key_upload_and_url(user1, glare_app, store_name, key):
    """§31 #115: upload to a folder key, the entry's url is the Glare path, data round-trips."""
    art = user1.create(SAMPLE, name="folder")
    data = b"data" * 100
    body = upload_ok(user1, art["id"], f"dict_of_blobs/{key}", data, "text/plain")
    assert body["dict_of_blobs"] == {
        key: uploaded_blob(art["id"], f"dict_of_blobs/{key}", data, "text/plain")
    }
    assert download(user1, art["id"], f"dict_of_blobs/{key}") == data
    assert stored_in(glare_app, store_name) == {
        data_id(glare_app, art["id"], "dict_of_blobs", key)
    }


def test_folder_with_several_keys(user1, glare_app, store_name):
    art = user1.create(SAMPLE, name="many")
    contents = {"a.txt": b"A", "b/c.txt": b"BC", "b/d/e.txt": b"BDE"}
    for key, data in contents.items():
        upload_ok(user1, art["id"], f"dict_of_blobs/{key}", data)
    folder = user1.show(SAMPLE, art["id"])["dict_of_blobs"]
    assert folder == {
        key: uploaded_blob(art["id"], f"dict_of_blobs/{key}", data, "application/octet-stream")
        for key, data in contents.items()
    }
    for key, data in contents.items():
        assert download(user1, art["id"], f"dict_of_blobs/{key}") == data
    assert len(stored_in(glare_app, store_name)) == 3


@pytest.mark.parametrize("key", ["a%0Ab", "trailing%0A", "%0A"])
def test_folder_key_with_a_line_feed_is_a_key_like_any_other(user1, glare_app, store_name, key):
    """A line feed in a key reaches the folder (it used to miss the blob route and get
    the catch-all 404, while CR, TAB and other control characters were stored)."""
    art = user1.create(SAMPLE, name="lf-key")
    upload_ok(user1, art["id"], f"dict_of_blobs/{key}", b"lf")
    real_key = key.replace("%0A", "\n")
    assert list(user1.show(SAMPLE, art["id"])["dict_of_blobs"]) == [real_key]
    assert download(user1, art["id"], f"dict_of_blobs/{key}") == b"lf"
    response = user1.delete(url(art["id"], f"dict_of_blobs/{key}"))
    assert_error(response, 403)  # uploaded data is not a location (Q10): the route matched


@pytest.mark.parametrize("field", ["blob%0A", "%0Ablob", "bl%0Aob"])
def test_field_name_with_a_line_feed_is_400(user1, glare_app, field):
    art = user1.create(SAMPLE, name="lf-field")
    assert_error(put_data(user1, art["id"], field, b"data"), 400)
    assert_error(user1.get(url(art["id"], field)), 400)
    assert stored(glare_app) == set()


def test_a_trailing_slash_after_a_folder_names_no_entry(user1, glare_app):
    """§6: an empty key (``dict_of_blobs/``) is no key, and a folder needs one (400)."""
    art = user1.create(SAMPLE, name="trailing-slash")
    assert_error(put_data(user1, art["id"], "dict_of_blobs/", b"data"), 400)
    shown = user1.show(SAMPLE, art["id"])
    assert shown["blob"] is None and shown["dict_of_blobs"] == {}
    assert stored(glare_app) == set()


def test_a_trailing_slash_after_a_blob_is_the_blob(user1):
    """§6: ``/{blob}/`` is treated as "no key", i.e. as ``/{blob}``."""
    art = user1.create(SAMPLE, name="trailing-slash-blob")
    uploaded = put_data(user1, art["id"], "blob/", b"data")
    assert uploaded.status_code == 200, uploaded.get_data(as_text=True)
    assert uploaded.get_json()["blob"]["size"] == 4
    assert user1.get(url(art["id"], "blob/")).get_data() == b"data"
    assert user1.get(url(art["id"], "blob")).get_data() == b"data"
    # uploaded data cannot be deleted (§7.10), whichever way the blob is named
    assert_error(user1.delete(url(art["id"], "blob/")), 403)


@pytest.mark.parametrize("method", ["put", "get", "delete"])
def test_double_slash_before_the_blob_path_names_an_empty_field(user1, glare_app, method):
    """§6: everything after ``/{id}/`` is the blob path, so ``//blob`` names the field ''
    → 400, never werkzeug's 308 redirect to the merged path (an HTML page, with the
    Location taken from the client's Host header, that clients follow, re-sending the
    upload into ``blob``)."""
    art = user1.create(SAMPLE, name="double-slash")
    kwargs = {"data": b"data", "content_type": "text/plain"} if method == "put" else {}
    response = getattr(user1, method)(url(art["id"], "/blob"), **kwargs)
    assert_error(response, 400)
    assert "Location" not in response.headers
    assert user1.show(SAMPLE, art["id"])["blob"] is None
    assert stored(glare_app) == set()


def test_folder_key_longer_than_allowed_is_400_before_storing(user1, glare_app):
    """Q26: a key over the folder's limit (1000 for the sample type) → 400, nothing stored."""
    art = user1.create(SAMPLE, name="long-key")
    response = put_data(user1, art["id"], "dict_of_blobs/" + "k" * 1001, b"data")
    assert_error(response, 400)
    assert user1.show(SAMPLE, art["id"])["dict_of_blobs"] == {}
    assert stored(glare_app) == set()


@pytest.mark.parametrize("key", ["emoji\U0001F600", "a%F0%9F%98%80b", "nul\x00key", "a%00b"])
def test_folder_key_that_cannot_be_stored_is_400_before_storing(user1, glare_app, key):
    """§2: a key with a character outside the BMP → 400, like any dict key in artifact data.
    NUL is refused too: PostgreSQL text cannot hold it, so no database may store it."""
    art = user1.create(SAMPLE, name="odd-key")
    assert_error(put_data(user1, art["id"], f"dict_of_blobs/{key}", b"data"), 400)
    assert user1.show(SAMPLE, art["id"])["dict_of_blobs"] == {}
    assert stored(glare_app) == set()


@pytest.mark.parametrize(("length", "status"), [(255, 200), (256, 400), (5000, 400)])
def test_content_type_length_limit(user1, glare_app, length, status):
    """The content type is stored with the blob: at most 255 characters, or 400 with
    nothing stored (PostgreSQL would refuse the longer value)."""
    art = user1.create(SAMPLE, name="long-ct")
    content_type = "text/" + "x" * (length - len("text/"))
    response = put_data(user1, art["id"], "blob", b"data", content_type)
    assert response.status_code == status, response.get_data(as_text=True)
    blob = user1.show(SAMPLE, art["id"])["blob"]
    if status == 200:
        assert blob["content_type"] == content_type
    else:
        assert_error(response, 400)
        assert blob is None
        assert stored(glare_app) == set()


def test_folder_key_count_limit_is_400_before_storing(user1, glare_app, store_name):
    """§9.6 + Q26: a folder holds at most 255 keys; a 256th key → 400 with nothing stored,
    while replacing an existing key still works."""
    art = user1.create(SAMPLE, name="many-keys")
    location = {"url": "http://example.com/x", "md5": "0" * 32}
    for index in range(254):
        response = user1.put(url(art["id"], f"dict_of_blobs/ext{index}"), json_body=location,
                             content_type=LOCATION)
        assert response.status_code == 200, response.get_data(as_text=True)
    upload_ok(user1, art["id"], "dict_of_blobs/data", b"first")
    before = user1.show(SAMPLE, art["id"])
    assert len(before["dict_of_blobs"]) == 255
    data_before = stored(glare_app)
    assert_error(put_data(user1, art["id"], "dict_of_blobs/one-too-many", b"x"), 400)
    response = user1.put(url(art["id"], "dict_of_blobs/one-too-many"), json_body=location,
                         content_type=LOCATION)
    assert_error(response, 400)
    assert user1.show(SAMPLE, art["id"]) == before
    assert stored(glare_app) == data_before
    body = upload_ok(user1, art["id"], "dict_of_blobs/data", b"second")
    assert len(body["dict_of_blobs"]) == 255
    assert download(user1, art["id"], "dict_of_blobs/data") == b"second"
    assert len(stored_in(glare_app, store_name)) == 1


# ---- target errors (§7.7 step 2, §31 #117) ---------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "NONEXIST",  # unknown field
        "NONEXIST/key",
        "int1",  # not a blob field
        "str1",
        "dict_of_str/key",
        "blob/key",  # a blob has no keys
        "small_blob/x/y",
        "dict_of_blobs",  # a folder needs a key
        "dict_of_blobs/",  # empty key = no key (§6)
    ],
)
def test_upload_to_wrong_target_is_400(user1, glare_app, path):
    """§31 #117."""
    art = user1.create(SAMPLE, name="target")
    before = user1.show(SAMPLE, art["id"])
    assert_error(put_data(user1, art["id"], path, b"data"), 400)
    assert user1.show(SAMPLE, art["id"]) == before
    assert stored(glare_app) == set()


def test_upload_to_missing_artifact_is_404(user1, glare_app):
    response = put_data(user1, "00000000-0000-0000-0000-000000000000", "blob", b"data")
    assert_error(response, 404)
    assert stored(glare_app) == set()


def test_upload_to_unknown_type_is_404(user1):
    response = user1.put("/artifacts/no_such_type/1234/blob", data=b"data",
                         content_type="application/octet-stream")
    assert_error(response, 404)


# ---- request header errors (§7.7) --------------------------------------------------------


@pytest.mark.parametrize("content_type", [
    "not a media type", "text", "text/", "/plain", "text/plain/x", "t\u00e8xt/plain",
    "text/pl ain",
])
def test_content_type_that_is_not_a_media_type_is_400(user1, glare_app, content_type):
    """The blob's content type is sent back as the download's Content-Type: it must be
    ``type/subtype`` (HTTP tokens), or 400 with nothing stored."""
    art = user1.create(SAMPLE, name="bad-ct")
    response = user1.put(url(art["id"], "blob"), data=b"data",
                         headers={"Content-Type": content_type.encode().decode("latin-1")})
    assert_error(response, 400)
    assert user1.show(SAMPLE, art["id"])["blob"] is None
    assert stored(glare_app) == set()


def test_missing_content_type_is_400(user1, glare_app):
    art = user1.create(SAMPLE, name="no-ct")
    upload_ok(user1, art["id"], "blob", b"previous")
    before = user1.show(SAMPLE, art["id"])
    data_before = stored(glare_app)
    response = user1.put(url(art["id"], "blob"), data=b"new data")
    assert_error(response, 400)
    assert user1.show(SAMPLE, art["id"]) == before
    assert stored(glare_app) == data_before
    assert download(user1, art["id"], "blob") == b"previous"


@pytest.mark.parametrize("length", ["abc", "1.5", "-1", "-100", "0x10", "1e3"])
@pytest.mark.parametrize("path", ["blob", "dict_of_blobs/k"])
def test_bad_content_length_is_400(user1, glare_app, length, path):
    """§7.7: a non-integer or negative Content-Length → 400; the previous blob stays."""
    art = user1.create(SAMPLE, name="bad-cl")
    upload_ok(user1, art["id"], path, b"previous")
    before = user1.show(SAMPLE, art["id"])
    data_before = stored(glare_app)
    response = user1.put(url(art["id"], path), data=b"new", content_type="text/plain",
                         environ_overrides={"CONTENT_LENGTH": length})
    assert_error(response, 400)
    assert user1.show(SAMPLE, art["id"]) == before
    assert stored(glare_app) == data_before
    assert download(user1, art["id"], path) == b"previous"


# ---- size limits (§7.7 step 5 and 8, §31 #118, #131, Q9) -----------------------------------


def test_small_blob_limit(user1, glare_app, store_name):
    """§31 #118: 29 bytes to small_blob (max 10) → 413; 2 bytes → 200; exactly 10 → 200."""
    art = user1.create(SAMPLE, name="small")
    assert_error(put_data(user1, art["id"], "small_blob", b"x" * 29), 413,
                 "RequestEntityTooLarge")
    assert user1.show(SAMPLE, art["id"])["small_blob"] is None
    assert stored(glare_app) == set()
    body = upload_ok(user1, art["id"], "small_blob", b"ok")
    assert body["small_blob"] == uploaded_blob(art["id"], "small_blob", b"ok",
                                               "application/octet-stream")
    body = upload_ok(user1, art["id"], "small_blob", b"0123456789")
    assert body["small_blob"]["size"] == 10
    assert len(stored_in(glare_app, store_name)) == 1


def test_small_blob_too_large_keeps_previous(user1, glare_app):
    """A failed (413) re-upload restores the previous blob and stores nothing new."""
    art = user1.create(SAMPLE, name="small-keep")
    upload_ok(user1, art["id"], "small_blob", b"0123456789", "text/plain")
    before = user1.show(SAMPLE, art["id"])
    data_before = stored(glare_app)
    assert_error(put_data(user1, art["id"], "small_blob", b"0123456789A"), 413)
    assert user1.show(SAMPLE, art["id"])["small_blob"] == before["small_blob"]
    assert stored(glare_app) == data_before
    assert download(user1, art["id"], "small_blob") == b"0123456789"


def test_small_blob_too_large_streamed_is_413_while_reading(user1, glare_app):
    """§16: the limit is enforced on the stream when no Content-Length is sent."""
    art = user1.create(SAMPLE, name="small-stream")
    upload_ok(user1, art["id"], "small_blob", b"prev")
    data_before = stored(glare_app)
    assert_error(put_streamed(user1, art["id"], "small_blob", b"y" * 11), 413)
    assert user1.show(SAMPLE, art["id"])["small_blob"]["size"] == 4
    assert stored(glare_app) == data_before
    assert download(user1, art["id"], "small_blob") == b"prev"


def test_small_blob_content_length_precheck_reads_nothing(user1, glare_app):
    """§7.7 step 5: a Content-Length over the field limit → 413 before reading any data."""
    art = user1.create(SAMPLE, name="small-pre")
    body = TrackingStream(b"z" * 11)
    assert_error(put_unread(user1, art["id"], "small_blob", body, 11), 413)
    assert body.reads == 0
    assert user1.show(SAMPLE, art["id"])["small_blob"] is None
    assert stored(glare_app) == set()


def test_folder_limit_arithmetic(user1, glare_app, store_name):
    """§31 #131: external location (size null) + 1800 + 199 + 1 bytes fill the 2000-byte
    folder exactly; one more byte → 413 and nothing changes."""
    art = user1.create(SAMPLE, name="folder-limit")
    location = {"url": "http://example.com/data", "md5": "0" * 32}
    response = user1.put(url(art["id"], "dict_of_blobs/ext"), json_body=location,
                         content_type=LOCATION)
    assert response.status_code == 200, response.get_data(as_text=True)
    for key, size in (("k1800", 1800), ("k199", 199), ("k1", 1)):
        upload_ok(user1, art["id"], f"dict_of_blobs/{key}", b"f" * size)
    before = user1.show(SAMPLE, art["id"])
    assert sorted(before["dict_of_blobs"]) == ["ext", "k1", "k1800", "k199"]
    data_before = stored(glare_app)
    assert len(stored_in(glare_app, store_name)) == 3
    assert_error(put_data(user1, art["id"], "dict_of_blobs/one_more", b"f"), 413,
                 "RequestEntityTooLarge")
    assert user1.show(SAMPLE, art["id"]) == before
    assert stored(glare_app) == data_before


def test_folder_content_length_over_limit_reads_nothing(user1, glare_app):
    """§31 #131: Content-Length 2001 on an empty 2000-byte folder → 413 without reading."""
    art = user1.create(SAMPLE, name="folder-pre")
    body = TrackingStream(b"f" * 2001)
    assert_error(put_unread(user1, art["id"], "dict_of_blobs/k", body, 2001), 413)
    assert body.reads == 0
    assert user1.show(SAMPLE, art["id"])["dict_of_blobs"] == {}
    assert stored(glare_app) == set()


def test_folder_body_larger_than_its_content_length_is_413(user1, glare_app):
    """§31 #131 (a unit case, so at the engine): Content-Length 100 but 2001 bytes of body
    → 413 once the data is read; nothing is stored."""
    art = user1.create(SAMPLE, name="folder-lie")
    context = RequestContext(user_id="u1", project_id="p1", roles=("member",))
    blobs = glare_app.extensions["glare"].engine
    with pytest.raises(RequestTooLarge):
        blobs.uploads.upload(context, SAMPLE, art["id"], "dict_of_blobs", "k",
                     iter([b"f" * 1000, b"f" * 1001]), content_type="text/plain",
                     content_length=100)
    assert user1.show(SAMPLE, art["id"])["dict_of_blobs"] == {}
    assert stored(glare_app) == set()


def test_body_longer_than_content_length_fails_over_http(user1, glare_app):
    """The same over HTTP, from a server that hands over the whole body: the request fails
    (framing error 400 or the folder limit 413) and nothing is stored."""
    art = user1.create(SAMPLE, name="folder-lie-http")
    upload_ok(user1, art["id"], "dict_of_blobs/k", b"previous")
    before = user1.show(SAMPLE, art["id"])
    data_before = stored(glare_app)
    response = put_streamed(user1, art["id"], "dict_of_blobs/k", b"f" * 2001,
                            content_length=100)
    assert response.status_code in (400, 413), response.get_data(as_text=True)
    assert_error(response, response.status_code)
    assert user1.show(SAMPLE, art["id"]) == before
    assert stored(glare_app) == data_before


@pytest.mark.parametrize("path", ["blob", "dict_of_blobs/k"])
def test_body_shorter_than_content_length_is_400(user1, glare_app, path):
    """A body that ends before its Content-Length is a broken upload: 400, previous blob
    kept, nothing stored."""
    art = user1.create(SAMPLE, name="short-body")
    upload_ok(user1, art["id"], path, b"previous")
    before = user1.show(SAMPLE, art["id"])
    data_before = stored(glare_app)
    response = user1.put(url(art["id"], path), data=b"abc", content_type="text/plain",
                         environ_overrides={"CONTENT_LENGTH": "10"})
    assert_error(response, 400)
    assert user1.show(SAMPLE, art["id"]) == before
    assert stored(glare_app) == data_before
    assert download(user1, art["id"], path) == b"previous"


def test_folder_remaining_space_precheck(user1, glare_app):
    """§31 #131: with 200 bytes left, Content-Length 201 → 413 immediately; 200 → 200."""
    art = user1.create(SAMPLE, name="folder-left")
    upload_ok(user1, art["id"], "dict_of_blobs/big", b"f" * 1800)
    data_before = stored(glare_app)
    body = TrackingStream(b"g" * 201)
    assert_error(put_unread(user1, art["id"], "dict_of_blobs/rest", body, 201), 413)
    assert body.reads == 0
    assert sorted(user1.show(SAMPLE, art["id"])["dict_of_blobs"]) == ["big"]
    assert stored(glare_app) == data_before
    upload_ok(user1, art["id"], "dict_of_blobs/rest", b"g" * 200)
    folder = user1.show(SAMPLE, art["id"])["dict_of_blobs"]
    assert {key: blob["size"] for key, blob in folder.items()} == {"big": 1800, "rest": 200}


def test_folder_reupload_excludes_old_size(user1, glare_app, store_name):
    """Q9: re-uploading a key does not count the size of the data it replaces."""
    art = user1.create(SAMPLE, name="q9")
    upload_ok(user1, art["id"], "dict_of_blobs/k1", b"1" * 1800)
    upload_ok(user1, art["id"], "dict_of_blobs/k2", b"2" * 200)  # the folder is full
    body = upload_ok(user1, art["id"], "dict_of_blobs/k1", b"3" * 1800)
    assert body["dict_of_blobs"]["k1"] == uploaded_blob(
        art["id"], "dict_of_blobs/k1", b"3" * 1800, "application/octet-stream")
    assert download(user1, art["id"], "dict_of_blobs/k1") == b"3" * 1800
    assert len(stored_in(glare_app, store_name)) == 2
    # ... but the new data must still fit next to the other keys.
    before = user1.show(SAMPLE, art["id"])
    data_before = stored(glare_app)
    assert_error(put_data(user1, art["id"], "dict_of_blobs/k1", b"4" * 1801), 413)
    assert_error(put_data(user1, art["id"], "dict_of_blobs/k3", b"5"), 413)
    assert user1.show(SAMPLE, art["id"]) == before
    assert stored(glare_app) == data_before
    assert download(user1, art["id"], "dict_of_blobs/k1") == b"3" * 1800


# ---- the sample type's pre-upload hook (§28) -------------------------------------------


@pytest.mark.parametrize("path", ["blob", "small_blob", "dict_of_blobs/k"])
def test_invalid_data_is_refused_on_first_upload(user1, glare_app, path):
    """§28: the content exactly ``invalid_data`` is refused (400, our choice over 500);
    the blob stays absent and nothing is stored."""
    art = user1.create(SAMPLE, name="invalid")
    before = user1.show(SAMPLE, art["id"])
    # small_blob accepts at most 10 bytes: 12 bytes of invalid_data exceed it.
    expected = 413 if path == "small_blob" else 400
    assert_error(put_data(user1, art["id"], path, b"invalid_data"), expected)
    assert user1.show(SAMPLE, art["id"]) == before
    assert stored(glare_app) == set()


@pytest.mark.parametrize("path", ["blob", "dict_of_blobs/k"])
def test_invalid_data_keeps_previous_blob(user1, glare_app, path):
    """§28, §7.7 step 9: a refused re-upload restores the previous blob and its data."""
    art = user1.create(SAMPLE, name="invalid-keep")
    upload_ok(user1, art["id"], path, b"good data", "text/plain")
    before = user1.show(SAMPLE, art["id"])
    data_before = stored(glare_app)
    assert_error(put_data(user1, art["id"], path, b"invalid_data"), 400)
    assert user1.show(SAMPLE, art["id"]) == before
    assert stored(glare_app) == data_before
    assert download(user1, art["id"], path) == b"good data"


@pytest.mark.parametrize("data", [b"invalid_dat", b"invalid_data!", b"xinvalid_data",
                                  b"invalid_data" * 2])
def test_content_merely_resembling_invalid_data_is_accepted(user1, data):
    """§28: only the exact content ``invalid_data`` is refused."""
    art = user1.create(SAMPLE, name="almost")
    body = upload_ok(user1, art["id"], "blob", data)
    assert body["blob"] == uploaded_blob(art["id"], "blob", data, "application/octet-stream")
    assert download(user1, art["id"], "blob") == data


# ---- lifecycle and change rules (§7.7 step 4, §31 #122) --------------------------------


def test_immutable_folder_after_activation_is_403(user1, glare_app):
    """§31 #122: dict_of_blobs is not mutable: uploads after activation → 403."""
    art = user1.create(SAMPLE, name="immutable")
    upload_ok(user1, art["id"], "dict_of_blobs/key1", b"one")
    activate(user1, art["id"])
    before = user1.show(SAMPLE, art["id"])
    data_before = stored(glare_app)
    assert_error(put_data(user1, art["id"], "dict_of_blobs/key2", b"two"), 403)
    assert_error(put_data(user1, art["id"], "dict_of_blobs/key1", b"again"), 403)
    assert user1.show(SAMPLE, art["id"]) == before
    assert stored(glare_app) == data_before


def test_mutable_blob_after_activation_is_200(user1):
    """``blob`` and ``small_blob`` are mutable: upload works on an active artifact."""
    art = user1.create(SAMPLE, name="mutable")
    activate(user1, art["id"])
    body = upload_ok(user1, art["id"], "blob", b"late data")
    assert body["status"] == "active"
    assert body["blob"]["size"] == 9
    body = upload_ok(user1, art["id"], "small_blob", b"tiny")
    assert body["small_blob"]["size"] == 4


@pytest.mark.parametrize("caller", ["user1", "admin"])
def test_upload_to_deactivated_artifact_is_403(user1, admin, glare_app, caller):
    """§7.7 step 4: the artifact must be drafted or active."""
    art = user1.create(SAMPLE, name="deactivated")
    activate(user1, art["id"])
    admin.update(SAMPLE, art["id"], replace_op("/status", "deactivated"))
    client = {"user1": user1, "admin": admin}[caller]
    assert_error(put_data(client, art["id"], "blob", b"data"), 403)
    assert admin.show(SAMPLE, art["id"])["blob"] is None
    assert stored(glare_app) == set()


# ---- who may upload (§20, §31 #119, Q28) -----------------------------------------------


def test_other_user_on_private_artifact_is_404(user1, user2, glare_app):
    """§31 #119."""
    art = user1.create(SAMPLE, name="private")
    assert_error(put_data(user2, art["id"], "blob", b"data"), 404)
    assert_error(put_data(user2, art["id"], "dict_of_blobs/k", b"data"), 404)
    assert user1.show(SAMPLE, art["id"])["blob"] is None
    assert stored(glare_app) == set()


def test_admin_may_upload_to_any_private_artifact(user1, admin, glare_app, store_name):
    art = user1.create(SAMPLE, name="admin-up")
    body = upload_ok(admin, art["id"], "blob", b"by admin")
    assert body["blob"]["size"] == 8
    assert body["owner"] == "p1"
    assert download(user1, art["id"], "blob") == b"by admin"
    assert len(stored_in(glare_app, store_name)) == 1


def test_public_artifact_upload_rules(user1, user2, admin, glare_app, store_name):
    """§20 + Q28: on a public artifact only an admin may upload (owner 403, other 403)."""
    art = user1.create(SAMPLE, name="public")
    activate(user1, art["id"])
    publish(admin, art["id"])
    assert_error(put_data(user1, art["id"], "blob", b"owner"), 403)
    assert_error(put_data(user2, art["id"], "blob", b"other"), 403)
    assert admin.show(SAMPLE, art["id"])["blob"] is None
    assert stored(glare_app) == set()
    body = upload_ok(admin, art["id"], "blob", b"admin")
    assert body["blob"]["size"] == 5
    assert len(stored_in(glare_app, store_name)) == 1


class TestAnonymousUpload:
    @pytest.fixture
    def extra_settings(self):
        return {"GLARE_ALLOW_ANONYMOUS": True}

    def test_anonymous_upload_is_403(self, user1, admin, anonymous, glare_app):
        """§3.3: anonymous callers may not write (public artifact: visible but not theirs)."""
        art = user1.create(SAMPLE, name="anon")
        activate(user1, art["id"])
        publish(admin, art["id"])
        assert_error(put_data(anonymous, art["id"], "blob", b"anon"), 403)
        assert admin.show(SAMPLE, art["id"])["blob"] is None
        assert stored(glare_app) == set()


# ---- blobs in status saving (§31 #130, #80, #87) -------------------------------------


@pytest.mark.parametrize(("field", "key"), [("blob", None), ("dict_of_blobs", "k")])
def test_upload_to_saving_blob_is_409(user1, glare_app, field, key):
    """§31 #130: another upload is in progress → 409; the saving record is untouched."""
    art = user1.create(SAMPLE, name="saving")
    set_saving(glare_app, art["id"], field, key)
    path = field if key is None else f"{field}/{key}"
    before = user1.show(SAMPLE, art["id"])
    assert_error(put_data(user1, art["id"], path, b"data"), 409, "Conflict")
    after = user1.show(SAMPLE, art["id"])
    assert after == before
    saving = after[field] if key is None else after[field][key]
    assert saving["status"] == "saving"
    assert stored(glare_app) == set()


def test_activation_while_saving_is_409(user1, glare_app):
    """§31 #80: activation with a blob in ``saving`` → 409; another artifact activates."""
    art = user1.create(SAMPLE, name="saving-activate")
    other = user1.create(SAMPLE, name="other")
    set_saving(glare_app, art["id"], "blob")
    response = user1.patch(url(art["id"]), ACTIVATE)
    assert_error(response, 409, "Conflict")
    assert user1.show(SAMPLE, art["id"])["status"] == "drafted"
    assert activate(user1, other["id"])["status"] == "active"


def test_delete_while_saving_is_409(user1, glare_app):
    """§31 #87: DELETE with a blob in ``saving`` → 409 and the artifact stays drafted."""
    art = user1.create(SAMPLE, name="saving-delete")
    set_saving(glare_app, art["id"], "dict_of_blobs", "k")
    assert_error(user1.delete(url(art["id"])), 409, "Conflict")
    assert user1.show(SAMPLE, art["id"])["status"] == "drafted"


# ---- artifact deletion removes blob data (§7.6, §16, §24) --------------------------------


def _fill(client: Any, artifact_id: str) -> None:
    upload_ok(client, artifact_id, "blob", b"blob data")
    upload_ok(client, artifact_id, "small_blob", b"small")
    upload_ok(client, artifact_id, "dict_of_blobs/a", b"folder a")
    upload_ok(client, artifact_id, "dict_of_blobs/b/c", b"folder b/c")
    response = client.put(url(artifact_id, "dict_of_blobs/ext"),
                          json_body={"url": "http://example.com/x", "md5": "1" * 32},
                          content_type=LOCATION)
    assert response.status_code == 200, response.get_data(as_text=True)


def test_delete_artifact_removes_all_its_data(user1, glare_app, store_name):
    """§7.6: deleting an artifact deletes every uploaded blob and folder entry from the store;
    other artifacts' data stays."""
    doomed = user1.create(SAMPLE, name="doomed")
    kept = user1.create(SAMPLE, name="kept")
    _fill(user1, doomed["id"])
    upload_ok(user1, kept["id"], "blob", b"kept data")
    upload_ok(user1, doomed["id"], "blob", b"replacement")  # Q8: old data already gone
    kept_id = data_id(glare_app, kept["id"], "blob")
    assert len(stored_in(glare_app, store_name)) == 5
    response = user1.delete(url(doomed["id"]))
    assert response.status_code == 204
    assert stored(glare_app) == {(store_name, kept_id)}
    assert_error(user1.get(url(doomed["id"])), 404)
    assert download(user1, kept["id"], "blob") == b"kept data"


class TestDelayedDelete:
    @pytest.fixture
    def extra_settings(self):
        return {"GLARE_DELAYED_DELETE": True}

    def test_delayed_delete_keeps_blobs(self, user1, glare_app, store_name):
        """§7.6, §24: with delayed delete the record stays ``deleted``, blobs untouched."""
        art = user1.create(SAMPLE, name="delayed")
        _fill(user1, art["id"])
        before = user1.show(SAMPLE, art["id"])
        data_before = stored(glare_app)
        assert len(data_before) == 4
        assert user1.delete(url(art["id"])).status_code == 204
        after = user1.show(SAMPLE, art["id"])
        assert after["status"] == "deleted"
        for name in ("blob", "small_blob", "dict_of_blobs"):
            assert after[name] == before[name]
        assert stored(glare_app) == data_before

    def test_upload_to_deleted_artifact_is_403(self, user1, glare_app):
        """§7.7 step 4: not drafted/active → 403."""
        art = user1.create(SAMPLE, name="delayed-up")
        assert user1.delete(url(art["id"])).status_code == 204
        assert_error(put_data(user1, art["id"], "blob", b"data"), 403)
        assert stored(glare_app) == set()


# ---- store failures (§31 #132) -----------------------------------------------------------


@pytest.mark.parametrize(("path", "previous"), [
    ("blob", None), ("dict_of_blobs/k", None), ("blob", b"old"), ("dict_of_blobs/k", b"old"),
])
def test_store_failure_rolls_back(user1, glare_app, store_name, monkeypatch, path, previous):
    """§31 #132: a store failure → 5xx; a new blob is absent afterwards, a replaced blob is
    restored."""
    art = user1.create(SAMPLE, name="store-fail")
    if previous is not None:
        upload_ok(user1, art["id"], path, previous)
    before = user1.show(SAMPLE, art["id"])
    data_before = stored(glare_app)
    store = glare_app.extensions["glare"].stores.by_name[store_name]

    def broken_write(location, chunks, *, size=None):
        for _ in chunks:
            pass
        raise BlobWriteError("the disk is on fire")

    monkeypatch.setattr(store, "write", broken_write)
    response = put_data(user1, art["id"], path, b"new data")
    assert response.status_code in (500, 503), response.get_data(as_text=True)
    assert response.get_json()["code"] == response.status_code
    assert user1.show(SAMPLE, art["id"]) == before
    assert stored(glare_app) == data_before
    monkeypatch.undo()
    if previous is not None:
        assert download(user1, art["id"], path) == previous
    # The blob is usable again: no stale ``saving`` record blocks the next upload.
    upload_ok(user1, art["id"], path, b"works again")


# ---- upload hooks (§22, §31 #132, #157) -----------------------------------------------------


class BlobHookRecorder:
    """A throwaway plugin recording the blob hooks it sees."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str | None]] = []
        self.replacement: list[bytes] | None = None
        self.pre_upload_error: Exception | None = None

    # The sample type's own pre-upload hook always returns a stream and the hook is
    # ``firstresult``: this plugin runs first so that it sees every upload.
    @hookimpl(tryfirst=True)
    def glare_blob_pre_upload(self, artifact_type, artifact, field_name, blob_key, stream,
                              context):
        self.calls.append(("pre_upload", field_name, blob_key))
        if self.pre_upload_error is not None:
            raise self.pre_upload_error
        if self.replacement is not None:
            return iter(list(self.replacement))
        return None

    @hookimpl
    def glare_blob_post_upload(self, artifact_type, artifact, field_name, blob_key, context):
        blob = artifact[field_name] if blob_key is None else artifact[field_name][blob_key]
        assert blob["status"] == "active"
        self.calls.append(("post_upload", field_name, blob_key))

    @hookimpl
    def glare_blob_pre_download(self, artifact_type, artifact, field_name, blob_key, context):
        self.calls.append(("pre_download", field_name, blob_key))

    @hookimpl
    def glare_blob_post_download(self, artifact_type, artifact, field_name, blob_key, data,
                                 context):
        self.calls.append(("post_download", field_name, blob_key))
        return None


class TestUploadHooks:
    @pytest.fixture
    def recorder(self) -> BlobHookRecorder:
        return BlobHookRecorder()

    @pytest.fixture
    def glare_plugins(self, recorder):
        return [glare_sample_artifact, recorder]

    @pytest.mark.parametrize(("path", "field", "key"), [
        ("blob", "blob", None), ("dict_of_blobs/a/b", "dict_of_blobs", "a/b"),
    ])
    def test_hook_order(self, user1, recorder, path, field, key):
        """§31 #157: pre_upload, post_upload, pre_download, post_download in that order."""
        art = user1.create(SAMPLE, name="hooks")
        upload_ok(user1, art["id"], path, b"hooked")
        assert download(user1, art["id"], path) == b"hooked"
        assert recorder.calls == [
            ("pre_upload", field, key), ("post_upload", field, key),
            ("pre_download", field, key), ("post_download", field, key),
        ]

    def test_failed_upload_runs_no_post_hook(self, user1, recorder):
        art = user1.create(SAMPLE, name="hooks-fail")
        assert_error(put_data(user1, art["id"], "blob", b"invalid_data"), 400)
        assert recorder.calls == [("pre_upload", "blob", None)]

    @pytest.mark.parametrize("path", ["blob", "dict_of_blobs/k"])
    def test_replacement_stream_is_stored(self, user1, recorder, glare_app, store_name, path):
        """§31 #132: a pre-upload hook replacing the stream with 4 bytes → stored size 4."""
        recorder.replacement = [b"ab", b"cd"]
        art = user1.create(SAMPLE, name="replace")
        body = upload_ok(user1, art["id"], path, b"the original, much longer body", "text/x")
        field, _, key = path.partition("/")
        blob = body[field] if not key else body[field][key]
        assert blob == uploaded_blob(art["id"], path, b"abcd", "text/x")
        assert download(user1, art["id"], path) == b"abcd"
        assert len(stored_in(glare_app, store_name)) == 1

    def test_replacement_stream_is_size_limited(self, user1, recorder, glare_app):
        """The limit applies to what the hook produces: 11 bytes into small_blob → 413."""
        recorder.replacement = [b"0123456789", b"A"]
        art = user1.create(SAMPLE, name="replace-big")
        assert_error(put_data(user1, art["id"], "small_blob", b"tiny"), 413)
        assert user1.show(SAMPLE, art["id"])["small_blob"] is None
        assert stored(glare_app) == set()

    def test_hook_plain_exception_is_400_and_folder_unchanged(self, user1, recorder,
                                                              glare_app):
        """§31 #132, §22: a non-Glare exception from the pre-upload hook → 400; the folder
        (existing key and new key) is unchanged and nothing new is stored."""
        art = user1.create(SAMPLE, name="hook-error")
        upload_ok(user1, art["id"], "dict_of_blobs/existing", b"kept")
        before = user1.show(SAMPLE, art["id"])
        data_before = stored(glare_app)
        recorder.pre_upload_error = RuntimeError("hook exploded")
        assert_error(put_data(user1, art["id"], "dict_of_blobs/new", b"data"), 400)
        assert_error(put_data(user1, art["id"], "dict_of_blobs/existing", b"data"), 400)
        assert user1.show(SAMPLE, art["id"]) == before
        assert stored(glare_app) == data_before
        assert download(user1, art["id"], "dict_of_blobs/existing") == b"kept"

    @pytest.mark.parametrize(("error", "status"), [
        (Forbidden("no uploads today"), 403), (Conflict("busy"), 409),
    ])
    def test_hook_glare_error_keeps_status(self, user1, recorder, glare_app, error, status):
        """§22: a Glare error from the pre-upload hook keeps its status; blob rolled back."""
        art = user1.create(SAMPLE, name="hook-glare-error")
        recorder.pre_upload_error = error
        assert_error(put_data(user1, art["id"], "blob", b"data"), status)
        assert user1.show(SAMPLE, art["id"])["blob"] is None
        assert stored(glare_app) == set()
