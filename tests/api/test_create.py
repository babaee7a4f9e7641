"""API tests for ``POST /artifacts/{type}`` (contract §7.3, §2, §5, §8, §13.1, §14; §31 items
5-22), run against the ``sample_artifact`` test type (§28)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from glare_core.plugin import ArtifactType, BaseArtifactSchema, fields, hookimpl
from tests.api.helpers import (
    BASE_FIELDS,
    SAMPLE_FIELDS,
    TIMESTAMP,
    activate,
    assert_error,
    link_to,
    publish,
)
from tests.conftest import SAMPLE, SAMPLE_URL

# Collected parameters must be the same in every process (pytest-xdist): a fixed id
# that no artifact has.
UNKNOWN_ID = "7d0c6f2e-93b1-4f4a-8e65-2b9d3c1a5f80"

# §8 base fields + §28 sample fields + the computed key of the test type (§10.1).
OUTPUT_KEYS = BASE_FIELDS | SAMPLE_FIELDS | {"__some_meta_information__"}

# Values of a freshly created artifact that the caller did not supply (§7.3, §8, §28).
CREATE_DEFAULTS: dict[str, Any] = {
    "status": "drafted",
    "visibility": "private",
    "version": "0.0.0",
    "display_type_name": "Sample Artifact",
    "description": "",
    "tags": [],
    "metadata": {},
    "activated_at": None,
    "blob": None,
    "small_blob": None,
    "link1": None,
    "link2": None,
    "bool1": False,
    "bool2": False,
    "int1": None,
    "int2": None,
    "float1": None,
    "float2": None,
    "str1": None,
    "list_of_str": [],
    "list_of_int": [],
    "dict_of_str": {},
    "dict_of_int": {},
    "dict_of_links": {},
    "list_of_links": [],
    "dict_of_blobs": {},
    "string_mutable": None,
    "string_regex": None,
    "string_required": None,
    "string_validators": None,
    "int_validators": None,
    "list_validators": [],
    "dict_validators": None,
    "system_attribute": "default",
    "metadata_attribute": "default",
}


# ---- transport: media type and body shape (§7.3, §2, §5.3; items 5, 6) --------------------


def test_create_minimal_returns_201_with_server_set_values(user1):
    """Item 8: minimal create → 201 with every default and server-set value."""
    response = user1.post(SAMPLE_URL, {"name": "minimal"})
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == OUTPUT_KEYS
    for key, value in CREATE_DEFAULTS.items():
        assert body[key] == value, key
    assert body["name"] == "minimal"
    assert body["owner"] == "p1"
    assert str(uuid.UUID(body["id"], version=4)) == body["id"]
    assert TIMESTAMP.match(body["created_at"])
    assert body["updated_at"] == body["created_at"]
    assert body["__some_meta_information__"] == "MINIMAL"
    assert "type_name" not in body
    assert "Location" not in response.headers


def test_create_response_is_utf8_json(user1):
    """§2: artifact responses are application/json; charset=UTF-8."""
    response = user1.post(SAMPLE_URL, {"name": "ctype"})
    assert response.status_code == 201
    content_type = response.headers["Content-Type"].replace(" ", "").lower()
    assert content_type == "application/json;charset=utf-8"


def test_create_emits_non_ascii_literally(user1):
    """§2: non-ASCII characters are emitted literally, not \\u-escaped."""
    response = user1.post(SAMPLE_URL, {"name": "Привет мир", "str1": "é"})
    assert response.status_code == 201
    raw = response.get_data()
    assert "Привет мир".encode() in raw
    assert b"\\u" not in raw
    assert response.get_json()["name"] == "Привет мир"


def test_created_artifact_is_shown_identically(user1):
    created = user1.create(SAMPLE, name="shown", int1=3)
    assert user1.show(SAMPLE, created["id"]) == created


def test_create_ids_are_unique(user1):
    first = user1.create(SAMPLE, name="a")
    second = user1.create(SAMPLE, name="b")
    assert first["id"] != second["id"]


def test_create_unknown_type_is_404(user1):
    """Item 5: POST to an unknown type with a valid body → 404 TypeNotFound."""
    assert_error(user1.post("/artifacts/no_such_type", {"name": "x"}), 404, "TypeNotFound")


@pytest.mark.parametrize("raw", ['"just a string"', "[]", '[{"name": "x"}]', "42", "null",
                                 "true"])
def test_create_body_not_an_object_is_400_even_for_unknown_type(user1, raw):
    """Item 5: a body that is not a JSON object → 400, checked before the type lookup."""
    for url in (SAMPLE_URL, "/artifacts/no_such_type"):
        response = user1.post(url, data=raw, content_type="application/json")
        assert_error(response, 400)


@pytest.mark.parametrize("raw", ["{", "{'name': 'x'}", "name=x", ""])
def test_create_malformed_json_is_400_with_envelope(user1, raw):
    """§5.3/Q2: malformed JSON → 400, with the §5.1 envelope."""
    response = user1.post(SAMPLE_URL, data=raw, content_type="application/json")
    assert_error(response, 400)


@pytest.mark.parametrize("content_type", [
    "application/octet-stream",
    "text/plain",
    "application/json-patch+json",
    "application/x-www-form-urlencoded",
])
def test_create_with_wrong_content_type_is_415(user1, content_type):
    """Item 6: Content-Type other than application/json → 415."""
    response = user1.post(SAMPLE_URL, data='{"name": "x"}', content_type=content_type)
    assert_error(response, 415, "UnsupportedMediaType")
    assert user1.list(SAMPLE)["total_count"] == 0


def test_create_without_content_type_is_400(user1):
    """§7.3: a missing Content-Type → 400."""
    response = user1.post(SAMPLE_URL, data='{"name": "x"}')
    assert_error(response, 400)
    assert user1.list(SAMPLE)["total_count"] == 0


@pytest.mark.parametrize("content_type", [
    "application/json; charset=utf-8",
    "application/json;charset=UTF-8",
])
def test_create_content_type_parameters_are_ignored(user1, content_type):
    """§2: the media type is compared without parameters."""
    response = user1.post(SAMPLE_URL, data='{"name": "params"}', content_type=content_type)
    assert response.status_code == 201
    assert response.get_json()["name"] == "params"


# ---- caller (§7.3, §3.3; item 17) ----------------------------------------------------------


def test_create_without_project_is_403(user1):
    """§7.3: an authenticated caller without a project may not create."""
    response = user1.post(SAMPLE_URL, {"name": "x"}, headers={"X-Project-Id": ""})
    assert_error(response, 403)


def test_create_as_admin_owns_admin_project(admin):
    body = admin.create(SAMPLE, name="adm")
    assert body["owner"] == "admin-project"
    assert body["visibility"] == "private"


class TestAnonymousAllowed:
    @pytest.fixture
    def glare_settings(self):
        return {"GLARE_ALLOW_ANONYMOUS": True}

    def test_anonymous_create_is_403(self, anonymous, user1):
        """Item 17: anonymous (read-only) create → 403."""
        assert_error(anonymous.post(SAMPLE_URL, {"name": "anon"}), 403)
        assert user1.list(SAMPLE)["total_count"] == 0


def test_anonymous_create_without_anonymous_access_is_401(anonymous):
    """§3.2 noauth: no confirmed identity and anonymous access off → 401."""
    assert_error(anonymous.post(SAMPLE_URL, {"name": "anon"}), 401, "Unauthorized")


# ---- name (item 7, 8) ----------------------------------------------------------------------


@pytest.mark.parametrize("body", [
    {},
    {"version": "1.0"},
    {"name": ""},
    {"name": None},
    {"name": "n" * 256},
    {"name": 0},
    {"name": False},
    {"name": []},
    {"name": {}},
    {"name": ["a"]},
    {"name": {"a": "b"}},
])
def test_create_with_missing_or_invalid_name_is_400(user1, body):
    """Item 7: name must be present, truthy, a string value of 1..255 chars."""
    assert_error(user1.post(SAMPLE_URL, body), 400)
    assert user1.list(SAMPLE)["total_count"] == 0


@pytest.mark.parametrize("name", ["tt:t", "tt t", "tt,t", "n" * 255, "a", "tt/t", "Пример"])
def test_create_accepts_names(user1, name):
    """Item 8: names with ':', ' ', ',' and up to 255 chars are valid."""
    assert user1.create(SAMPLE, name=name)["name"] == name


@pytest.mark.parametrize(("value", "expected"), [(1, "1"), (1.5, "1.5"), (True, "True")])
def test_create_coerces_scalar_name_to_string(user1, value, expected):
    """§9.2 String coercion applies to name."""
    assert user1.create(SAMPLE, name=value)["name"] == expected


# ---- version (items 9, 11; §13.1) -----------------------------------------------------------


@pytest.mark.parametrize(("given", "expected"), [
    ("1.0", "1.0.0"),
    ("1", "1.0.0"),
    ("0.0", "0.0.0"),
    (1.0, "1.0.0"),
    (2, "2.0.0"),
    ("1-alpha", "1.0.0-alpha"),
    ("1:0", "1.0.0-0"),
    ("1:0:0", "1.0.0-0-0"),
    ("2:0-0", "2.0.0-0-0"),
    ("2.0.1-beta", "2.0.1-beta"),
    ("1000.0.1-alpha", "1000.0.1-alpha"),
    ("1.2.3", "1.2.3"),
    ("01.02.03", "1.2.3"),
    ("1.2.3rc1", "1.2.3-rc1"),
    ("1.0+build", "1.0.0+build"),
    ("1.0.0.5", "1.0.0+5"),
    ("1.0+a+b", "1.0.0+a.b"),
    ("1.0 beta", "1.0.0-beta"),
    ("1.0.0-rc.1+build.5", "1.0.0-rc.1+build.5"),
    ("65535.65535.65535", "65535.65535.65535"),
    ("1.0.0-123456", "1.0.0-123456"),
])
def test_create_normalizes_version(user1, given, expected):
    """Items 8, 11; §13.1: version input is coerced to SemVer."""
    assert user1.create(SAMPLE, name="v", version=given)["version"] == expected


@pytest.mark.parametrize("version", [
    "dummy_version", "", "t" * 256, "-1", ":", None, [], ["1.0"], {}, {"v": "1"},
])
def test_create_with_invalid_version_is_400(user1, version):
    """Item 9: non-SemVer-coercible versions → 400."""
    assert_error(user1.post(SAMPLE_URL, {"name": "v", "version": version}), 400)
    assert user1.list(SAMPLE)["total_count"] == 0


@pytest.mark.parametrize("version", ["65536.0.0", "1.65536.0", "1.0.65536", "1.0.0-1234567",
                                     "1.0.0-01", "1.0.0-" + ".".join(["1"] * 100)])
def test_create_with_out_of_range_version_is_400(user1, version):
    """§13.1 limits, Q5 adopted: component > 65535 or numeric prerelease > 6 digits → 400;
    an invalid SemVer result (leading zero in a numeric prerelease) → 400. So is a
    pre-release of so many numeric parts that its sort key (each padded to 6 digits)
    outgrows the 512 characters the databases index, on SQLite as on PostgreSQL."""
    assert_error(user1.post(SAMPLE_URL, {"name": "v", "version": version}), 400)


def test_create_with_the_longest_sortable_prerelease(user1):
    version = "1.0.0-" + ".".join(["1"] * 70)  # sort key: 17 + 70 * 7 - 1 = 506 characters
    assert user1.create(SAMPLE, name="v", version=version)["version"] == version


# ---- uniqueness (items 10, 18, 20; §12.2) ----------------------------------------------------


def test_create_duplicate_name_default_version_is_409(user1):
    """Item 10: same name and default version in the same project → 409."""
    user1.create(SAMPLE, name="test_af")
    assert_error(user1.post(SAMPLE_URL, {"name": "test_af"}), 409, "Conflict")
    assert user1.list(SAMPLE)["total_count"] == 1


@pytest.mark.parametrize(("first", "second"), [
    (None, "0.0"), (None, "0"), (None, "0.0.0"), ("1", "1.0"), ("1.0.0-beta", "1-beta"),
    (2.0, "2"),
])
def test_create_duplicate_with_normalized_equal_version_is_409(user1, first, second):
    """Item 10: versions are compared after normalization (0.0 == 0.0.0)."""
    values = {"name": "dup"} if first is None else {"name": "dup", "version": first}
    user1.create(SAMPLE, **values)
    assert_error(user1.post(SAMPLE_URL, {"name": "dup", "version": second}), 409, "Conflict")


@pytest.mark.parametrize(("first", "second"), [
    ("1.0.0", "1.0.1"), ("1.0.0", "1.0.0-beta"), ("1.0.0", "1.0.0+a"), ("1.0.0+a", "1.0.0+b"),
])
def test_create_same_name_different_version_is_allowed(user1, first, second):
    """§12.2: different versions (build metadata included) do not conflict."""
    user1.create(SAMPLE, name="same", version=first)
    assert user1.create(SAMPLE, name="same", version=second)["version"] == second


def test_create_same_name_other_name_is_allowed(user1):
    user1.create(SAMPLE, name="one")
    assert user1.create(SAMPLE, name="two")["name"] == "two"


def test_create_same_name_version_in_another_project_is_allowed(user1, user2):
    """Item 18: user2 may create test_af 0.0.0 although user1 has one."""
    mine = user1.create(SAMPLE, name="test_af")
    theirs = user2.create(SAMPLE, name="test_af")
    assert theirs["owner"] == "p2"
    assert theirs["id"] != mine["id"]


def test_create_same_name_after_delete_is_allowed(user1):
    """§12.2: deleted artifacts do not take part in uniqueness."""
    first = user1.create(SAMPLE, name="gone")
    assert user1.delete(f"{SAMPLE_URL}/{first['id']}").status_code == 204
    assert user1.create(SAMPLE, name="gone")["name"] == "gone"


def test_create_private_duplicate_of_published_artifact_is_allowed(user1, admin):
    """Item 20: after user1's test_af 0.0.0 is activated and published, user1 can create
    another private test_af 0.0.0."""
    first = user1.create(SAMPLE, name="test_af")
    activate(user1, first["id"])
    assert publish(admin, first["id"])["visibility"] == "public"
    second = user1.post(SAMPLE_URL, {"name": "test_af"})
    assert second.status_code == 201, second.get_data(as_text=True)
    body = second.get_json()
    assert body["visibility"] == "private"
    assert body["version"] == "0.0.0"
    assert body["id"] != first["id"]


# ---- forbidden keys (items 13-16) -------------------------------------------------------------


@pytest.mark.parametrize("body", [
    {"visibility": "private"},
    {"visibility": "public"},
    {"status": "drafted"},
    {"status": "active"},
    {"display_type_name": "Sample Artifact"},
    {"display_type_name": "Other"},
])
def test_create_with_lifecycle_or_display_keys_is_400(user1, body):
    """Item 13: visibility (even private), status, display_type_name → 400."""
    assert_error(user1.post(SAMPLE_URL, {"name": "x", **body}), 400)
    assert user1.list(SAMPLE)["total_count"] == 0


@pytest.mark.parametrize("body", [
    {"system_attribute": "value"},
    {"id": UNKNOWN_ID},
    {"owner": "p1"},
    {"owner": "p2"},
    {"created_at": "2019-03-01T10:00:00Z"},
    {"updated_at": "2019-03-01T10:00:00Z"},
    {"activated_at": "2019-03-01T10:00:00Z"},
])
def test_create_with_system_field_is_403(user1, body):
    """Item 14: a system field in the body → 403."""
    assert_error(user1.post(SAMPLE_URL, {"name": "x", **body}), 403)
    assert user1.list(SAMPLE)["total_count"] == 0


@pytest.mark.parametrize("body", [
    {"blob": "DATA"},
    {"blob": {"url": "http://example.com/x", "md5": "abc"}},
    {"blob": {}},
    {"small_blob": "DATA"},
    {"small_blob": {"url": "http://example.com/x"}},
    {"dict_of_blobs": {"key": "DATA"}},
    {"dict_of_blobs": {"key": {"url": "http://example.com/x"}}},
    {"dict_of_blobs": "DATA"},
    {"blob": None},  # §7.3 step 4: the field itself is refused, whatever its value
    {"small_blob": None},
    {"dict_of_blobs": None},
])
def test_create_with_blob_value_is_400(user1, body):
    """Item 15: blob and folder fields cannot be given at create → 400."""
    assert_error(user1.post(SAMPLE_URL, {"name": "x", **body}), 400)
    assert user1.list(SAMPLE)["total_count"] == 0


@pytest.mark.parametrize("body", [
    {"string1": "x"},
    {"": "x"},
    {"type_name": SAMPLE},
    {"__some_meta_information__": "X"},
    {"Name2": "x"},
])
def test_create_with_unknown_field_is_400(user1, body):
    """Item 16: unknown field names (including the empty name) → 400."""
    assert_error(user1.post(SAMPLE_URL, {"name": "x", **body}), 400)
    assert user1.list(SAMPLE)["total_count"] == 0


# ---- check order (§7.3: coercion → uniqueness → quota → per-field) ---------------------------


def test_create_coercion_failure_wins_over_uniqueness(user1):
    user1.create(SAMPLE, name="dup")
    assert_error(user1.post(SAMPLE_URL, {"name": "dup", "int1": "not a number"}), 400)


def test_create_blob_value_fails_before_uniqueness(user1):
    """§7.3 step 1: "blob": "DATA" fails coercion (400) before the 409 check."""
    user1.create(SAMPLE, name="dup")
    assert_error(user1.post(SAMPLE_URL, {"name": "dup", "blob": "DATA"}), 400)


@pytest.mark.parametrize("extra", [{"string1": "x"}, {"system_attribute": "x"}])
def test_create_uniqueness_wins_over_per_field_checks(user1, extra):
    """§7.3 step 2 before step 4: unknown or system fields on a duplicate → 409."""
    user1.create(SAMPLE, name="dup")
    assert_error(user1.post(SAMPLE_URL, {"name": "dup", **extra}), 409, "Conflict")


# ---- tags (item 12; §14) ----------------------------------------------------------------------


def test_create_tags_stored_as_set(user1):
    """Item 12: tags are stored as a set (order not guaranteed)."""
    body = user1.create(SAMPLE, name="t", tags=["tag1", "tag2"])
    assert sorted(body["tags"]) == ["tag1", "tag2"]


def test_create_duplicate_tags_collapse(user1):
    """Item 12: ["a","a","b"] → {a, b}."""
    body = user1.create(SAMPLE, name="t", tags=["a", "a", "b"])
    assert sorted(body["tags"]) == ["a", "b"]
    assert sorted(user1.show(SAMPLE, body["id"])["tags"]) == ["a", "b"]


@pytest.mark.parametrize("tags", [None, []])
def test_create_null_or_empty_tags_are_empty_list(user1, tags):
    """§14: tags null or [] → []."""
    assert user1.create(SAMPLE, name="t", tags=tags)["tags"] == []


def test_create_tags_at_limits(user1):
    """§8: up to 255 tags of up to 255 chars each."""
    tags = [f"tag{i}" for i in range(254)] + ["t" * 255]
    body = user1.create(SAMPLE, name="t", tags=tags)
    assert sorted(body["tags"]) == sorted(tags)


@pytest.mark.parametrize("tags", [
    ["t" * 256],
    [""],
    ["a/b"],
    ["a,b"],
    [f"tag{i}" for i in range(256)],
    "tag1",
    {"tag1": "x"},
    [["tag1"]],
    ["\U0001f600"],
])
def test_create_with_invalid_tags_is_400(user1, tags):
    """Item 21: tag of 256 chars, empty tag, '/' or ',', 256 tags, non-list → 400."""
    assert_error(user1.post(SAMPLE_URL, {"name": "t", "tags": tags}), 400)
    assert user1.list(SAMPLE)["total_count"] == 0


# ---- description, metadata, 4-byte Unicode (item 21; §2, §8) ---------------------------------


def test_create_description_limits(user1):
    """Item 21: description up to 4096 chars; 4097 → 400; null → default ""."""
    assert user1.create(SAMPLE, name="d1", description="d" * 4096)["description"] == "d" * 4096
    assert_error(user1.post(SAMPLE_URL, {"name": "d2", "description": "d" * 4097}), 400)
    assert user1.create(SAMPLE, name="d3", description=None)["description"] == ""


def test_create_metadata_at_limits(user1):
    """§8: metadata keys and values 1..255 chars, up to 255 keys."""
    metadata = {f"k{i}": "v" for i in range(254)}
    metadata["k" * 255] = "v" * 255
    assert user1.create(SAMPLE, name="m", metadata=metadata)["metadata"] == metadata


@pytest.mark.parametrize("metadata", [
    {"key": "v" * 256},
    {"": "value"},
    {"k" * 256: "value"},
    {f"k{i}": "v" for i in range(256)},
    {"key": ""},
    {"key": ["a"]},
    {"key": {"a": "b"}},
    ["a"],
    "meta",
])
def test_create_with_invalid_metadata_is_400(user1, metadata):
    """Item 21: metadata value 256 chars, empty key, 256-char key, 256 keys → 400."""
    assert_error(user1.post(SAMPLE_URL, {"name": "m", "metadata": metadata}), 400)
    assert user1.list(SAMPLE)["total_count"] == 0


def test_create_metadata_values_coerced_to_strings(user1):
    """§9.2: dict of String coerces scalar values to text."""
    body = user1.create(SAMPLE, name="m", metadata={"a": 1, "b": True})
    assert body["metadata"] == {"a": "1", "b": "True"}


@pytest.mark.parametrize("body", [
    {"name": "smile \U0001f600"},
    {"name": "ok", "description": "\U0001f600"},
    {"name": "ok", "str1": "a\U0001f600"},
    {"name": "ok", "metadata": {"k": "\U0001f600"}},
    {"name": "ok", "metadata": {"\U0001f600": "v"}},
    {"name": "ok", "dict_of_str": {"\U0001f600": "v"}},
    {"name": "ok", "list_of_str": ["\U0001f600"]},
])
def test_create_with_4_byte_unicode_is_400(user1, body):
    """§2, item 21: characters outside the BMP in artifact data → 400."""
    assert_error(user1.post(SAMPLE_URL, body), 400)
    assert user1.list(SAMPLE)["total_count"] == 0


# ---- full create (item 19) --------------------------------------------------------------------


def test_create_with_all_settable_fields_echoes_values(user1):
    """Item 19: every non-blob, non-system field is stored and echoed exactly."""
    target = user1.create(SAMPLE, name="target")
    other = user1.create(SAMPLE, name="other")
    values = {
        "name": "full",
        "version": "3.1.4",
        "description": "all the fields",
        "metadata": {"team": "infra"},
        "link1": link_to(target),
        "link2": link_to(other),
        "bool1": True,
        "bool2": False,
        "int1": 2048,
        "int2": -7,
        "float1": 123.456,
        "float2": -0.5,
        "str1": "bugaga",
        "list_of_str": ["aaa", "bbb"],
        "list_of_int": [1, 2, 3],
        "dict_of_str": {"pr1": "val1", "pr2": "val2"},
        "dict_of_int": {"1": 10, "2": 20},
        "dict_of_links": {"t": link_to(target)},
        "list_of_links": [link_to(target), link_to(other)],
        "string_mutable": "mutable",
        "string_regex": "167f8083",
        "string_required": "required",
        "string_validators": "bb",
        "int_validators": 15,
        "list_validators": ["x", "y", "z"],
        "dict_validators": {"abc": "1", "ghi": "2"},
        "metadata_attribute": "meta",
    }
    body = user1.create(SAMPLE, tags=["web", "db"], **values)
    for key, value in values.items():
        assert body[key] == value, key
    assert sorted(body["tags"]) == ["db", "web"]
    assert body["status"] == "drafted"
    assert body["system_attribute"] == "default"
    assert body["blob"] is None
    assert body["dict_of_blobs"] == {}
    assert user1.show(SAMPLE, body["id"]) == body


# ---- item 22: a type with a non-nullable field without default --------------------------------


class StrictSchema(BaseArtifactSchema):
    mandatory = fields.String(nullable=False, required_on_activate=False)
    defaulted = fields.String(nullable=False, default="fallback", required_on_activate=False)


class StrictArtifact(ArtifactType):
    name = "strict_artifacts"
    display_name = "Strict Artifacts"
    version = "1.0"
    schema = StrictSchema


class StrictPlugin:
    @hookimpl
    def glare_register_artifact_types(self, app):
        return [StrictArtifact]


class TestNonNullableFieldWithoutDefault:
    """Item 22 / §9.1: a non-nullable field without default is mandatory at create."""

    @pytest.fixture
    def glare_plugins(self):
        import glare_sample_artifact

        return [glare_sample_artifact, StrictPlugin()]

    def test_create_without_mandatory_field_is_400(self, user1):
        assert_error(user1.post("/artifacts/strict_artifacts", {"name": "s"}), 400)
        assert user1.list("strict_artifacts")["total_count"] == 0

    def test_create_with_mandatory_null_is_400(self, user1):
        body = {"name": "s", "mandatory": None}
        assert_error(user1.post("/artifacts/strict_artifacts", body), 400)

    def test_create_with_mandatory_field_is_201_and_sibling_defaulted(self, user1):
        body = user1.create("strict_artifacts", name="s", mandatory="here")
        assert body["mandatory"] == "here"
        assert body["defaulted"] == "fallback"
        assert body["display_type_name"] == "Strict Artifacts"


# ---- timestamps --------------------------------------------------------------------------------


def test_create_sets_fresh_timestamps(user1):
    """§7.3: created_at = updated_at = now (second precision, UTC)."""
    before = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 1))
    body = user1.create(SAMPLE, name="ts")
    after = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 1))
    assert before <= body["created_at"] <= after
    assert body["updated_at"] == body["created_at"]
    assert body["activated_at"] is None
