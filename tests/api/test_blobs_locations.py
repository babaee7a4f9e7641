"""External and internal blob locations, and DELETE of location blobs, through the API
(contract §7.8, §7.10, §9.6, §10.2, §16, §20, §22, Q10, Q22, Q28; §31 items 126-130, 134,
135, 148, 157).

Every test runs with the ``file`` store and with the ``database`` store (§31 #148); adding a
location never puts data into a store.
"""

from __future__ import annotations

import hashlib
from typing import Any

import glare_sample_artifact
import pytest

from glare_core.errors import Forbidden
from glare_core.plugin import hookimpl
from glare_core.testing import replace_op
from tests.api.helpers import (
    LOCATION,
    MISSING_ID,
    activate,
    assert_error,
    publish,
    set_saving,
    stored,
    upload_ok,
    url,
)
from tests.conftest import SAMPLE, SAMPLE_URL

MD5 = "d41d8cd98f00b204e9800998ecf8427e"
SHA1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709"
SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
EXTERNAL = {"url": "http://example.com/blob.bin", "md5": MD5, "sha1": SHA1, "sha256": SHA256}

# Every test runs once per store (§31 #148); see store_name in tests/api/conftest.py.
pytestmark = pytest.mark.usefixtures("store_name")


# ---- helpers ----------------------------------------------------------------------------


def put_location(client: Any, artifact_id: str, path: str, body: Any,
                 content_type: str = LOCATION) -> Any:
    return client.put(url(artifact_id, path), json_body=body, content_type=content_type)


def put_raw_location(client: Any, artifact_id: str, path: str, raw: bytes) -> Any:
    return client.put(url(artifact_id, path), data=raw, content_type=LOCATION)


def location_ok(client: Any, artifact_id: str, path: str, body: Any) -> dict:
    response = put_location(client, artifact_id, path, body)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def external_blob(body: dict) -> dict:
    """§7.8 / §31 #126: how an external location is shown (exact, no ``id``)."""
    return {
        "url": body["url"], "size": None, "md5": body.get("md5"), "sha1": body.get("sha1"),
        "sha256": body.get("sha256"), "external": True, "status": "active",
        "content_type": None,
    }


def internal_blob(artifact_id: str, path: str, body: dict) -> dict:
    """§7.8 / §31 #129: an internal location: not external, url = the Glare path."""
    return {
        "url": f"{SAMPLE_URL}/{artifact_id}/{path}", "size": None, "md5": body.get("md5"),
        "sha1": body.get("sha1"), "sha256": body.get("sha256"), "external": False,
        "status": "active", "content_type": None,
    }


def blob_of(artifact: dict, path: str) -> Any:
    field, _, key = path.partition("/")
    return artifact[field] if not key else artifact[field].get(key)


# ---- external locations (§7.8, §31 #126, #127) ---------------------------------------------


@pytest.mark.parametrize("path", ["blob", "small_blob", "dict_of_blobs/blob",
                                  "dict_of_blobs/dir/file.txt"])
def test_add_external_location(user1, glare_app, path):
    """§31 #126, #127: 200; stored as given: status active, size/content_type null, no id."""
    art = user1.create(SAMPLE, name="ext")
    body = location_ok(user1, art["id"], path, EXTERNAL)
    assert blob_of(body, path) == external_blob(EXTERNAL)
    assert "id" not in blob_of(body, path)
    assert blob_of(user1.show(SAMPLE, art["id"]), path) == external_blob(EXTERNAL)
    assert stored(glare_app) == set()  # no data is fetched (§7.8)


def test_external_location_with_md5_only(user1):
    """§31 #134: sha1/sha256 are optional and stay null."""
    art = user1.create(SAMPLE, name="ext-md5")
    body = location_ok(user1, art["id"], "blob", {"url": "https://example.com/x", "md5": MD5})
    assert body["blob"] == external_blob({"url": "https://example.com/x", "md5": MD5})
    assert body["blob"]["sha1"] is None and body["blob"]["sha256"] is None


def test_explicit_external_location_type(user1):
    art = user1.create(SAMPLE, name="ext-explicit")
    body = location_ok(user1, art["id"], "blob", {**EXTERNAL, "location_type": "external"})
    assert body["blob"] == external_blob(EXTERNAL)


def test_location_media_type_with_parameters(user1):
    """§2: media types are compared without parameters."""
    art = user1.create(SAMPLE, name="ext-params")
    response = put_location(user1, art["id"], "blob", EXTERNAL,
                            content_type=LOCATION + "; charset=utf-8")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["blob"] == external_blob(EXTERNAL)


@pytest.mark.parametrize("path", ["blob", "dict_of_blobs/blob"])
def test_repeating_a_location_is_409(user1, path):
    """§31 #126, #127: a second location at the same target → 409, the first one stays."""
    art = user1.create(SAMPLE, name="ext-twice")
    location_ok(user1, art["id"], path, EXTERNAL)
    other = {"url": "http://example.com/other", "md5": "f" * 32}
    assert_error(put_location(user1, art["id"], path, other), 409, "Conflict")
    assert blob_of(user1.show(SAMPLE, art["id"]), path) == external_blob(EXTERNAL)


@pytest.mark.parametrize("path", ["blob", "dict_of_blobs/k"])
def test_location_over_uploaded_data_is_409(user1, glare_app, path):
    """§7.8: any existing blob at the target → 409."""
    art = user1.create(SAMPLE, name="ext-over-data")
    upload_ok(user1, art["id"], path, b"real data")
    before = user1.show(SAMPLE, art["id"])
    data_before = stored(glare_app)
    assert_error(put_location(user1, art["id"], path, EXTERNAL), 409)
    assert user1.show(SAMPLE, art["id"]) == before
    assert stored(glare_app) == data_before


@pytest.mark.parametrize(("field", "key"), [("blob", None), ("dict_of_blobs", "k")])
def test_location_on_saving_blob_is_409(user1, glare_app, field, key):
    """§31 #130."""
    art = user1.create(SAMPLE, name="ext-saving")
    set_saving(glare_app, art["id"], field, key)
    path = field if key is None else f"{field}/{key}"
    assert_error(put_location(user1, art["id"], path, EXTERNAL), 409, "Conflict")
    assert blob_of(user1.show(SAMPLE, art["id"]), path)["status"] == "saving"


def test_external_locations_do_not_use_folder_space(user1):
    """§7.8: external locations have size null and count 0 toward the folder limit."""
    art = user1.create(SAMPLE, name="ext-space")
    for index in range(3):
        location_ok(user1, art["id"], f"dict_of_blobs/ext{index}", EXTERNAL)
    body = upload_ok(user1, art["id"], "dict_of_blobs/full", b"x" * 2000)
    assert sorted(body["dict_of_blobs"]) == ["ext0", "ext1", "ext2", "full"]


# ---- location body validation (§7.8, §31 #127, #135) ---------------------------------------


@pytest.mark.parametrize("raw", [
    b"incorrect",  # §31 #127: not JSON
    b"",
    b"{bad json",
    b'"http://example.com/x"',  # JSON, but not an object
    b'["http://example.com/x"]',
    b"null",
])
def test_location_body_not_a_json_object_is_400(user1, glare_app, raw):
    art = user1.create(SAMPLE, name="bad-body")
    assert_error(put_raw_location(user1, art["id"], "blob", raw), 400)
    assert_error(put_raw_location(user1, art["id"], "dict_of_blobs/blob", raw), 400)
    assert user1.show(SAMPLE, art["id"])["blob"] is None
    assert user1.show(SAMPLE, art["id"])["dict_of_blobs"] == {}


@pytest.mark.parametrize("body", [
    {"md5": MD5},  # no url
    {"url": None, "md5": MD5},
    {"url": "", "md5": MD5},
    {"url": 12345, "md5": MD5},
    {"url": "http://example.com/x"},  # external needs md5
    {"url": "http://example.com/x", "md5": None},
    {"url": "ftp://example.com/x", "md5": MD5},  # external needs an http(s) URL
    # Schemes that merely start with "http" are other schemes:
    {"url": "httpx://example.com/a", "md5": MD5},
    {"url": "httpfoo://host:1/x", "md5": MD5},
    {"url": "https-evil://host/x", "md5": MD5},
    {"url": "http+unix://%2Frun%2Fx.sock/x", "md5": MD5},
    {"url": "http", "md5": MD5},
    {"url": "example.com/x", "md5": MD5},
    {"url": "/artifacts/sample_artifact/x", "md5": MD5},
    {"url": "http://example.com/x", "md5": MD5, "location_type": "bogus"},
    {"url": "http://example.com/x", "md5": MD5, "location_type": None},
    {"url": "http://example.com/x\U0001F600", "md5": MD5},  # outside the BMP (§2)
    {"url": "http://example.com/x\x00", "md5": MD5},  # NUL: no database may store it
    {"url": "http://example.com/a\r\nX-Injected: 1", "md5": MD5},  # would split a header
    {"url": "http://example.com/a b", "md5": MD5},
    {"url": "http://example.com/a\tb", "md5": MD5},
    {"url": "http://example.com/a\x7f", "md5": MD5},
    {"url": "http://example.com/x", "md5": MD5 + "0"},  # longer than a hex digest
    {"url": "http://example.com/x", "md5": MD5, "sha1": SHA1 + "0"},
    {"url": "http://example.com/x", "md5": MD5, "sha256": SHA256 + "0"},
    {"url": "http://example.com/x", "md5": "a" * 100_000},
    # URLs every later download would fail to send as a Location header:
    {"url": "http://example.com:abc/x", "md5": MD5},
    {"url": "http://example.com:99999999/", "md5": MD5},
    {"url": "http://example.com:-1/", "md5": MD5},
    {"url": "http://[::1", "md5": MD5},
    {"url": "http://[zz]/", "md5": MD5},
    {"url": "http://a]b/", "md5": MD5},
    {"url": "http://a%0d%0aSet-Cookie:x", "md5": MD5},
    {"url": "http://" + "a" * 70 + ".example.com/", "md5": MD5},  # no IDNA label that long
    # URLs that would be sent as something else than what was stored:
    {"url": "http:evil", "md5": MD5},
    {"url": "http:///x", "md5": MD5},
    {"url": "https:\\\\evil.com", "md5": MD5},
])
def test_invalid_location_body_is_400(user1, admin, glare_app, body):
    art = user1.create(SAMPLE, name="bad-location")
    assert_error(put_location(user1, art["id"], "blob", body), 400)
    assert_error(put_location(admin, art["id"], "dict_of_blobs/k", body), 400)
    shown = user1.show(SAMPLE, art["id"])
    assert shown["blob"] is None and shown["dict_of_blobs"] == {}


@pytest.mark.parametrize("stored, sent", [
    ("https://example.com:8443/a?b=c#d", "https://example.com:8443/a?b=c#d"),
    ("http://[::1]:8080/x", "http://[::1]:8080/x"),
    ("HTTP://EXAMPLE.COM/a", "http://example.com/a"),  # schemes are case-insensitive
    ("Https://example.com/a", "https://example.com/a"),
    ("http://b\u00fccher.example/\u00e4", "http://xn--bcher-kva.example/%C3%A4"),
])
def test_valid_external_urls_redirect_to_themselves(user1, stored, sent):
    art = user1.create(SAMPLE, name="good-location")
    location_ok(user1, art["id"], "blob", {"url": stored, "md5": MD5})
    response = user1.get(url(art["id"], "blob"))
    assert response.status_code == 301
    assert response.headers["Location"] == sent


def test_a_stored_url_that_cannot_be_sent_is_409_not_a_server_error(user1, glare_app):
    """A malformed URL stored before locations were checked gives a clear error."""
    art = user1.create(SAMPLE, name="legacy-location")
    data_api = glare_app.extensions["glare"].data_apis[SAMPLE]
    data_api.set_blob(art["id"], "blob", None, {
        "status": "active", "external": True, "url": "http://example.com:abc/x", "md5": MD5})
    response = user1.get(url(art["id"], "blob"))
    assert_error(response, 409)
    assert "not a valid URL" in response.get_json()["error"]["message"]


def test_location_url_length_limit(user1):
    """§7.8, §31 #135: at most 2048 characters (2049 → 400)."""
    art = user1.create(SAMPLE, name="long-url")
    prefix = "http://example.com/"
    longest = prefix + "a" * (2048 - len(prefix))
    too_long = prefix + "a" * (2049 - len(prefix))
    assert len(longest) == 2048 and len(too_long) == 2049
    assert_error(put_location(user1, art["id"], "blob", {"url": too_long, "md5": MD5}), 400)
    assert user1.show(SAMPLE, art["id"])["blob"] is None
    body = location_ok(user1, art["id"], "blob", {"url": longest, "md5": MD5})
    assert body["blob"]["url"] == longest


def test_location_checksums_are_stored_as_given_up_to_digest_length(user1):
    """§7.8: checksums are not verified, so short or non-hex values are kept as given; each
    may be as long as its hex digest (md5 32, sha1 40, sha256 64 characters)."""
    art = user1.create(SAMPLE, name="given-checksums")
    given = {"md5": "fake", "sha1": "s" * 40, "sha256": "S" * 64}
    body = location_ok(user1, art["id"], "blob", {"url": "http://example.com/x", **given})
    assert {name: body["blob"][name] for name in given} == given


@pytest.mark.parametrize("key", ["emoji\U0001F600", "nul\x00"])
def test_location_folder_key_that_cannot_be_stored_is_400(user1, key):
    """§2: a folder key outside the BMP → 400 (NUL too), whether data or a location."""
    art = user1.create(SAMPLE, name="odd-location-key")
    assert_error(put_location(user1, art["id"], f"dict_of_blobs/{key}", EXTERNAL), 400)
    assert user1.show(SAMPLE, art["id"])["dict_of_blobs"] == {}


def test_long_internal_url_is_400(admin, user1):
    """§31 #135 for an internal location."""
    art = user1.create(SAMPLE, name="long-internal")
    too_long = "https://example.com/" + "b" * 2048
    body = {"url": too_long, "location_type": "internal", "md5": MD5}
    assert_error(put_location(admin, art["id"], "blob", body), 400)


def test_body_checked_before_type_and_artifact(user1):
    """§7.8: body checks come before the type/artifact lookup."""
    assert_error(put_raw_location(user1, MISSING_ID, "blob", b"incorrect"), 400)
    response = user1.put(f"/artifacts/no_such_type/{MISSING_ID}/blob", data=b"incorrect",
                         content_type=LOCATION)
    assert_error(response, 400)


@pytest.mark.parametrize("path", [
    "NONEXIST",  # §31 #126
    "int1",
    "blob/key",
    "dict_of_blobs",
    "dict_of_blobs/",
    "dict_of_blobs/" + "k" * 1001,  # longer than the folder's keys may be
])
def test_location_to_wrong_target_is_400(user1, path):
    art = user1.create(SAMPLE, name="ext-target")
    before = user1.show(SAMPLE, art["id"])
    assert_error(put_location(user1, art["id"], path, EXTERNAL), 400)
    assert user1.show(SAMPLE, art["id"]) == before


def test_location_to_missing_artifact_is_404(user1):
    assert_error(put_location(user1, MISSING_ID, "blob", EXTERNAL), 404)


def test_location_to_unknown_type_is_404(user1):
    response = user1.put(f"/artifacts/no_such_type/{MISSING_ID}/blob", json_body=EXTERNAL,
                         content_type=LOCATION)
    assert_error(response, 404)


# ---- internal locations (§7.8, §31 #129) --------------------------------------------------


@pytest.mark.parametrize("location", [
    "file:///etc/passwd",
    "FILE:///etc/passwd",
    "filesystem:///var/lib/glare/artifacts/x",
    "swift+config://ref1/glare/object",
    "sql://0123456789abcdef",
])
def test_server_local_internal_schemes_are_403(admin, user1, glare_app, location):
    """§31 #129: schemes file, filesystem, swift+config and sql → 403."""
    art = user1.create(SAMPLE, name="internal-local")
    body = {"url": location, "location_type": "internal", "md5": MD5}
    assert_error(put_location(admin, art["id"], "blob", body), 403)
    assert_error(put_location(admin, art["id"], "dict_of_blobs/k", body), 403)
    shown = user1.show(SAMPLE, art["id"])
    assert shown["blob"] is None and shown["dict_of_blobs"] == {}


@pytest.mark.parametrize("location", ["UNKNOWN://whatever/x", "gopher://example.com/x",
                                      "no-scheme-at-all"])
def test_unknown_internal_scheme_is_400(admin, user1, location):
    """§31 #129: a scheme no configured store reads → 400."""
    art = user1.create(SAMPLE, name="internal-unknown")
    body = {"url": location, "location_type": "internal", "md5": MD5}
    assert_error(put_location(admin, art["id"], "blob", body), 400)
    assert user1.show(SAMPLE, art["id"])["blob"] is None


@pytest.mark.parametrize("path", ["blob", "dict_of_blobs/internal/key"])
def test_admin_internal_https_location(admin, user1, glare_app, path):
    """§31 #129: https → 200, external false, status active, checksums as given,
    size/content_type null, url rewritten to the Glare path (§10.2)."""
    art = user1.create(SAMPLE, name="internal")
    location = {"url": "https://store.example.com/objects/42", "location_type": "internal",
                "md5": MD5, "sha1": SHA1, "sha256": SHA256}
    body = location_ok(admin, art["id"], path, location)
    assert blob_of(body, path) == internal_blob(art["id"], path, location)
    assert blob_of(user1.show(SAMPLE, art["id"]), path) == internal_blob(art["id"], path,
                                                                          location)
    assert stored(glare_app) == set()


def test_internal_location_without_checksums(admin, user1):
    """md5 is required for external locations only."""
    art = user1.create(SAMPLE, name="internal-no-md5")
    location = {"url": "https://store.example.com/objects/7", "location_type": "internal"}
    body = location_ok(admin, art["id"], "blob", location)
    assert body["blob"] == internal_blob(art["id"], "blob", location)


def test_internal_location_repeating_is_409(admin, user1):
    art = user1.create(SAMPLE, name="internal-twice")
    location = {"url": "https://store.example.com/o", "location_type": "internal", "md5": MD5}
    location_ok(admin, art["id"], "blob", location)
    assert_error(put_location(admin, art["id"], "blob", location), 409)
    assert_error(put_location(admin, art["id"], "blob", EXTERNAL), 409)


def test_non_admin_internal_location_is_403(user1, glare_app):
    """§20: artifact:set_internal_location is admin only, also for the owner."""
    art = user1.create(SAMPLE, name="internal-owner")
    location = {"url": "https://store.example.com/o", "location_type": "internal", "md5": MD5}
    assert_error(put_location(user1, art["id"], "blob", location), 403)
    assert_error(put_location(user1, art["id"], "dict_of_blobs/k", location), 403)
    shown = user1.show(SAMPLE, art["id"])
    assert shown["blob"] is None and shown["dict_of_blobs"] == {}


def test_deleting_artifact_with_locations(user1, admin, glare_app, store_name):
    """§7.6, §16: locations hold no store data; deleting their artifact works and removes
    only its uploaded data."""
    art = user1.create(SAMPLE, name="with-locations")
    location_ok(user1, art["id"], "blob", EXTERNAL)
    location_ok(admin, art["id"], "small_blob",
                {"url": "https://store.example.com/o", "location_type": "internal"})
    upload_ok(user1, art["id"], "dict_of_blobs/data", b"uploaded")
    assert len(stored(glare_app)) == 1
    assert user1.delete(url(art["id"])).status_code == 204
    assert stored(glare_app) == set()
    assert_error(user1.get(url(art["id"])), 404)


# ---- change rules and access for locations (§7.8, §20, Q28) ----------------------------------


def test_location_on_active_artifact(user1):
    """§7.8: change rules as for upload: mutable blob OK, immutable folder 403."""
    art = user1.create(SAMPLE, name="ext-active")
    activate(user1, art["id"])
    body = location_ok(user1, art["id"], "blob", EXTERNAL)
    assert body["blob"] == external_blob(EXTERNAL)
    assert_error(put_location(user1, art["id"], "dict_of_blobs/k", EXTERNAL), 403)
    assert user1.show(SAMPLE, art["id"])["dict_of_blobs"] == {}


def test_location_on_deactivated_artifact_is_403(user1, admin):
    art = user1.create(SAMPLE, name="ext-deactivated")
    activate(user1, art["id"])
    admin.update(SAMPLE, art["id"], replace_op("/status", "deactivated"))
    assert_error(put_location(admin, art["id"], "blob", EXTERNAL), 403)
    assert admin.show(SAMPLE, art["id"])["blob"] is None


def test_other_user_location_on_private_is_404(user1, user2):
    art = user1.create(SAMPLE, name="ext-private")
    assert_error(put_location(user2, art["id"], "blob", EXTERNAL), 404)
    assert user1.show(SAMPLE, art["id"])["blob"] is None


def test_admin_may_add_location_to_any_artifact(user1, admin):
    art = user1.create(SAMPLE, name="ext-admin")
    body = location_ok(admin, art["id"], "blob", EXTERNAL)
    assert body["blob"] == external_blob(EXTERNAL)


def test_public_artifact_location_rules(user1, user2, admin):
    """§20 + Q28: on a public artifact only an admin may add a location."""
    art = user1.create(SAMPLE, name="ext-public")
    activate(user1, art["id"])
    publish(admin, art["id"])
    assert_error(put_location(user1, art["id"], "blob", EXTERNAL), 403)
    assert_error(put_location(user2, art["id"], "blob", EXTERNAL), 403)
    assert admin.show(SAMPLE, art["id"])["blob"] is None
    body = location_ok(admin, art["id"], "blob", EXTERNAL)
    assert body["blob"] == external_blob(EXTERNAL)


class TestAnonymousLocations:
    @pytest.fixture
    def extra_settings(self):
        return {"GLARE_ALLOW_ANONYMOUS": True}

    def test_anonymous_add_and_delete_location_are_403(self, user1, admin, anonymous):
        art = user1.create(SAMPLE, name="anon")
        location_ok(user1, art["id"], "blob", EXTERNAL)
        activate(user1, art["id"])
        publish(admin, art["id"])
        assert_error(put_location(anonymous, art["id"], "small_blob", EXTERNAL), 403)
        assert_error(anonymous.delete(url(art["id"], "blob")), 403)
        shown = admin.show(SAMPLE, art["id"])
        assert shown["small_blob"] is None
        assert shown["blob"] == external_blob(EXTERNAL)


# ---- DELETE of location blobs (§7.10, §31 #128, Q10) ------------------------------------


def test_delete_external_blob(user1, glare_app):
    """§31 #128: 200 with the artifact, field null; a second DELETE → 404."""
    art = user1.create(SAMPLE, name="del-ext")
    location_ok(user1, art["id"], "blob", EXTERNAL)
    response = user1.delete(url(art["id"], "blob"))
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["id"] == art["id"]
    assert body["blob"] is None
    assert user1.show(SAMPLE, art["id"])["blob"] is None
    assert_error(user1.delete(url(art["id"], "blob")), 404)
    # The blob can be set again afterwards.
    assert location_ok(user1, art["id"], "blob", EXTERNAL)["blob"] == external_blob(EXTERNAL)
    assert stored(glare_app) == set()


def test_delete_external_folder_key(user1):
    """§31 #128 for folders: the key disappears, other keys stay; missing key → 404."""
    art = user1.create(SAMPLE, name="del-ext-folder")
    location_ok(user1, art["id"], "dict_of_blobs/gone", EXTERNAL)
    location_ok(user1, art["id"], "dict_of_blobs/kept", EXTERNAL)
    response = user1.delete(url(art["id"], "dict_of_blobs/gone"))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["dict_of_blobs"] == {"kept": external_blob(EXTERNAL)}
    assert user1.show(SAMPLE, art["id"])["dict_of_blobs"] == {"kept": external_blob(EXTERNAL)}
    assert_error(user1.delete(url(art["id"], "dict_of_blobs/gone")), 404)
    assert_error(user1.delete(url(art["id"], "dict_of_blobs/never")), 404)


@pytest.mark.parametrize("path", ["int1", "NONEXIST", "blob/key", "dict_of_blobs",
                                  "not_a_dict/not_a_blob"])
def test_delete_wrong_target_is_400(user1, path):
    """§31 #128."""
    art = user1.create(SAMPLE, name="del-target")
    location_ok(user1, art["id"], "blob", EXTERNAL)
    assert_error(user1.delete(url(art["id"], path)), 400)
    assert user1.show(SAMPLE, art["id"])["blob"] == external_blob(EXTERNAL)


def test_delete_never_set_blob_is_404(user1):
    art = user1.create(SAMPLE, name="del-none")
    assert_error(user1.delete(url(art["id"], "blob")), 404)
    assert_error(user1.delete(url(art["id"], "dict_of_blobs/k")), 404)


def test_delete_on_missing_artifact_is_404(user1):
    assert_error(user1.delete(url(MISSING_ID, "blob")), 404)


@pytest.mark.parametrize("path", ["blob", "dict_of_blobs/k"])
def test_delete_uploaded_data_is_403(user1, glare_app, path):
    """§31 #128: uploaded data cannot be deleted this way; blob and data stay."""
    art = user1.create(SAMPLE, name="del-uploaded")
    upload_ok(user1, art["id"], path, b"real data")
    before = user1.show(SAMPLE, art["id"])
    data_before = stored(glare_app)
    assert_error(user1.delete(url(art["id"], path)), 403)
    assert user1.show(SAMPLE, art["id"]) == before
    assert stored(glare_app) == data_before
    response = user1.get(url(art["id"], path))
    assert response.status_code == 200
    assert response.data == b"real data"


def test_delete_internal_location_is_403(user1, admin):
    """§7.10: an internal location is not external → 403 (also for admins)."""
    art = user1.create(SAMPLE, name="del-internal")
    location = {"url": "https://store.example.com/o", "location_type": "internal", "md5": MD5}
    location_ok(admin, art["id"], "blob", location)
    assert_error(admin.delete(url(art["id"], "blob")), 403)
    assert_error(user1.delete(url(art["id"], "blob")), 403)
    assert user1.show(SAMPLE, art["id"])["blob"] == internal_blob(art["id"], "blob", location)


def test_delete_location_ignores_request_body(user1):
    """§2: blob DELETE does not reject a body."""
    art = user1.create(SAMPLE, name="del-body")
    location_ok(user1, art["id"], "blob", EXTERNAL)
    response = user1.delete(url(art["id"], "blob"), data=b"some body",
                            content_type="text/plain")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["blob"] is None


def test_delete_location_of_immutable_folder_on_active_artifact_is_403(user1):
    """Q10: the change rules of upload apply: the folder is immutable once active."""
    art = user1.create(SAMPLE, name="q10")
    location_ok(user1, art["id"], "dict_of_blobs/ext", EXTERNAL)
    activate(user1, art["id"])
    assert_error(user1.delete(url(art["id"], "dict_of_blobs/ext")), 403)
    assert user1.show(SAMPLE, art["id"])["dict_of_blobs"] == {"ext": external_blob(EXTERNAL)}


def test_delete_location_of_mutable_blob_on_active_artifact(user1):
    """Q10: ``blob`` is mutable, so its location may go on an active artifact."""
    art = user1.create(SAMPLE, name="q10-mutable")
    location_ok(user1, art["id"], "blob", EXTERNAL)
    activate(user1, art["id"])
    response = user1.delete(url(art["id"], "blob"))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["blob"] is None
    assert response.get_json()["status"] == "active"


def test_delete_location_on_deactivated_artifact_is_403(user1, admin):
    """Q10: the artifact must be drafted or active (as for upload)."""
    art = user1.create(SAMPLE, name="q10-deactivated")
    location_ok(user1, art["id"], "blob", EXTERNAL)
    activate(user1, art["id"])
    admin.update(SAMPLE, art["id"], replace_op("/status", "deactivated"))
    assert_error(admin.delete(url(art["id"], "blob")), 403)
    assert admin.show(SAMPLE, art["id"])["blob"] == external_blob(EXTERNAL)


def test_delete_location_access_rules(user1, user2, admin):
    """§20: other user 404 on private; admin may delete."""
    art = user1.create(SAMPLE, name="del-access")
    location_ok(user1, art["id"], "blob", EXTERNAL)
    location_ok(user1, art["id"], "small_blob", EXTERNAL)
    assert_error(user2.delete(url(art["id"], "blob")), 404)
    assert user1.show(SAMPLE, art["id"])["blob"] == external_blob(EXTERNAL)
    response = admin.delete(url(art["id"], "blob"))
    assert response.status_code == 200
    assert response.get_json()["blob"] is None
    assert response.get_json()["small_blob"] == external_blob(EXTERNAL)


def test_delete_location_on_public_artifact(user1, user2, admin):
    """§20 + Q28: owner and other users 403 on a public artifact; admin 200."""
    art = user1.create(SAMPLE, name="del-public")
    location_ok(user1, art["id"], "blob", EXTERNAL)
    activate(user1, art["id"])
    publish(admin, art["id"])
    assert_error(user1.delete(url(art["id"], "blob")), 403)
    assert_error(user2.delete(url(art["id"], "blob")), 403)
    assert admin.show(SAMPLE, art["id"])["blob"] == external_blob(EXTERNAL)
    response = admin.delete(url(art["id"], "blob"))
    assert response.status_code == 200
    assert response.get_json()["blob"] is None


# ---- add-location hooks (§22, §31 #157, Q22) --------------------------------------------------


class LocationHooks:
    """A throwaway plugin recording the add-location hooks."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.refuse: Exception | None = None

    @hookimpl
    def glare_blob_pre_add_location(self, artifact_type, artifact, field_name, blob_key, url,
                                    context):
        self.calls.append(("pre_add_location", field_name, blob_key, url))
        if self.refuse is not None:
            raise self.refuse

    @hookimpl
    def glare_blob_post_add_location(self, artifact_type, artifact, field_name, blob_key,
                                     context):
        blob = artifact[field_name] if blob_key is None else artifact[field_name][blob_key]
        self.calls.append(("post_add_location", field_name, blob_key, blob["status"]))

    @hookimpl(tryfirst=True)
    def glare_blob_pre_upload(self, artifact_type, artifact, field_name, blob_key, stream,
                              context):
        self.calls.append(("pre_upload", field_name, blob_key))


class TestLocationHooks:
    @pytest.fixture
    def hooks(self) -> LocationHooks:
        return LocationHooks()

    @pytest.fixture
    def glare_plugins(self, hooks):
        return [glare_sample_artifact, hooks]

    @pytest.mark.parametrize(("path", "field", "key"), [
        ("blob", "blob", None), ("dict_of_blobs/a/b", "dict_of_blobs", "a/b"),
    ])
    def test_pre_and_post_add_location(self, user1, hooks, path, field, key):
        """§31 #157 + Q22: pre then post, field/key/url in the documented positions; no
        upload hook runs."""
        art = user1.create(SAMPLE, name="hooks")
        location_ok(user1, art["id"], path, EXTERNAL)
        assert hooks.calls == [
            ("pre_add_location", field, key, EXTERNAL["url"]),
            ("post_add_location", field, key, "active"),
        ]

    def test_internal_location_hooks_get_the_store_uri(self, user1, admin, hooks):
        art = user1.create(SAMPLE, name="hooks-internal")
        uri = "https://store.example.com/objects/9"
        location_ok(admin, art["id"], "blob", {"url": uri, "location_type": "internal"})
        assert hooks.calls == [("pre_add_location", "blob", None, uri),
                               ("post_add_location", "blob", None, "active")]

    def test_pre_hook_refusal_leaves_blob_absent(self, user1, hooks):
        """§22: a Glare error from the pre-hook keeps its status; nothing is attached and
        the post-hook does not run."""
        art = user1.create(SAMPLE, name="hooks-refuse")
        hooks.refuse = Forbidden("no locations")
        assert_error(put_location(user1, art["id"], "blob", EXTERNAL), 403)
        assert user1.show(SAMPLE, art["id"])["blob"] is None
        assert hooks.calls == [("pre_add_location", "blob", None, EXTERNAL["url"])]

    def test_failed_location_runs_no_hook(self, user1, hooks):
        art = user1.create(SAMPLE, name="hooks-409")
        location_ok(user1, art["id"], "blob", EXTERNAL)
        hooks.calls.clear()
        assert_error(put_location(user1, art["id"], "blob", EXTERNAL), 409)
        assert hooks.calls == []


def test_location_checksums_are_not_verified(user1):
    """§7.8: checksums are stored as given, not computed (nothing is fetched)."""
    art = user1.create(SAMPLE, name="unverified")
    fake = {"url": "http://example.com/x", "md5": hashlib.md5(b"other").hexdigest()}
    body = location_ok(user1, art["id"], "blob", fake)
    assert body["blob"]["md5"] == fake["md5"]
