"""API tests for ``PATCH /artifacts/{type}/{id}`` field updates (contract §7.5, §17, §12.2,
§14, §9.5; §31 items 30-41, 59-68, 70, 137, 138), against the ``sample_artifact`` type."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from glare_core.engine.patch import MAX_PATCH_OPERATIONS
from tests.api.helpers import (
    activate,
    add,
    assert_error,
    link_to,
    move,
    publish,
    remove,
    replace,
    url,
)
from tests.conftest import SAMPLE, SAMPLE_URL

# Collected parameters must be the same in every process (pytest-xdist): a fixed id
# that no artifact has.
UNKNOWN_ID = "7d0c6f2e-93b1-4f4a-8e65-2b9d3c1a5f80"

JSON_PATCH = "application/json-patch+json"


@pytest.fixture
def art(user1) -> dict:
    """A drafted artifact of user1 (project p1)."""
    return user1.create(SAMPLE, name="art", version="1.0", int1=5, str1="s",
                        list_of_str=["a", "b"], dict_of_str={"a": "1"})


# ---- transport (items 31, 33; §7.5) ------------------------------------------------------------


@pytest.mark.parametrize("raw", [
    '{"op": "replace", "path": "/str1", "value": "x"}',
    '"replace /str1"',
    "42",
    "null",
    "{}",
    '{"op": "replace"',
    "not json",
    "",
])
def test_patch_body_that_is_not_an_array_is_400(user1, art, raw):
    """Item 31: a single op object, a string, or anything but a JSON array → 400."""
    response = user1.request("PATCH", url(art["id"]), data=raw, content_type=JSON_PATCH)
    assert_error(response, 400)
    assert user1.show(SAMPLE, art["id"]) == art


@pytest.mark.parametrize("content_type", ["application/json", "text/plain",
                                          "application/octet-stream"])
def test_patch_with_wrong_content_type_is_415(user1, art, content_type):
    """Item 33: PATCH with Content-Type application/json (or another type) → 415."""
    response = user1.patch(url(art["id"]), [replace("/str1", "x")], content_type=content_type)
    assert_error(response, 415, "UnsupportedMediaType")
    assert user1.show(SAMPLE, art["id"])["str1"] == "s"


def test_patch_without_content_type_is_400(user1, art):
    """§7.5: a missing Content-Type → 400."""
    response = user1.request("PATCH", url(art["id"]), data='[{"op": "replace", "path": "/str1", '
                                                     '"value": "x"}]')
    assert_error(response, 400)
    assert user1.show(SAMPLE, art["id"])["str1"] == "s"


def test_patch_content_type_parameters_are_ignored(user1, art):
    """§2: the media type is compared without parameters."""
    response = user1.patch(url(art["id"]), [replace("/str1", "x")],
                           content_type="application/json-patch+json; charset=utf-8")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["str1"] == "x"


def test_patch_response_is_full_artifact(user1, art):
    """§7.5: 200 with the full updated artifact, equal to a subsequent show."""
    body = user1.update(SAMPLE, art["id"], replace("/str1", "new"))
    assert set(body) == set(art)
    assert body == user1.show(SAMPLE, art["id"])
    assert {k: v for k, v in body.items() if k not in ("str1", "updated_at")} == \
        {k: v for k, v in art.items() if k not in ("str1", "updated_at")}


def test_patch_empty_array_changes_nothing(user1, art):
    """§7.5 step 5: nothing changed → the artifact is returned as is."""
    assert user1.update(SAMPLE, art["id"]) == art


# ---- malformed operations (item 70) --------------------------------------------------------


MALFORMED_PATHS = [None, "/", "//", "name/", "*/*", "", 1, "str1"]


@pytest.mark.parametrize("path", MALFORMED_PATHS)
@pytest.mark.parametrize("op", ["add", "replace"])
@pytest.mark.parametrize("with_value", [True, False])
def test_patch_malformed_path_is_400(user1, art, path, op, with_value):
    """Item 70: path null, '/', '//', 'name/', '*/*' (with or without value) → 400."""
    operation: dict[str, Any] = {"op": op, "path": path}
    if with_value:
        operation["value"] = "x"
    assert_error(user1.patch(url(art["id"]), [operation]), 400)
    assert user1.show(SAMPLE, art["id"]) == art


@pytest.mark.parametrize("operation", [
    {"op": "add", "path": "/name"},
    {"op": "replace", "path": "/name"},
    {"op": "replace", "path": "/str1"},
    {"op": "no-op", "path": "/name", "value": "x"},
    {"op": "replace_invalid", "path": "/status", "value": "active"},
    {"op": "REPLACE", "path": "/str1", "value": "x"},
    {"op": None, "path": "/str1", "value": "x"},
    {"path": "/str1", "value": "x"},
    {"op": "replace", "value": "x"},
    {"op": "move", "path": "/str1"},
    {"op": "copy", "path": "/list_of_str/-"},
    {"op": "move", "from": None, "path": "/tags/-"},
    "replace",
    ["replace", "/str1", "x"],
    None,
])
def test_patch_malformed_operation_is_400(user1, art, operation):
    """Item 70: missing value for add/replace, unknown op, missing op/path/from → 400."""
    assert_error(user1.patch(url(art["id"]), [operation]), 400)
    assert user1.show(SAMPLE, art["id"]) == art


def test_patch_operations_are_counted_up_to_the_limit(user1, art):
    """A patch may hold MAX_PATCH_OPERATIONS operations; one more is a 413, and nothing of
    it is applied."""
    ops = [replace("/int1", n) for n in range(MAX_PATCH_OPERATIONS)]
    assert user1.update(SAMPLE, art["id"], *ops)["int1"] == MAX_PATCH_OPERATIONS - 1
    before = user1.show(SAMPLE, art["id"])
    response = user1.patch(url(art["id"]), [replace("/int1", 9)] * (MAX_PATCH_OPERATIONS + 1))
    body = assert_error(response, 413)
    assert f"at most {MAX_PATCH_OPERATIONS} operations" in body["error"]["message"]
    assert user1.show(SAMPLE, art["id"]) == before


def test_patch_failing_test_op_is_400(user1, art):
    """§17: a failed `test` op → 400."""
    ops = [{"op": "test", "path": "/str1", "value": "other"}, replace("/int1", 9)]
    assert_error(user1.patch(url(art["id"]), ops), 400)
    assert user1.show(SAMPLE, art["id"])["int1"] == 5


def test_patch_passing_test_op_applies_following_ops(user1, art):
    """§17: `test` is a standard op; when it passes the patch goes on."""
    body = user1.update(SAMPLE, art["id"], {"op": "test", "path": "/str1", "value": "s"},
                        replace("/int1", 9))
    assert body["int1"] == 9


def check_op(path: str, value: Any) -> dict[str, Any]:
    return {"op": "test", "path": path, "value": value}


def test_test_ops_compare_any_field_without_change_rules(user1, art):
    """§17: `test` compares on the artifact's image and changes nothing, so it works on
    the lifecycle, system and blob fields a change could not touch: a client can check
    the status before changing it."""
    assert user1.update(SAMPLE, art["id"], check_op("/status", "drafted"),
                        check_op("/visibility", "private"), check_op("/id", art["id"]),
                        check_op("/blob", None)) == art
    assert_error(user1.patch(url(art["id"]), [check_op("/status", "active")]), 400)
    activated = user1.update(SAMPLE, art["id"], check_op("/status", "drafted"),
                             replace("/string_required", "x"), replace("/status", "active"))
    assert activated["status"] == "active"
    # later ops see the image as the earlier ones left it
    assert_error(user1.patch(url(art["id"]), [replace("/description", "d"),
                                              check_op("/description", "other")]), 400)
    assert user1.update(SAMPLE, art["id"], replace("/description", "d"),
                        check_op("/description", "d"))["description"] == "d"
    assert_error(user1.patch(url(art["id"]), [check_op("/no_such_field", 1)]), 400)


def test_patch_is_all_or_nothing(user1, art):
    """§7.5: ops are applied to an image and saved once; a later failing op → nothing saved."""
    ops = [replace("/str1", "changed"), replace("/int1", 7), add("/unknown_field", 1)]
    assert_error(user1.patch(url(art["id"]), ops), 400)
    assert user1.show(SAMPLE, art["id"]) == art


def test_patch_ops_apply_in_order(user1, art):
    """§7.5 step 4: operations are applied one by one in order."""
    body = user1.update(SAMPLE, art["id"], replace("/str1", "first"), replace("/str1", "second"),
                        replace("/int1", 1), replace("/int1", 2))
    assert body["str1"] == "second"
    assert body["int1"] == 2


# ---- access (§7.5 step 1-2, §12.1, §20) ----------------------------------------------------


def test_patch_unknown_type_is_404(user1, art):
    """§6: unknown type → 404 TypeNotFound."""
    response = user1.patch(f"/artifacts/no_such_type/{art['id']}", [replace("/str1", "x")])
    assert_error(response, 404, "TypeNotFound")


@pytest.mark.parametrize("artifact_id", [UNKNOWN_ID, "111111"])
def test_patch_unknown_id_is_404(user1, artifact_id):
    response = user1.patch(f"{SAMPLE_URL}/{artifact_id}", [replace("/str1", "x")])
    assert_error(response, 404)


def test_patch_other_projects_private_artifact_is_404(user1, user2, art):
    """§12.1: invisible ⇒ 404, never 403."""
    assert_error(user2.patch(url(art["id"]), [replace("/str1", "x")]), 404)
    assert user1.show(SAMPLE, art["id"])["str1"] == "s"


def test_admin_may_patch_other_projects_artifact(user1, admin, art):
    """§20: admin edits any private drafted artifact; the owner stays the same."""
    body = admin.update(SAMPLE, art["id"], replace("/str1", "by-admin"))
    assert body["str1"] == "by-admin"
    assert body["owner"] == "p1"


def test_public_artifact_is_editable_by_admin_only(user1, user2, admin, art):
    """§12.3, §20: public ⇒ owner 403, other member 403, admin 200."""
    activate(user1, art["id"])
    publish(admin, art["id"])
    assert_error(user1.patch(url(art["id"]), [replace("/string_mutable", "o")]), 403)
    assert_error(user2.patch(url(art["id"]), [replace("/string_mutable", "o")]), 403)
    assert admin.update(SAMPLE, art["id"], replace("/string_mutable", "a"))["string_mutable"] \
        == "a"


class TestAnonymous:
    @pytest.fixture
    def glare_settings(self):
        return {"GLARE_ALLOW_ANONYMOUS": True}

    def test_anonymous_patch_of_private_artifact_is_404(self, anonymous, user1, art):
        """§20 matrix: anonymous cannot see private artifacts → 404."""
        assert_error(anonymous.patch(url(art["id"]), [replace("/str1", "x")]), 404)
        assert user1.show(SAMPLE, art["id"])["str1"] == "s"

    def test_anonymous_patch_of_public_artifact_is_403(self, anonymous, user1, admin, art):
        """§3.3: anonymous users get 403 on every write to a visible artifact."""
        activate(user1, art["id"])
        publish(admin, art["id"])
        assert_error(anonymous.patch(url(art["id"]), [replace("/string_mutable", "x")]), 403)
        assert user1.show(SAMPLE, art["id"])["string_mutable"] is None


# ---- name and version (items 30, 32, 35, 40, 46) ---------------------------------------------


@pytest.mark.parametrize(("given", "expected"), [
    ("2.0", "2.0.0"), (2.0, "2.0.0"), ("1-alpha", "1.0.0-alpha"), ("3", "3.0.0"),
    ("1:0", "1.0.0-0"), ("2.0.1-beta", "2.0.1-beta"),
])
def test_patch_version_on_drafted_is_normalized(user1, art, given, expected):
    """Items 30, 46: replace /version on a drafted artifact → 200, normalized."""
    assert user1.update(SAMPLE, art["id"], replace("/version", given))["version"] == expected


@pytest.mark.parametrize("version", ["dummy", "", "-1", ":", None, [], {}, "65536.0.0"])
def test_patch_invalid_version_is_400(user1, art, version):
    assert_error(user1.patch(url(art["id"]), [replace("/version", version)]), 400)
    assert user1.show(SAMPLE, art["id"])["version"] == "1.0.0"


@pytest.mark.parametrize(("given", "expected"), [(True, "True"), (1.0, "1.0"), (7, "7")])
def test_patch_name_coerced_to_string(user1, art, given, expected):
    """Item 46: name from true → "True", from 1.0 → "1.0"."""
    assert user1.update(SAMPLE, art["id"], replace("/name", given))["name"] == expected


@pytest.mark.parametrize("name", ["", None, "n" * 256, [], {}])
def test_patch_invalid_name_is_400(user1, art, name):
    assert_error(user1.patch(url(art["id"]), [replace("/name", name)]), 400)
    assert user1.show(SAMPLE, art["id"])["name"] == "art"


def test_rename_into_existing_name_version_is_409(user1, art):
    """Item 32: renaming onto an existing (name, version) of the same owner → 409."""
    user1.create(SAMPLE, name="blocker", version="1.0")
    assert_error(user1.patch(url(art["id"]), [replace("/name", "blocker")]), 409, "Conflict")
    assert user1.show(SAMPLE, art["id"])["name"] == "art"


def test_reversion_into_existing_name_version_is_409(user1, art):
    """Item 32: changing the version onto an existing one (normalized equality) → 409."""
    user1.create(SAMPLE, name="art", version="2.0")
    assert_error(user1.patch(url(art["id"]), [replace("/version", "2")]), 409, "Conflict")
    assert user1.show(SAMPLE, art["id"])["version"] == "1.0.0"


def test_rename_and_reversion_together_into_existing_is_409(user1, art):
    user1.create(SAMPLE, name="other", version="3.0")
    ops = [replace("/name", "other"), replace("/version", "3.0.0")]
    assert_error(user1.patch(url(art["id"]), ops), 409, "Conflict")


def test_rename_allowed_after_blocker_renamed_away(user1, art):
    """Item 32: once the blocker moves away, the rename succeeds."""
    blocker = user1.create(SAMPLE, name="blocker", version="1.0")
    assert_error(user1.patch(url(art["id"]), [replace("/name", "blocker")]), 409, "Conflict")
    user1.update(SAMPLE, blocker["id"], replace("/name", "moved"))
    assert user1.update(SAMPLE, art["id"], replace("/name", "blocker"))["name"] == "blocker"


def test_reversion_allowed_after_blocker_deleted(user1, art):
    """Item 32: once the blocker is deleted, the change succeeds."""
    blocker = user1.create(SAMPLE, name="art", version="2.0")
    assert_error(user1.patch(url(art["id"]), [replace("/version", "2.0")]), 409, "Conflict")
    assert user1.delete(url(blocker["id"])).status_code == 204
    assert user1.update(SAMPLE, art["id"], replace("/version", "2.0"))["version"] == "2.0.0"


def test_rename_onto_other_projects_name_is_allowed(user1, user2, art):
    """§12.2: private scope is per owner."""
    user2.create(SAMPLE, name="theirs", version="1.0")
    assert user1.update(SAMPLE, art["id"], replace("/name", "theirs"))["name"] == "theirs"


def test_rename_private_onto_public_name_version_is_allowed(user1, admin, art):
    """Item 40: a private artifact may take a public artifact's name/version."""
    public = user1.create(SAMPLE, name="pub", version="5.0")
    activate(user1, public["id"])
    publish(admin, public["id"])
    body = user1.update(SAMPLE, art["id"], replace("/name", "pub"), replace("/version", "5"))
    assert (body["name"], body["version"], body["visibility"]) == ("pub", "5.0.0", "private")


def test_replace_name_with_same_value_is_noop(user1, art):
    """Item 35, §7.5 step 5: no actual change → 200, updated_at unchanged."""
    time.sleep(1.1)
    body = user1.update(SAMPLE, art["id"], replace("/name", "art"), replace("/int1", "5"),
                        replace("/version", "1.0"))
    assert body == art


def test_real_change_refreshes_updated_at_only(user1, art):
    """§7.5 step 7: updated_at = now on save; created_at is kept."""
    time.sleep(1.1)
    body = user1.update(SAMPLE, art["id"], replace("/str1", "changed"))
    assert body["updated_at"] > art["updated_at"]
    assert body["created_at"] == art["created_at"]
    assert body["activated_at"] is None


# ---- change rules (items 34, 36, 37, 38, 39) ---------------------------------------------------


def test_replace_tags_with_string_is_400(user1, art):
    """Item 34."""
    assert_error(user1.patch(url(art["id"]), [replace("/tags", "tag1")]), 400)
    assert user1.show(SAMPLE, art["id"])["tags"] == []


@pytest.mark.parametrize("operation", [
    add("/string1", "x"),
    replace("/string1", "x"),
    add("/dict_of_blob/x", "x"),
    replace("/type_name", SAMPLE),
    replace("/__some_meta_information__", "X"),
])
def test_patch_unknown_field_is_400(user1, art, operation):
    """Items 36, 65: unknown fields → 400."""
    assert_error(user1.patch(url(art["id"]), [operation]), 400)
    assert user1.show(SAMPLE, art["id"]) == art


@pytest.mark.parametrize("field", ["string_required", "str1", "tags", "metadata", "name",
                                   "list_of_str", "dict_of_str", "int1"])
def test_remove_whole_field_is_400(user1, art, field):
    """Item 36, §17: remove of a top-level field → 400 (use replace with null)."""
    assert_error(user1.patch(url(art["id"]), [remove(f"/{field}")]), 400)
    assert user1.show(SAMPLE, art["id"]) == art


@pytest.mark.parametrize(("field", "value"), [
    ("system_attribute", "x"),
    ("system_attribute", None),
    ("id", UNKNOWN_ID),
    ("id", None),
    ("owner", "p2"),
    ("owner", "p1"),
    ("created_at", "2019-03-01T10:00:00Z"),
    ("updated_at", "2019-03-01T10:00:00Z"),
    ("activated_at", "2019-03-01T10:00:00Z"),
    ("display_type_name", "Other"),
])
@pytest.mark.parametrize("op", ["replace", "add"])
def test_patch_system_field_is_403(user1, art, field, value, op):
    """Item 37: system fields (also with null) → 403."""
    response = user1.patch(url(art["id"]), [{"op": op, "path": f"/{field}", "value": value}])
    assert_error(response, 403)
    assert user1.show(SAMPLE, art["id"]) == art


def test_admin_patch_system_field_is_403(admin, art):
    """Item 37: system fields are read-only for admins too."""
    assert_error(admin.patch(url(art["id"]), [replace("/system_attribute", "x")]), 403)


@pytest.mark.parametrize("operation", [
    replace("/blob", "DATA"),
    replace("/blob", {"url": "http://example.com/x", "size": 1}),
    replace("/blob", {}),
    replace("/blob", None),
    add("/blob", "DATA"),
    replace("/small_blob", None),
    add("/dict_of_blobs/-", "x"),
    add("/dict_of_blobs/key", {"url": "http://example.com/x"}),
    replace("/dict_of_blobs", {}),
    replace("/dict_of_blobs", None),
    add("/dict_of_blobs", {"k": "x"}),
])
def test_patch_blob_or_folder_field_is_400(user1, art, operation):
    """Items 38, 69: blob/folder fields are managed by the blob API only → 400."""
    assert_error(user1.patch(url(art["id"]), [operation]), 400)
    assert user1.show(SAMPLE, art["id"]) == art


def test_patch_many_fields_in_one_request(user1, art):
    """Item 39: one patch replacing many fields → all values applied."""
    values = {
        "bool1": True,
        "int1": 2048,
        "float1": 123.456,
        "str1": "bugaga",
        "list_of_str": ["x", "y"],
        "list_of_int": [3, 1, 2],
        "dict_of_str": {"pr1": "val1"},
        "dict_of_int": {"1": 10},
        "string_mutable": "mut",
        "string_required": "req",
        "description": "desc",
        "metadata": {"k": "v"},
    }
    body = user1.set_fields(SAMPLE, art["id"], **values)
    for key, value in values.items():
        assert body[key] == value, key
    assert user1.show(SAMPLE, art["id"]) == body


# ---- after activation (item 41) -----------------------------------------------------------


@pytest.fixture
def active(user1, art) -> dict:
    return activate(user1, art["id"])


@pytest.mark.parametrize("operation", [
    replace("/name", "renamed"),
    replace("/version", "9.0"),
    replace("/str1", "x"),
    replace("/str1", None),
    replace("/int1", 6),
    replace("/float1", 1.5),
    replace("/bool1", True),
    replace("/list_of_str", ["z"]),
    add("/list_of_str/-", "z"),
    replace("/list_of_str/0", "z"),
    replace("/dict_of_str", {"z": "z"}),
    add("/dict_of_str/z", "z"),
    remove("/dict_of_str/a"),
    replace("/link1", None),
    replace("/string_required", "y"),
    replace("/string_regex", "167f8083"),
    replace("/metadata_attribute", "m"),
    replace("/metadata", {"k": "v"}),
    add("/metadata/k", "v"),
    replace("/metadata", None),
])
def test_immutable_field_after_activation_is_403(user1, active, operation):
    """Item 41: after activation immutable fields (incl. metadata, §8) → 403."""
    assert_error(user1.patch(url(active["id"]), [operation]), 403)
    assert user1.show(SAMPLE, active["id"]) == active


@pytest.mark.parametrize(("operation", "field", "expected"), [
    (replace("/string_mutable", "m"), "string_mutable", "m"),
    (replace("/string_mutable", None), "string_mutable", None),
    (replace("/description", "new"), "description", "new"),
    (replace("/tags", ["t1", "t2"]), "tags", ["t1", "t2"]),
    (add("/tags/-", "t3"), "tags", ["t3"]),
    (add("/tags", ["t4"]), "tags", ["t4"]),
])
def test_mutable_field_after_activation_is_200(user1, active, operation, field, expected):
    """Item 41: string_mutable, description, tags (replace/add) → 200 after activation."""
    body = user1.update(SAMPLE, active["id"], operation)
    value = sorted(body[field]) if field == "tags" else body[field]
    assert value == expected
    assert body["status"] == "active"


def test_mutable_link_fields_after_activation(user1, active):
    """§28: dict_of_links and list_of_links are mutable."""
    target = user1.create(SAMPLE, name="target")
    body = user1.update(SAMPLE, active["id"], add("/dict_of_links/k", link_to(target)),
                        add("/list_of_links/-", link_to(target)))
    assert body["dict_of_links"] == {"k": link_to(target)}
    assert body["list_of_links"] == [link_to(target)]


def test_admin_is_bound_by_immutability_after_activation(admin, active):
    """§7.5: change rules apply to every caller."""
    assert_error(admin.patch(url(active["id"]), [replace("/str1", "x")]), 403)


def test_mixed_patch_with_immutable_field_after_activation_saves_nothing(user1, active):
    ops = [replace("/string_mutable", "m"), replace("/int1", 99)]
    assert_error(user1.patch(url(active["id"]), ops), 403)
    assert user1.show(SAMPLE, active["id"])["string_mutable"] is None


@pytest.mark.parametrize("operation", [
    move("/tags/0", "/metadata/moved"),
    move("/list_of_str/0", "/tags/-"),
    move("/dict_of_str/a", "/tags/-"),
    {"op": "copy", "from": "/tags/0", "path": "/metadata/copied"},
])
def test_move_touching_immutable_field_after_activation_is_403(user1, active, operation):
    """§17, Q25 adopted: change rules apply to both the source and the destination of a move
    (and the destination of a copy)."""
    active = user1.update(SAMPLE, active["id"], replace("/tags", ["t1"]))
    assert_error(user1.patch(url(active["id"]), [operation]), 403)
    assert user1.show(SAMPLE, active["id"]) == active


def test_move_between_mutable_fields_after_activation(user1, active):
    active = user1.update(SAMPLE, active["id"], replace("/tags", ["t1"]))
    body = user1.update(SAMPLE, active["id"], move("/tags/0", "/string_mutable"))
    assert body["tags"] == []
    assert body["string_mutable"] == "t1"


# ---- dict operations (items 59-67) -------------------------------------------------------------


def test_dict_add_whole_with_string_is_400(user1, art):
    """Item 60: add /dict_of_str with a string → 400."""
    assert_error(user1.patch(url(art["id"]), [add("/dict_of_str", "string")]), 400)
    assert user1.show(SAMPLE, art["id"])["dict_of_str"] == {"a": "1"}


def test_dict_add_key_sets_and_overwrites(user1, art):
    """Item 60, §17: add to a new key sets it; add to an existing key overwrites."""
    body = user1.update(SAMPLE, art["id"], add("/dict_of_str/new", "v1"))
    assert body["dict_of_str"] == {"a": "1", "new": "v1"}
    body = user1.update(SAMPLE, art["id"], add("/dict_of_str/new", "v2"))
    assert body["dict_of_str"] == {"a": "1", "new": "v2"}


def test_dict_add_empty_key_is_400(user1, art):
    """Item 60: add /dict_of_str/ (empty key) → 400."""
    assert_error(user1.patch(url(art["id"]), [add("/dict_of_str/", "v")]), 400)
    assert user1.show(SAMPLE, art["id"])["dict_of_str"] == {"a": "1"}


def test_dict_replace_existing_key(user1, art):
    """Item 61: replace of an existing key → 200."""
    body = user1.update(SAMPLE, art["id"], replace("/dict_of_str/a", "changed"))
    assert body["dict_of_str"] == {"a": "changed"}


def test_dict_replace_missing_key_is_400(user1, art):
    """Item 61: replace of a missing key → 400."""
    assert_error(user1.patch(url(art["id"]), [replace("/dict_of_str/non_exist", "v")]), 400)
    assert user1.show(SAMPLE, art["id"])["dict_of_str"] == {"a": "1"}


def test_dict_remove_key(user1, art):
    """Item 62: remove of a key → key gone; removing it again → 400."""
    user1.update(SAMPLE, art["id"], add("/dict_of_str/new", "v"))
    body = user1.update(SAMPLE, art["id"], remove("/dict_of_str/new"))
    assert body["dict_of_str"] == {"a": "1"}
    assert_error(user1.patch(url(art["id"]), [remove("/dict_of_str/new")]), 400)
    assert_error(user1.patch(url(art["id"]), [remove("/dict_of_str/never")]), 400)


def test_dict_add_whole_replaces_it(user1, art):
    """Item 63: add /dict_of_str with an object replaces the dict; with {} empties it."""
    body = user1.update(SAMPLE, art["id"], add("/dict_of_str", {"x": "1", "y": "2"}))
    assert body["dict_of_str"] == {"x": "1", "y": "2"}
    body = user1.update(SAMPLE, art["id"], add("/dict_of_str", {}))
    assert body["dict_of_str"] == {}


def test_dict_value_coercion_through_key_path(user1, art):
    """Item 64: a list value for a string dict → 400; 1 → "1"."""
    assert_error(user1.patch(url(art["id"]), [add("/dict_of_str/wrong_type", [1, 2, 4])]), 400)
    body = user1.update(SAMPLE, art["id"], add("/dict_of_str/wrong_type", 1))
    assert body["dict_of_str"] == {"a": "1", "wrong_type": "1"}


def test_dict_of_int_key_path_coerces_and_validates(user1, art):
    body = user1.update(SAMPLE, art["id"], add("/dict_of_int/one", "1"))
    assert body["dict_of_int"] == {"one": 1}
    assert_error(user1.patch(url(art["id"]), [add("/dict_of_int/two", "two")]), 400)


def test_dict_key_too_long_is_400(user1, art):
    """§9.4 defaults: dict keys 1..255 chars."""
    assert user1.update(SAMPLE, art["id"], add("/dict_of_str/" + "k" * 255, "v"))[
        "dict_of_str"]["k" * 255] == "v"
    assert_error(user1.patch(url(art["id"]), [add("/dict_of_str/" + "k" * 256, "v")]), 400)


def test_dict_add_beyond_max_keys_is_400(user1, art):
    """§17: values written through sub-paths are validated as the whole field (≤255 keys)."""
    full = {f"k{i}": "v" for i in range(255)}
    user1.update(SAMPLE, art["id"], replace("/dict_of_str", full))
    assert_error(user1.patch(url(art["id"]), [add("/dict_of_str/one_more", "v")]), 400)
    assert user1.show(SAMPLE, art["id"])["dict_of_str"] == full


def test_tags_and_metadata_sub_paths_in_one_patch(user1, art):
    """Item 66: add /tags/0, /tags/1 and /metadata/meta1 in one patch."""
    body = user1.update(SAMPLE, art["id"], add("/tags/0", "tag1"), add("/tags/1", "tag2"),
                        add("/metadata/meta1", "value1"))
    assert sorted(body["tags"]) == ["tag1", "tag2"]
    assert body["metadata"] == {"meta1": "value1"}


def test_move_tag_to_metadata(user1, art):
    """Item 67: move from /tags/0 to /metadata/meta2 → tag removed, metadata gains it."""
    current = user1.update(SAMPLE, art["id"], replace("/tags", ["tag1", "tag2"]),
                           add("/metadata/meta1", "value1"))
    first, *rest = current["tags"]
    body = user1.update(SAMPLE, art["id"], move("/tags/0", "/metadata/meta2"))
    assert body["tags"] == rest
    assert body["metadata"] == {"meta1": "value1", "meta2": first}


def test_move_between_dicts_and_onto_existing_key(user1, art):
    """Item 67: move between dict fields; moving onto an existing key overwrites it."""
    user1.update(SAMPLE, art["id"], add("/dict_of_str/wrong_type", "wt"),
                 add("/metadata/keep", "k"))
    body = user1.update(SAMPLE, art["id"], move("/dict_of_str/wrong_type",
                                                "/metadata/wrong_type"))
    assert body["dict_of_str"] == {"a": "1"}
    assert body["metadata"] == {"keep": "k", "wrong_type": "wt"}
    body = user1.update(SAMPLE, art["id"], move("/dict_of_str/a", "/metadata/keep"))
    assert body["dict_of_str"] == {}
    assert body["metadata"] == {"keep": "1", "wrong_type": "wt"}


def test_move_from_missing_source_is_400(user1, art):
    assert_error(user1.patch(url(art["id"]), [move("/dict_of_str/missing", "/metadata/x")]), 400)
    assert user1.show(SAMPLE, art["id"]) == art


def test_copy_list_item_to_dict(user1, art):
    """§17: copy is a standard op."""
    body = user1.update(SAMPLE, art["id"],
                        {"op": "copy", "from": "/list_of_str/1", "path": "/dict_of_str/b"})
    assert body["list_of_str"] == ["a", "b"]
    assert body["dict_of_str"] == {"a": "1", "b": "b"}


def test_move_into_unknown_field_is_400(user1, art):
    assert_error(user1.patch(url(art["id"]), [move("/dict_of_str/a", "/nothing/a")]), 400)
    assert user1.show(SAMPLE, art["id"]) == art


# ---- list operations (item 68) ----------------------------------------------------------------


@pytest.fixture
def listed(user1) -> dict:
    return user1.create(SAMPLE, name="lists")


def test_list_defaults_and_echo(user1, listed):
    """Item 68: created without → []; with ["a","b"] echoed."""
    assert listed["list_of_str"] == []
    assert user1.create(SAMPLE, name="l2", list_of_str=["a", "b"])["list_of_str"] == ["a", "b"]


def test_list_whole_value_operations(user1, listed):
    """Item 68: add whole → replaced; replace whole → replaced; add whole [] → []."""
    lid = listed["id"]
    assert user1.update(SAMPLE, lid, add("/list_of_str", ["b", "d"]))["list_of_str"] == \
        ["b", "d"]
    assert user1.update(SAMPLE, lid, replace("/list_of_str", ["x", "y", "z"]))[
        "list_of_str"] == ["x", "y", "z"]
    assert user1.update(SAMPLE, lid, add("/list_of_str", []))["list_of_str"] == []


def test_list_index_operations(user1, listed):
    """Item 68: append, prepend, insert, replace and remove by index."""
    lid = listed["id"]
    assert user1.update(SAMPLE, lid, add("/list_of_str/-", "val1"))["list_of_str"] == ["val1"]
    assert user1.update(SAMPLE, lid, add("/list_of_str/0", "val0"))["list_of_str"] == \
        ["val0", "val1"]
    assert user1.update(SAMPLE, lid, add("/list_of_str/1", "mid"))["list_of_str"] == \
        ["val0", "mid", "val1"]
    assert user1.update(SAMPLE, lid, add("/list_of_str/3", "end"))["list_of_str"] == \
        ["val0", "mid", "val1", "end"]
    assert user1.update(SAMPLE, lid, replace("/list_of_str/1", "MID"))["list_of_str"] == \
        ["val0", "MID", "val1", "end"]
    assert user1.update(SAMPLE, lid, remove("/list_of_str/1"))["list_of_str"] == \
        ["val0", "val1", "end"]


@pytest.mark.parametrize("operation", [
    add("/list_of_str/10", "x"),
    add("/list_of_str/3", "x"),
    replace("/list_of_str/-", "x"),
    replace("/list_of_str/99", "x"),
    replace("/list_of_str/2", "x"),
    remove("/list_of_str/-"),
    remove("/list_of_str/999"),
    remove("/list_of_str/2"),
    add("/list_of_str/abc", "x"),
    add("/list_of_str/-1", "x"),
    add("/list_of_str/-", ["nested"]),
])
def test_list_bad_index_operations_are_400(user1, operation):
    """Item 68: out-of-range index, '-' with replace/remove, non-integer index → 400."""
    created = user1.create(SAMPLE, name="l", list_of_str=["a", "b"])
    assert_error(user1.patch(url(created["id"]), [operation]), 400)
    assert user1.show(SAMPLE, created["id"]) == created


def test_list_of_int_element_coercion_through_index(user1, listed):
    body = user1.update(SAMPLE, listed["id"], add("/list_of_int/-", "7"),
                        add("/list_of_int/0", 1.9))
    assert body["list_of_int"] == [1, 7]
    assert_error(user1.patch(url(listed["id"]), [add("/list_of_int/-", "x")]), 400)


def test_list_append_beyond_max_items_is_400(user1, listed):
    """§17: the whole field is validated after a sub-path op (≤255 items)."""
    full = [str(i) for i in range(255)]
    user1.update(SAMPLE, listed["id"], replace("/list_of_str", full))
    assert_error(user1.patch(url(listed["id"]), [add("/list_of_str/-", "x")]), 400)
    assert user1.show(SAMPLE, listed["id"])["list_of_str"] == full


# ---- tags (§14; item 137) --------------------------------------------------------------------


def test_tags_patch_operations(user1, art):
    """§14: ops on /tags, /tags/-, /tags/<index>; duplicates collapse."""
    body = user1.update(SAMPLE, art["id"], replace("/tags", ["b", "a", "b"]))
    assert sorted(body["tags"]) == ["a", "b"]
    body = user1.update(SAMPLE, art["id"], add("/tags/-", "a"))
    assert sorted(body["tags"]) == ["a", "b"]
    body = user1.update(SAMPLE, art["id"], add("/tags/-", "c"))
    assert sorted(body["tags"]) == ["a", "b", "c"]
    removed = body["tags"][0]
    body = user1.update(SAMPLE, art["id"], remove("/tags/0"))
    assert sorted(body["tags"]) == sorted(set("abc") - {removed})
    body = user1.update(SAMPLE, art["id"], replace("/tags/0", "z"))
    assert "z" in body["tags"] and len(body["tags"]) == 2


@pytest.mark.parametrize("tags", [None, []])
def test_tags_cleared_with_null_or_empty(user1, art, tags):
    """§14: null or [] → []."""
    user1.update(SAMPLE, art["id"], replace("/tags", ["x"]))
    assert user1.update(SAMPLE, art["id"], replace("/tags", tags))["tags"] == []


@pytest.mark.parametrize("operation", [
    add("/tags/-", "a/b"),
    add("/tags/-", "a,b"),
    add("/tags/-", ""),
    add("/tags/-", "t" * 256),
    replace("/tags", [f"t{i}" for i in range(256)]),
    replace("/tags", {"a": "b"}),
    add("/tags/-", ["nested"]),
])
def test_invalid_tags_through_patch_are_400(user1, art, operation):
    """§14: each tag 1..255 chars without ',' or '/'; ≤255 tags."""
    assert_error(user1.patch(url(art["id"]), [operation]), 400)
    assert user1.show(SAMPLE, art["id"])["tags"] == []


def test_admin_replaces_tags_of_public_artifact(user1, admin, art):
    """Item 137: admin replaces tags of a public artifact; [] → []; null → []."""
    activate(user1, art["id"])
    publish(admin, art["id"])
    body = admin.update(SAMPLE, art["id"], replace("/tags", ["new1", "new2", "new3"]))
    assert sorted(body["tags"]) == ["new1", "new2", "new3"]
    assert admin.update(SAMPLE, art["id"], replace("/tags", []))["tags"] == []
    admin.update(SAMPLE, art["id"], replace("/tags", ["again"]))
    assert admin.update(SAMPLE, art["id"], replace("/tags", None))["tags"] == []
    assert user1.show(SAMPLE, art["id"])["tags"] == []


# ---- links (item 138; §9.5) -------------------------------------------------------------------


@pytest.fixture
def target(user1) -> dict:
    return user1.create(SAMPLE, name="target")


def test_link_set_and_clear(user1, art, target):
    """Item 138: replace /link1 with an existing artifact → stored; null → null."""
    body = user1.update(SAMPLE, art["id"], replace("/link1", link_to(target)))
    assert body["link1"] == link_to(target)
    assert user1.show(SAMPLE, art["id"])["link1"] == link_to(target)
    assert user1.update(SAMPLE, art["id"], replace("/link1", None))["link1"] is None


def test_link_to_self_is_allowed(user1, art):
    assert user1.update(SAMPLE, art["id"], replace("/link2", link_to(art)))["link2"] == \
        link_to(art)


@pytest.mark.parametrize("value", [
    "Invalid",
    f"/artifacts/{SAMPLE}/{UNKNOWN_ID}",
    f"/artifacts/{SAMPLE}/",
    "/artifacts/",
    "",
    1,
    ["/artifacts"],
    {"a": "b"},
])
def test_invalid_link_is_400(user1, art, value):
    """Item 138: 'Invalid' or a non-existent UUID → 400."""
    assert_error(user1.patch(url(art["id"]), [replace("/link1", value)]), 400)
    assert user1.show(SAMPLE, art["id"])["link1"] is None


@pytest.mark.parametrize("template", [
    "/artifacts/no_such_type/{id}",
    "/artifacts/images/{id}",
    "/artifacts/{type}/{id}/extra",
    "/objects/{type}/{id}",
    "artifacts/{type}/{id}",
])
def test_malformed_internal_link_is_400(user1, art, target, template):
    """§9.5, Q13 adopted: exactly /artifacts/<enabled type>/<id> of a matching type."""
    value = template.format(type=SAMPLE, id=target["id"])
    assert_error(user1.patch(url(art["id"]), [replace("/link1", value)]), 400)


def test_link_via_all_pseudo_type_is_allowed(user1, art, target):
    """Q13 adopted: the <type> segment may be `all`."""
    value = f"/artifacts/all/{target['id']}"
    assert user1.update(SAMPLE, art["id"], replace("/link1", value))["link1"] == value


def test_link_to_invisible_artifact_is_400(user1, user2, art):
    """§9.5: the target must be visible to the caller."""
    foreign = user2.create(SAMPLE, name="foreign")
    assert_error(user1.patch(url(art["id"]), [replace("/link1", link_to(foreign))]), 400)


def test_link_to_public_artifact_of_other_project_is_allowed(user1, user2, admin, art):
    public = user2.create(SAMPLE, name="foreign")
    activate(user2, public["id"])
    publish(admin, public["id"])
    body = user1.update(SAMPLE, art["id"], replace("/link1", link_to(public)))
    assert body["link1"] == link_to(public)


@pytest.mark.parametrize("value", ["http://example.com/artifact", "https://example.com/a?b=1"])
def test_external_link_accepted_by_syntax(user1, art, value):
    """§9.5, Q12 adopted: external http(s) links are checked by syntax only (default)."""
    assert user1.update(SAMPLE, art["id"], replace("/link1", value))["link1"] == value


@pytest.mark.parametrize("value", ["ftp://example.com/a", "httpx://example.com/a",
                                   "example.com/a"])
def test_link_with_other_scheme_is_400(user1, art, value):
    """§9.5: anything but an internal link or an http/https URL → 400."""
    assert_error(user1.patch(url(art["id"]), [replace("/link1", value)]), 400)


def test_dict_of_links_add_and_remove(user1, art, target):
    """Item 138: dict_of_links/<k> add and remove."""
    body = user1.update(SAMPLE, art["id"], add("/dict_of_links/lnk", link_to(target)))
    assert body["dict_of_links"] == {"lnk": link_to(target)}
    body = user1.update(SAMPLE, art["id"], remove("/dict_of_links/lnk"))
    assert body["dict_of_links"] == {}


def test_list_of_links_add_and_remove(user1, art, target):
    """Item 138: list_of_links/- add, remove /0."""
    body = user1.update(SAMPLE, art["id"], add("/list_of_links/-", link_to(target)))
    assert body["list_of_links"] == [link_to(target)]
    body = user1.update(SAMPLE, art["id"], remove("/list_of_links/0"))
    assert body["list_of_links"] == []


@pytest.mark.parametrize("operation", [
    add("/dict_of_links/lnk", "Invalid"),
    add("/dict_of_links/lnk", f"/artifacts/{SAMPLE}/{UNKNOWN_ID}"),
    add("/list_of_links/-", "Invalid"),
    add("/list_of_links/-", f"/artifacts/{SAMPLE}/{UNKNOWN_ID}"),
    replace("/list_of_links", ["Invalid"]),
    replace("/dict_of_links", {"k": "Invalid"}),
])
def test_invalid_links_in_collections_are_400(user1, art, operation):
    """Item 138: element links follow the same rules."""
    assert_error(user1.patch(url(art["id"]), [operation]), 400)
    shown = user1.show(SAMPLE, art["id"])
    assert (shown["dict_of_links"], shown["list_of_links"]) == ({}, [])


def test_links_given_at_create_are_validated(user1, target):
    """§9.5 applies on create too."""
    assert_error(user1.post(SAMPLE_URL, {"name": "l", "link1": "Invalid"}), 400)
    missing = f"/artifacts/{SAMPLE}/{uuid.uuid4()}"
    assert_error(user1.post(SAMPLE_URL, {"name": "l", "list_of_links": [missing]}), 400)
    body = user1.create(SAMPLE, name="l", dict_of_links={"k": link_to(target)})
    assert body["dict_of_links"] == {"k": link_to(target)}
