"""Authentication modes (contract §3, §31 #4, #17) and JSON-Schema output (§7.1, §19, §28,
Q14-Q16, §31 #3)."""

from __future__ import annotations

import re
from typing import Any

import jsonschema
import pytest

from tests.api.helpers import (
    ACTIVATE,
    BASE_FIELDS,
    PUBLISH,
    SAMPLE_FIELDS,
    assert_envelope,
    make_public,
)
from tests.conftest import SAMPLE, SAMPLE_URL

# =============================================================================================
# noauth mode (the default strategy)
# =============================================================================================


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [("GET", "/schemas", None), ("GET", SAMPLE_URL, None), ("POST", SAMPLE_URL, {"name": "a"}),
     ("GET", f"/schemas/{SAMPLE}", None), ("GET", "/artifacts/all", None)],
)
@pytest.mark.parametrize(
    "headers",
    [{}, {"X-Identity-Status": "Invalid", "X-Project-Id": "p1"},
     {"X-Project-Id": "p1", "X-User-Id": "u1", "X-Roles": "admin"},
     {"X-Identity-Status": "confirmed-ish", "X-Project-Id": "p1"}],
)
def test_noauth_without_confirmed_identity_is_401(glare_app, method, path, body, headers):
    """§3.2 noauth: X-Identity-Status ≠ Confirmed and no anonymous access → 401."""
    response = glare_app.test_client().open(path, method=method, json=body, headers=headers)
    assert_envelope(response, 401, "Unauthorized")


def test_noauth_unauthenticated_show_is_401(user1, anonymous):
    art = user1.create(SAMPLE, name="a")
    assert_envelope(anonymous.get(f"{SAMPLE_URL}/{art['id']}"), 401, "Unauthorized")
    assert_envelope(anonymous.delete(f"{SAMPLE_URL}/{art['id']}"), 401, "Unauthorized")
    assert user1.show(SAMPLE, art["id"])["status"] == "drafted"


def test_noauth_identity_headers_build_the_context(glare_app):
    client = glare_app.test_client()
    headers = {"X-Identity-Status": "Confirmed", "X-Project-Id": "proj-x", "X-User-Id": "ux",
               "X-Roles": " member , reader "}
    response = client.post(SAMPLE_URL, json={"name": "ctx"}, headers=headers)
    assert response.status_code == 201
    assert response.get_json()["owner"] == "proj-x"


def test_noauth_legacy_tenant_header(glare_app):
    headers = {"X-Identity-Status": "Confirmed", "X-Tenant-Id": "legacy", "X-Roles": "member"}
    response = glare_app.test_client().post(SAMPLE_URL, json={"name": "t"}, headers=headers)
    assert response.status_code == 201
    assert response.get_json()["owner"] == "legacy"


@pytest.mark.parametrize("roles", ["admin", "Admin", "ADMIN", "member, Admin ", " admin"])
def test_noauth_admin_role_is_case_insensitive(user1, roles):
    """§3.1: role names compare case-insensitively; whitespace around roles is stripped."""
    art = user1.create(SAMPLE, name="private")
    caller = user1.as_user("other-project", roles=[r.strip() for r in roles.split(",")])
    assert caller.get(f"{SAMPLE_URL}/{art['id']}").status_code == 200


def test_noauth_raw_roles_header_with_spaces(glare_app, user1):
    art = user1.create(SAMPLE, name="private")
    headers = {"X-Identity-Status": "Confirmed", "X-Project-Id": "other",
               "X-Roles": " reader ,  Admin  "}
    response = glare_app.test_client().get(f"{SAMPLE_URL}/{art['id']}", headers=headers)
    assert response.status_code == 200


def test_noauth_non_admin_role_does_not_see_other_projects(user1):
    art = user1.create(SAMPLE, name="private")
    caller = user1.as_user("other", roles=["administrator", "admins"])
    assert_envelope(caller.get(f"{SAMPLE_URL}/{art['id']}"), 404)


@pytest.mark.parametrize("catalog", ["{not json", "[" * 5000 + "]" * 5000, "[" * 5000])
def test_invalid_service_catalog_is_400(user1, catalog):
    """Q29 adopted: invalid X-Service-Catalog JSON → 400 (upstream 500); so is JSON nested
    too deep to decode."""
    response = user1.get(SAMPLE_URL, headers={"X-Service-Catalog": catalog})
    assert_envelope(response, 400)


def test_project_id_longer_than_an_owner_is_400(user1):
    """The project owns what it creates: an id over 255 characters is refused, on SQLite as
    on PostgreSQL (whose column would refuse it)."""
    response = user1.post(SAMPLE_URL, {"name": "x"}, headers={"X-Project-Id": "p" * 256})
    assert_envelope(response, 400)
    ok = user1.post(SAMPLE_URL, {"name": "x"}, headers={"X-Project-Id": "p" * 255})
    assert ok.status_code == 201
    assert ok.get_json()["owner"] == "p" * 255


def test_valid_service_catalog_is_accepted(user1):
    response = user1.get(SAMPLE_URL, headers={"X-Service-Catalog": '[{"type": "x"}]'})
    assert response.status_code == 200


class TestNoauthAnonymous:
    """§3.3: anonymous access enabled → read-only context seeing public artifacts only."""

    @pytest.fixture
    def glare_settings(self):
        return {"GLARE_ALLOW_ANONYMOUS": True}

    def test_anonymous_reads(self, user1, admin, anonymous):
        private = user1.create(SAMPLE, name="private")
        public = make_public(user1, admin)
        assert anonymous.get("/schemas").status_code == 200
        listing = anonymous.list(SAMPLE)
        assert [a["id"] for a in listing["artifacts"]] == [public["id"]]
        assert listing["total_count"] == 1
        assert anonymous.show(SAMPLE, public["id"])["visibility"] == "public"
        assert_envelope(anonymous.get(f"{SAMPLE_URL}/{private['id']}"), 404)

    def test_anonymous_create_is_403(self, anonymous, admin):
        """§31 #17."""
        assert_envelope(anonymous.post(SAMPLE_URL, {"name": "anon"}), 403)
        assert admin.list(SAMPLE)["total_count"] == 0

    def test_anonymous_writes_are_403(self, user1, admin, anonymous):
        public = make_public(user1, admin)
        url = f"{SAMPLE_URL}/{public['id']}"
        response = anonymous.patch(url, [{"op": "replace", "path": "/description",
                                          "value": "x"}])
        assert_envelope(response, 403)
        assert_envelope(anonymous.delete(url), 403)
        assert admin.show(SAMPLE, public["id"]) == public

    def test_unconfirmed_identity_headers_are_anonymous(self, glare_app, user1, admin):
        public = make_public(user1, admin)
        user1.create(SAMPLE, name="private")
        response = glare_app.test_client().get(
            SAMPLE_URL, headers={"X-Identity-Status": "Invalid", "X-Project-Id": "p1"}
        )
        assert response.status_code == 200
        assert [a["id"] for a in response.get_json()["artifacts"]] == [public["id"]]


# =============================================================================================
# trusted-auth mode (§3.2, §31 #4)
# =============================================================================================


class TestTrustedAuth:
    @pytest.fixture
    def glare_settings(self):
        return {"GLARE_AUTH_STRATEGY": "trusted-auth"}

    @pytest.fixture
    def client(self, glare_app):
        return glare_app.test_client()

    @staticmethod
    def call(client, method, path, token=None, body=None, **headers):
        if token is not None:
            headers["X-Auth-Token"] = token
        return client.open(path, method=method, json=body, headers=headers)

    def test_valid_token_gives_user_project_roles(self, client):
        response = self.call(client, "POST", SAMPLE_URL, "user1:tenant1:role1,role2",
                             {"name": "tok"})
        assert response.status_code == 201, response.get_data(as_text=True)
        art = response.get_json()
        assert art["owner"] == "tenant1"
        shown = self.call(client, "GET", f"{SAMPLE_URL}/{art['id']}", "user1:tenant1:role1,role2")
        assert shown.status_code == 200
        # Another project cannot see it (scoping by the token's project).
        other = self.call(client, "GET", f"{SAMPLE_URL}/{art['id']}", "user2:tenant2:role1")
        assert_envelope(other, 404)

    def test_token_project_longer_than_an_owner_is_400(self, client):
        response = self.call(client, "POST", SAMPLE_URL, f"u:{'p' * 256}:member", {"name": "x"})
        assert_envelope(response, 400)

    def test_request_id_prefix_once(self, client):
        response = self.call(client, "GET", SAMPLE_URL, "user1:tenant1:role1,role2")
        assert response.status_code == 200
        request_id = response.headers["x-openstack-request-id"]
        assert request_id.startswith("req-")
        assert request_id.count("req-") == 1

    @pytest.mark.parametrize(
        "token",
        [None, "", "   ", "WRONG_FORMAT", "user1:tenant1:role1:role2", "user1:tenant1",
         "user1::role", "a:b:c:d"],
    )
    @pytest.mark.parametrize(("method", "path"), [("GET", SAMPLE_URL), ("GET", "/schemas")])
    def test_bad_tokens_are_401(self, client, token, method, path):
        assert_envelope(self.call(client, method, path, token), 401, "Unauthorized")

    def test_noauth_headers_are_not_an_identity(self, client):
        response = client.get(SAMPLE_URL, headers={"X-Identity-Status": "Confirmed",
                                                    "X-Project-Id": "p1", "X-Roles": "admin"})
        assert_envelope(response, 401, "Unauthorized")

    def test_whitespace_is_stripped(self, client):
        response = self.call(client, "POST", SAMPLE_URL, "  user1:tenant1: role1 , role2  ",
                             {"name": "ws"})
        assert response.status_code == 201, response.get_data(as_text=True)
        assert response.get_json()["owner"] == "tenant1"

    def test_empty_roles_part(self, client):
        response = self.call(client, "POST", SAMPLE_URL, "user1:tenant1:", {"name": "nr"})
        assert response.status_code == 201
        assert response.get_json()["owner"] == "tenant1"

    @pytest.mark.parametrize("roles", ["admin", "Admin", "role1, ADMIN"])
    def test_admin_role_case_insensitive(self, client, roles):
        created = self.call(client, "POST", SAMPLE_URL, "u:tenant1:member", {"name": "p"})
        art_id = created.get_json()["id"]
        response = self.call(client, "GET", f"{SAMPLE_URL}/{art_id}", f"boss:adm:{roles}")
        assert response.status_code == 200
        non_admin = self.call(client, "GET", f"{SAMPLE_URL}/{art_id}", "x:adm:role1")
        assert_envelope(non_admin, 404)

    @pytest.mark.parametrize("project", ["none", "None", "NONE"])
    def test_none_project_without_anonymous_is_401(self, client, project):
        assert_envelope(self.call(client, "GET", SAMPLE_URL, f"user1:{project}:"), 401)


class TestTrustedAuthAnonymous:
    @pytest.fixture
    def glare_settings(self):
        return {"GLARE_AUTH_STRATEGY": "trusted-auth", "GLARE_ALLOW_ANONYMOUS": True}

    @pytest.fixture
    def client(self, glare_app):
        return glare_app.test_client()

    @pytest.fixture
    def artifacts(self, client):
        owner = {"X-Auth-Token": "u1:tenant1:member"}
        admin = {"X-Auth-Token": "root:adm:admin"}
        private = client.post(SAMPLE_URL, json={"name": "private"}, headers=owner).get_json()
        public = client.post(SAMPLE_URL, json={"name": "public"}, headers=owner).get_json()
        url = f"{SAMPLE_URL}/{public['id']}"
        assert client.patch(url, json=ACTIVATE, headers={
            **owner, "Content-Type": "application/json-patch+json"}).status_code == 200
        assert client.patch(url, json=PUBLISH, headers={
            **admin, "Content-Type": "application/json-patch+json"}).status_code == 200
        return private, public

    @pytest.mark.parametrize("headers", [{"X-Auth-Token": "user1:none:"},
                                         {"X-Auth-Token": "user1:NONE:role1"}, {}])
    def test_anonymous_is_read_only(self, client, artifacts, headers):
        private, public = artifacts
        listing = client.get(SAMPLE_URL, headers=headers)
        assert listing.status_code == 200
        assert [a["id"] for a in listing.get_json()["artifacts"]] == [public["id"]]
        assert client.get(f"{SAMPLE_URL}/{public['id']}", headers=headers).status_code == 200
        assert_envelope(client.get(f"{SAMPLE_URL}/{private['id']}", headers=headers), 404)
        assert_envelope(client.post(SAMPLE_URL, json={"name": "x"}, headers=headers), 403)
        assert_envelope(client.delete(f"{SAMPLE_URL}/{public['id']}", headers=headers), 403)

    def test_malformed_token_is_still_401(self, client):
        assert_envelope(client.get(SAMPLE_URL, headers={"X-Auth-Token": "WRONG_FORMAT"}), 401)


# =============================================================================================
# Schemas (§7.1, §19, §28, §31 #3)
# =============================================================================================

SYSTEM_FIELDS = {"id", "owner", "created_at", "updated_at", "activated_at",
                 "display_type_name", "system_attribute"}
NUMERIC_OPS = ["eq", "neq", "in", "gt", "gte", "lt", "lte"]
BLOB_KEYS = {"size", "md5", "sha1", "sha256", "external", "status", "content_type"}
# Nullable fields of the sample type (everything except these base fields).
NOT_NULLABLE = {"id", "name", "owner", "status", "created_at", "updated_at", "visibility",
                "version"}


@pytest.fixture
def schemas(user1) -> dict:
    response = user1.get("/schemas")
    assert response.status_code == 200
    return response.get_json()["schemas"]


@pytest.fixture
def sample_schema(schemas) -> dict:
    return schemas[SAMPLE]


def test_schemas_lists_sample_and_all(user1, schemas):
    assert set(schemas) == {SAMPLE, "all"}


@pytest.mark.parametrize("type_name", [SAMPLE, "all"])
def test_schema_of_one_type(user1, schemas, type_name):
    response = user1.get(f"/schemas/{type_name}")
    assert response.status_code == 200
    assert response.mimetype == "application/schema+json"
    assert response.get_json() == {"schemas": {type_name: schemas[type_name]}}


@pytest.mark.parametrize("type_name", ["images", "unknown", "Sample_Artifact"])
def test_schema_of_unknown_type_is_404(user1, type_name):
    assert_envelope(user1.get(f"/schemas/{type_name}"), 404, "TypeNotFound")


@pytest.mark.parametrize("type_name", [SAMPLE, "all"])
def test_every_schema_is_valid_draft4(schemas, type_name):
    jsonschema.Draft4Validator.check_schema(schemas[type_name])


def test_sample_schema_header(sample_schema):
    assert sample_schema["name"] == SAMPLE
    assert sample_schema["display_name"] == "Sample Artifact"
    assert sample_schema["version"] == "1.0"
    assert sample_schema["title"] == "Artifact type sample_artifact of version 1.0"
    assert sample_schema["type"] == "object"
    assert sample_schema["required"] == ["name"]
    assert set(sample_schema["properties"]) == BASE_FIELDS | SAMPLE_FIELDS


def test_all_schema_header(schemas):
    schema = schemas["all"]
    assert schema["name"] == "all"
    assert schema["display_name"] == "All Artifacts"
    assert schema["type"] == "object"
    assert schema["required"] == ["name"]
    assert set(schema["properties"]) == BASE_FIELDS | {"type_name"}
    assert schema["title"] == f"Artifact type all of version {schema['version']}"


@pytest.mark.parametrize("type_name", [SAMPLE, "all"])
def test_annotation_keywords_on_every_field(schemas, type_name):
    """§19: glareType and filter_ops always; required_on_activate only when false; readOnly,
    mutable and sortable only as true."""
    for name, entry in schemas[type_name]["properties"].items():
        assert isinstance(entry["glareType"], str), name
        assert isinstance(entry["filter_ops"], list), name
        assert entry.get("required_on_activate", False) is False, name
        for flag in ("readOnly", "mutable", "sortable"):
            assert entry.get(flag, True) is True, (name, flag)


def test_read_only_marks_system_fields(sample_schema):
    flagged = {n for n, e in sample_schema["properties"].items() if e.get("readOnly")}
    assert flagged == SYSTEM_FIELDS


def test_nullable_types(sample_schema):
    for name, entry in sample_schema["properties"].items():
        if name in NOT_NULLABLE:
            assert isinstance(entry["type"], str), name
        else:
            assert isinstance(entry["type"], list) and "null" in entry["type"], name


# Expected field entries: keyword → value (absent keys listed separately).
FIELD_EXPECTATIONS: list[tuple[str, dict[str, Any], set[str]]] = [
    ("id", {"type": "string", "glareType": "String", "readOnly": True, "sortable": True,
            "maxLength": 255, "filter_ops": ["eq", "neq", "in"]},
     {"mutable", "required_on_activate"}),
    ("name", {"type": "string", "glareType": "String", "sortable": True, "minLength": 1,
              "maxLength": 255, "required_on_activate": False,
              "filter_ops": ["like", "eq", "neq", "in"]},
     {"readOnly", "mutable"}),
    ("owner", {"type": "string", "readOnly": True, "sortable": True, "maxLength": 255,
               "required_on_activate": False, "filter_ops": ["eq", "neq", "in"]},
     {"mutable"}),
    ("status", {"type": "string", "glareType": "String", "mutable": True, "sortable": True,
                "default": "drafted", "enum": ["drafted", "active", "deactivated", "deleted"],
                "filter_ops": ["eq", "neq", "in"]},
     {"readOnly", "required_on_activate"}),
    ("created_at", {"type": "string", "glareType": "DateTime", "format": "date-time",
                    "readOnly": True, "sortable": True, "filter_ops": ["lt", "gt"]},
     {"mutable", "required_on_activate"}),
    ("updated_at", {"type": "string", "glareType": "DateTime", "format": "date-time",
                    "readOnly": True, "mutable": True, "sortable": True,
                    "filter_ops": ["lt", "gt"]},
     {"required_on_activate"}),
    ("activated_at", {"type": ["string", "null"], "glareType": "DateTime",
                      "format": "date-time", "readOnly": True, "sortable": True,
                      "required_on_activate": False, "filter_ops": ["lt", "gt"]},
     {"mutable", "default"}),
    ("description", {"type": ["string", "null"], "glareType": "String", "mutable": True,
                     "maxLength": 4096, "default": "", "required_on_activate": False,
                     "filter_ops": []},
     {"readOnly", "sortable"}),
    ("tags", {"type": ["array", "null"], "glareType": "StringList", "mutable": True,
              "maxItems": 255, "uniqueItems": True, "default": [],
              "required_on_activate": False, "filter_ops": []},
     {"readOnly", "sortable"}),
    ("metadata", {"type": ["object", "null"], "glareType": "StringDict", "maxProperties": 255,
                  "default": {}, "required_on_activate": False,
                  "filter_ops": ["eq", "neq", "in"]},
     {"readOnly", "sortable", "mutable"}),
    ("visibility", {"type": "string", "glareType": "String", "mutable": True,
                    "sortable": True, "default": "private", "enum": ["private", "public"],
                    "filter_ops": ["eq", "neq", "in"]},
     {"readOnly", "required_on_activate"}),
    ("version", {"type": "string", "glareType": "String", "sortable": True,
                 "default": "0.0.0", "required_on_activate": False,
                 "filter_ops": NUMERIC_OPS},
     {"readOnly", "mutable"}),
    ("display_type_name", {"type": ["string", "null"], "glareType": "String",
                           "readOnly": True, "sortable": True, "maxLength": 255,
                           "required_on_activate": False,
                           "filter_ops": ["like", "eq", "neq", "in"]},
     {"mutable"}),
    ("blob", {"type": ["object", "null"], "glareType": "Blob", "mutable": True,
              "required_on_activate": False, "filter_ops": [], "description": "I am Blob",
              "additionalProperties": False},
     {"readOnly", "sortable", "default"}),
    ("small_blob", {"type": ["object", "null"], "glareType": "Blob", "mutable": True,
                    "required_on_activate": False, "filter_ops": []},
     {"readOnly", "sortable", "default"}),
    ("dict_of_blobs", {"type": ["object", "null"], "glareType": "BlobDict",
                       "required_on_activate": False, "filter_ops": [], "default": {}},
     {"readOnly", "sortable", "mutable"}),
    ("link1", {"type": ["string", "null"], "glareType": "Link", "required_on_activate": False,
               "filter_ops": ["eq", "neq"]},
     {"readOnly", "sortable", "mutable", "default"}),
    ("bool1", {"type": ["boolean", "null"], "glareType": "Boolean", "default": False,
               "required_on_activate": False, "filter_ops": ["eq"]},
     {"readOnly", "sortable", "mutable"}),
    ("int1", {"type": ["integer", "null"], "glareType": "Integer", "sortable": True,
              "required_on_activate": False, "filter_ops": NUMERIC_OPS},
     {"readOnly", "mutable", "default"}),
    ("float1", {"type": ["number", "null"], "glareType": "Float", "sortable": True,
                "required_on_activate": False, "filter_ops": NUMERIC_OPS},
     {"readOnly", "mutable", "default"}),
    ("str1", {"type": ["string", "null"], "glareType": "String", "sortable": True,
              "maxLength": 255, "required_on_activate": False,
              "filter_ops": ["like", "eq", "neq", "in"]},
     {"readOnly", "mutable", "default"}),
    ("list_of_str", {"type": ["array", "null"], "glareType": "StringList", "maxItems": 255,
                     "default": [], "required_on_activate": False, "filter_ops": ["eq", "in"]},
     {"readOnly", "mutable", "sortable"}),
    ("list_of_int", {"type": ["array", "null"], "glareType": "IntegerList", "maxItems": 255,
                     "default": [], "required_on_activate": False, "filter_ops": ["eq", "in"]},
     {"readOnly", "mutable", "sortable"}),
    ("dict_of_str", {"type": ["object", "null"], "glareType": "StringDict",
                     "maxProperties": 255, "default": {}, "required_on_activate": False,
                     "filter_ops": ["eq", "in"]},
     {"readOnly", "mutable", "sortable"}),
    ("dict_of_int", {"type": ["object", "null"], "glareType": "IntegerDict",
                     "maxProperties": 255, "default": {}, "required_on_activate": False,
                     "filter_ops": ["eq", "in"]},
     {"readOnly", "mutable", "sortable"}),
    ("dict_of_links", {"type": ["object", "null"], "glareType": "LinkDict", "mutable": True,
                       "default": {}, "required_on_activate": False, "filter_ops": ["eq"]},
     {"readOnly", "sortable"}),
    ("list_of_links", {"type": ["array", "null"], "glareType": "LinkList", "mutable": True,
                       "default": [], "required_on_activate": False, "filter_ops": ["eq"]},
     {"readOnly", "sortable"}),
    ("string_mutable", {"type": ["string", "null"], "glareType": "String", "mutable": True,
                        "maxLength": 255, "required_on_activate": False,
                        "filter_ops": ["eq", "neq", "in"]},
     {"readOnly", "sortable", "default"}),
    ("string_regex", {"type": ["string", "null"], "glareType": "String",
                      "pattern": "^([0-9a-fA-F]){8}$", "required_on_activate": False,
                      "filter_ops": ["eq", "neq", "in"]},
     {"readOnly", "sortable", "mutable"}),
    ("string_required", {"type": ["string", "null"], "glareType": "String",
                         "maxLength": 255, "filter_ops": ["eq", "neq", "in"]},
     {"readOnly", "sortable", "mutable", "required_on_activate", "default"}),
    ("string_validators", {"type": ["string", "null"], "glareType": "String",
                           "enum": ["aa", "bb", "ccccccccccc"], "maxLength": 10,
                           "required_on_activate": False, "filter_ops": ["eq", "neq", "in"]},
     {"readOnly", "sortable", "mutable"}),
    ("int_validators", {"type": ["integer", "null"], "glareType": "Integer", "minimum": 10,
                        "maximum": 20, "required_on_activate": False,
                        "filter_ops": NUMERIC_OPS},
     {"readOnly", "sortable", "mutable"}),
    ("list_validators", {"type": ["array", "null"], "glareType": "StringList", "maxItems": 3,
                         "uniqueItems": True, "required_on_activate": False,
                         "filter_ops": [], "default": []},
     {"readOnly", "sortable", "mutable"}),
    ("dict_validators", {"type": ["object", "null"], "glareType": "StringDict",
                         "maxProperties": 3, "additionalProperties": False,
                         "required_on_activate": False, "filter_ops": []},
     {"readOnly", "sortable", "mutable", "default"}),
    ("system_attribute", {"type": ["string", "null"], "glareType": "String",
                          "readOnly": True, "sortable": True, "default": "default",
                          "maxLength": 255, "filter_ops": ["eq", "neq", "in"]},
     {"required_on_activate", "mutable"}),
    ("metadata_attribute", {"type": ["string", "null"], "glareType": "String",
                            "default": "default", "maxLength": 255,
                            "metadata": {"metadata1": "value1", "metadata2": "blahblahblah"},
                            "filter_ops": ["eq", "neq", "in"]},
     {"required_on_activate", "readOnly", "sortable", "mutable"}),
]


def _normalize(key: str, value: Any) -> Any:
    # filter_ops and enum are compared as sets: their order carries no meaning.
    if key in ("filter_ops",) and isinstance(value, list):
        return sorted(value)
    if key == "type" and isinstance(value, list):
        return sorted(value)
    return value


@pytest.mark.parametrize(("field", "expected", "absent"), FIELD_EXPECTATIONS,
                         ids=[f[0] for f in FIELD_EXPECTATIONS])
def test_field_entry(sample_schema, field, expected, absent):
    entry = sample_schema["properties"][field]
    for key, value in expected.items():
        assert key in entry, f"{field}: missing {key}"
        assert _normalize(key, entry[key]) == _normalize(key, value), (field, key, entry[key])
    for key in absent:
        assert key not in entry, f"{field}: unexpected {key}={entry[key]!r}"


def test_id_pattern_is_uuid(sample_schema):
    pattern = sample_schema["properties"]["id"]["pattern"]
    assert re.search(pattern, "0f8d7a55-3c1e-4c1e-9b0e-5b2a4c3d2e11")
    assert not re.search(pattern, "not-a-uuid")


def test_version_pattern_is_plain_anchored_regex(sample_schema):
    """Q15 adopted: a plain regex (not wrapped in /…/) that accepts semver."""
    pattern = sample_schema["properties"]["version"]["pattern"]
    assert not (pattern.startswith("/") and pattern.endswith("/"))
    assert pattern.startswith("^") and pattern.endswith("$")
    for good in ("0.0.0", "1.0.0", "2.0.1-beta", "1.0.0-alpha.1+build.5", "20.0.0"):
        assert re.search(pattern, good), good
    for bad in ("dummy_version", ""):
        assert not re.search(pattern, bad), bad


def test_tags_items(sample_schema):
    items = sample_schema["properties"]["tags"]["items"]
    assert "string" in (items["type"] if isinstance(items["type"], list) else [items["type"]])
    assert items["maxLength"] == 255
    assert items["minLength"] == 1
    pattern = items["pattern"]  # ForbiddenChars(",/")
    assert re.search(pattern, "tag")
    assert not re.search(pattern, "a,b")
    assert not re.search(pattern, "a/b")


@pytest.mark.parametrize(
    ("field", "elem_type", "extra"),
    [("list_of_str", "string", {"maxLength": 255}), ("list_of_int", "integer", {}),
     ("list_validators", "string", {"maxLength": 255}), ("list_of_links", "string", {})],
)
def test_list_items(sample_schema, field, elem_type, extra):
    items = sample_schema["properties"][field]["items"]
    item_type = items["type"] if isinstance(items["type"], list) else [items["type"]]
    assert elem_type in item_type
    for key, value in extra.items():
        assert items[key] == value


@pytest.mark.parametrize(
    ("field", "elem_type", "extra"),
    [("dict_of_str", "string", {"maxLength": 255}), ("dict_of_int", "integer", {}),
     ("metadata", "string", {"maxLength": 255, "minLength": 1}),
     ("dict_of_links", "string", {})],
)
def test_dict_values(sample_schema, field, elem_type, extra):
    values = sample_schema["properties"][field]["additionalProperties"]
    value_type = values["type"] if isinstance(values["type"], list) else [values["type"]]
    assert elem_type in value_type
    for key, value in extra.items():
        assert values[key] == value


def test_dict_validators_allowed_keys(sample_schema):
    """§19: AllowedDictKeys → properties per key ([elem, null]) + additionalProperties false."""
    entry = sample_schema["properties"]["dict_validators"]
    assert entry["additionalProperties"] is False
    assert set(entry["properties"]) == {"abc", "def", "ghi", "jkl"}
    for key_schema in entry["properties"].values():
        assert sorted(key_schema["type"]) == ["null", "string"]
    assert entry["maxProperties"] == 3


def _blob_schema_checks(blob: dict) -> None:
    assert sorted(blob["type"]) == ["null", "object"]
    props = blob["properties"]
    assert set(props) >= BLOB_KEYS
    assert sorted(props["size"]["type"]) == ["null", "number"]
    for digest in ("md5", "sha1", "sha256"):
        assert sorted(props[digest]["type"]) == ["null", "string"]
    assert props["external"]["type"] == "boolean"
    assert sorted(props["status"]["enum"]) == ["active", "saving"]
    assert "string" in (props["content_type"]["type"]
                        if isinstance(props["content_type"]["type"], list)
                        else [props["content_type"]["type"]])
    # Q14 adopted: url is allowed (string or null), since outputs carry it.
    assert sorted(props["url"]["type"]) == ["null", "string"]
    assert set(blob["required"]) >= BLOB_KEYS
    assert blob["additionalProperties"] is False


@pytest.mark.parametrize("field", ["blob", "small_blob"])
def test_blob_schema(sample_schema, field):
    _blob_schema_checks(sample_schema["properties"][field])


def test_folder_schema(sample_schema):
    folder = sample_schema["properties"]["dict_of_blobs"]
    _blob_schema_checks(folder["additionalProperties"])


def test_blob_schema_accepts_an_output_blob(sample_schema):
    """Q14: a blob as rendered in output (with url) validates against the blob schema."""
    blob = {"url": f"{SAMPLE_URL}/x/blob", "size": 3, "md5": "a", "sha1": "b",
            "sha256": "c", "external": False, "status": "active", "content_type": "text/plain"}
    jsonschema.Draft4Validator(sample_schema["properties"]["blob"]).validate(blob)
    jsonschema.Draft4Validator(sample_schema["properties"]["dict_of_blobs"]).validate(
        {"a/b.txt": blob}
    )


def test_all_schema_type_name(schemas):
    entry = schemas["all"]["properties"]["type_name"]
    assert entry["glareType"] == "String"
    assert entry["sortable"] is True
    assert entry["maxLength"] == 255
    assert sorted(entry["filter_ops"]) == sorted(["like", "eq", "neq", "in"])


def test_created_artifact_validates_against_its_schema(user1, sample_schema):
    art = user1.create(
        SAMPLE, name="valid", version="1.2", tags=["a"], int1=3, float1=1.5, str1="s",
        list_of_str=["x"], dict_of_str={"k": "v"}, dict_validators={"abc": "x"},
        string_regex="167f8083", string_validators="aa", int_validators=15,
        metadata={"m": "v"},
    )
    jsonschema.Draft4Validator(sample_schema).validate(art)


def test_all_listing_validates_against_all_schema(user1, schemas):
    user1.create(SAMPLE, name="valid")
    listing = user1.list("all")
    assert listing["total_count"] == 1
    jsonschema.Draft4Validator(schemas["all"]).validate(listing["artifacts"][0])


def test_schema_rejects_invalid_values(sample_schema):
    """The emitted validator keywords mirror the server-side validators."""
    validator = jsonschema.Draft4Validator(sample_schema)
    for bad in ({"name": "x", "int_validators": 9}, {"name": "x", "string_validators": "cc"},
                {"name": "x", "string_regex": "INVALID"},
                {"name": "x", "list_validators": ["a", "a"]},
                {"name": "x", "dict_validators": {"aaa": "x"}},
                {"name": "x", "status": "deleting"}, {"name": "x", "str1": "t" * 256}):
        assert not validator.is_valid(bad), bad
