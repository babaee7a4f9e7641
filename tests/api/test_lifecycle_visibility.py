"""Show/visibility, lifecycle, publishing, uniqueness on publish, delete, delayed delete and
the scrubber, the read-only ``all`` type, ETag/If-Match.

Contract §7.4-§7.6, §11, §12, §18, §24 and §31 #23-#29, #71-#88, #112, #140, #141, #149.
"""

from __future__ import annotations

import time
from typing import Any

import glare_sample_artifact
import pytest

from glare_core.app import create_app
from glare_core.engine.scrubber import scrub
from glare_core.plugin import ArtifactType, BaseArtifactSchema, fields, hookimpl
from glare_core.testing import GlareClient
from tests.api.helpers import (
    ACTIVATE,
    BASE_FIELDS,
    PUBLISH,
    TIMESTAMP,
    assert_envelope,
    make_public,
    op,
    url,
)
from tests.conftest import SAMPLE, SAMPLE_URL


def status_op(value: Any, kind: str = "replace") -> dict[str, Any]:
    return op("/status", value, kind)


def ids(listing: dict) -> set[str]:
    return {a["id"] for a in listing["artifacts"]}


def bring_to(owner: GlareClient, admin: GlareClient, status: str, **fields_: Any) -> dict:
    """Create an artifact owned by ``owner`` (string_required set) in ``status``."""
    fields_.setdefault("name", "lc")
    art = owner.create(SAMPLE, string_required="x", **fields_)
    if status in ("active", "deactivated"):
        art = owner.update(SAMPLE, art["id"], status_op("active"))
    if status == "deactivated":
        art = admin.update(SAMPLE, art["id"], status_op("deactivated"))
    assert art["status"] == status
    return art


# ---- a second type for cross-type cases (§31 #25, #27, #28, #141) --------------------------


class PlainSchema(BaseArtifactSchema):
    label = fields.String(required_on_activate=False)


class PlainThings(ArtifactType):
    name = "plain_things"
    display_name = "Plain Things"
    schema = PlainSchema


class PlainPlugin:
    @hookimpl
    def glare_register_artifact_types(self, app):
        return [PlainThings]


# =============================================================================================
# Show and visibility (§7.4, §12.1, §31 #23-#29, #112)
# =============================================================================================


def test_show_owner_other_admin(user1, user2, admin):
    """§31 #23."""
    art = user1.create(SAMPLE, name="mine")
    assert user1.show(SAMPLE, art["id"]) == art
    assert_envelope(user2.get(url(art["id"])), 404, "ArtifactNotFound")
    assert admin.show(SAMPLE, art["id"]) == art
    patched = admin.update(SAMPLE, art["id"], op("/description", "by admin"))
    assert patched["description"] == "by admin"
    assert patched["owner"] == "p1"


def test_public_artifact_visible_to_all_but_admin_only_writes(user1, user2, admin):
    """§31 #24."""
    art = bring_to(user1, admin, "drafted")
    admin.update(SAMPLE, art["id"], status_op("active"))
    public = admin.update(SAMPLE, art["id"], *PUBLISH)
    assert public["visibility"] == "public"
    for caller in (user1, user2, admin, user1.as_user("p3")):
        assert caller.show(SAMPLE, art["id"])["visibility"] == "public"
    change = [op("/string_mutable", "x")]
    assert_envelope(user1.patch(url(art["id"]), change), 403)
    assert_envelope(user2.patch(url(art["id"]), change), 403)
    assert admin.update(SAMPLE, art["id"], *change)["string_mutable"] == "x"
    assert_envelope(user1.patch(url(art["id"]), [op("/string_mutable", "y")]), 403)
    assert user1.show(SAMPLE, art["id"])["string_mutable"] == "x"


@pytest.mark.parametrize("bad_id", ["111111", "00000000-0000-0000-0000-000000000000"])
def test_show_unknown_id_is_404(user1, bad_id):
    assert_envelope(user1.get(url(bad_id)), 404, "ArtifactNotFound")


def test_show_unknown_type_is_404(user1):
    art = user1.create(SAMPLE, name="x")
    assert_envelope(user1.get(url(art["id"], type_name="no_such_type")), 404, "TypeNotFound")


def test_show_through_all(user1):
    """§31 #25 (second half): /artifacts/all/{id} shows the artifact."""
    art = user1.create(SAMPLE, name="through-all")
    shown = user1.get(url(art["id"], type_name="all"))
    assert shown.status_code == 200
    body = shown.get_json()
    assert body["id"] == art["id"]
    assert body["type_name"] == SAMPLE


def test_member_sees_own_and_public_only(user1, user2, admin):
    own1 = user1.create(SAMPLE, name="a")
    own2 = user2.create(SAMPLE, name="b")
    public = make_public(user2, admin, name="c")
    assert ids(user1.list(SAMPLE)) == {own1["id"], public["id"]}
    assert ids(user2.list(SAMPLE)) == {own2["id"], public["id"]}
    assert ids(admin.list(SAMPLE)) == {own1["id"], own2["id"], public["id"]}


def test_same_name_version_in_two_projects_and_publish_conflict(user1, user2, admin):
    """§31 #26."""
    a1 = user1.create(SAMPLE, name="my_art", version="1.0", string_required="x")
    a2 = user2.create(SAMPLE, name="my_art", version="1.0", string_required="x")
    query = "name=my_art&version=1"
    assert user1.list(SAMPLE, query)["total_count"] == 1
    assert admin.list(SAMPLE, query)["total_count"] == 2
    user2.update(SAMPLE, a2["id"], status_op("active"))
    admin.update(SAMPLE, a2["id"], *PUBLISH)
    assert ids(user1.list(SAMPLE, query)) == {a1["id"], a2["id"]}
    assert ids(user2.list(SAMPLE, query)) == {a2["id"]}
    dup = admin.create(SAMPLE, name="my_art", version="1.0", string_required="x")
    assert admin.list(SAMPLE, query)["total_count"] == 3
    admin.update(SAMPLE, dup["id"], status_op("active"))
    assert_envelope(admin.patch(url(dup["id"]), PUBLISH), 409, "Conflict")
    assert admin.show(SAMPLE, dup["id"])["visibility"] == "private"
    # A published your_art 2.0 does not stop another project's private copy.
    yours = user1.create(SAMPLE, name="your_art", version="2.0", string_required="x")
    user1.update(SAMPLE, yours["id"], status_op("active"))
    admin.update(SAMPLE, yours["id"], *PUBLISH)
    assert user2.post(SAMPLE_URL, {"name": "your_art", "version": "2.0"}).status_code == 201


class TestAnonymousVisibility:
    """§31 #29: anonymous callers see public artifacts only."""

    @pytest.fixture
    def glare_settings(self):
        return {"GLARE_ALLOW_ANONYMOUS": True}

    def test_anonymous_list_and_show(self, user1, admin, anonymous):
        private = user1.create(SAMPLE, name="private")
        active = bring_to(user1, admin, "active", name="active")
        public = make_public(user1, admin, name="public")
        listing = anonymous.list(SAMPLE)
        assert ids(listing) == {public["id"]}
        assert listing["total_count"] == 1
        assert ids(anonymous.list("all")) == {public["id"]}
        assert anonymous.show(SAMPLE, public["id"])["id"] == public["id"]
        for hidden in (private, active):
            assert_envelope(anonymous.get(url(hidden["id"])), 404)


def test_display_type_name_everywhere(user1, admin):
    """§31 #112."""
    created = user1.create(SAMPLE, name="dtn")
    public = make_public(user1, admin, name="dtn-pub")
    assert created["display_type_name"] == "Sample Artifact"
    assert user1.show(SAMPLE, created["id"])["display_type_name"] == "Sample Artifact"
    assert user1.show(SAMPLE, public["id"])["display_type_name"] == "Sample Artifact"
    for item in user1.list(SAMPLE)["artifacts"] + user1.list("all")["artifacts"]:
        assert item["display_type_name"] == "Sample Artifact"


class TestTwoTypes:
    """Cases that need a second artifact type."""

    @pytest.fixture
    def glare_plugins(self):
        return [glare_sample_artifact, PlainPlugin()]

    def test_show_through_another_type_is_404(self, user1):
        """§31 #25."""
        art = user1.create(SAMPLE, name="typed")
        other = url(art["id"], type_name="plain_things")
        assert_envelope(user1.get(other), 404)
        assert_envelope(user1.patch(other, [op("/description", "x")]), 404)
        assert_envelope(user1.delete(other), 404)
        assert user1.show(SAMPLE, art["id"]) == art

    def test_same_name_version_in_different_types(self, user1):
        """§31 #27."""
        for type_name in (SAMPLE, "plain_things"):
            response = user1.post(f"/artifacts/{type_name}", {"name": "same", "version": "1"})
            assert response.status_code == 201

    def test_all_listing_scopes(self, user1, user2, admin):
        """§31 #28."""
        mine = []
        for type_name in (SAMPLE, "plain_things"):
            body = {"name": "my_art", "version": "1"}
            if type_name == SAMPLE:
                body["string_required"] = "x"
            mine.append(user1.post(f"/artifacts/{type_name}", body).get_json())
            assert user2.post(f"/artifacts/{type_name}", body).status_code == 201
        query = "name=my_art&version=1"
        assert user1.list("all", query)["total_count"] == 2
        assert user2.list("all", query)["total_count"] == 2
        assert admin.list("all", query)["total_count"] == 4
        for art, type_name in zip(mine, (SAMPLE, "plain_things"), strict=True):
            user1.update(type_name, art["id"], status_op("active"))
            admin.update(type_name, art["id"], *PUBLISH)
        assert user2.list("all", query)["total_count"] == 4
        assert user1.list("all", query)["total_count"] == 2

    def test_all_formatting(self, user1):
        """§31 #141: format_all adds __some_meta_information__ for the sample type only."""
        sample = user1.create(SAMPLE, name="aaa")
        plain = user1.create("plain_things", name="bbb")
        listing = user1.list("all", "sort=created_at:asc")
        assert listing["total_count"] == 2
        by_id = {a["id"]: a for a in listing["artifacts"]}
        assert by_id[sample["id"]]["__some_meta_information__"] == "AAA"
        assert by_id[sample["id"]]["type_name"] == SAMPLE
        assert "__some_meta_information__" not in by_id[plain["id"]]
        assert by_id[plain["id"]]["type_name"] == "plain_things"
        assert by_id[plain["id"]]["display_type_name"] == "Plain Things"
        assert set(by_id[plain["id"]]) == BASE_FIELDS | {"type_name"}
        assert set(by_id[sample["id"]]) == BASE_FIELDS | {"type_name",
                                                          "__some_meta_information__"}
        for art_id, listed in by_id.items():
            assert user1.get(url(art_id, type_name="all")).get_json() == listed


# =============================================================================================
# Lifecycle transitions (§11.2, §31 #71-#80)
# =============================================================================================

TRANSITIONS = [
    ("drafted", "drafted", 200),
    ("drafted", "active", 200),
    ("drafted", "deactivated", 403),
    ("drafted", "deleted", 403),
    ("active", "active", 200),
    ("active", "deactivated", 200),
    ("active", "drafted", 403),
    ("active", "deleted", 403),
    ("deactivated", "deactivated", 200),
    ("deactivated", "active", 200),
    ("deactivated", "drafted", 403),
    ("deactivated", "deleted", 403),
]


@pytest.mark.parametrize("kind", ["replace", "add"])
@pytest.mark.parametrize(("start", "target", "status"), TRANSITIONS)
def test_transition_table_as_admin(user1, admin, start, target, status, kind):
    art = bring_to(user1, admin, start)
    response = admin.patch(url(art["id"]), [status_op(target, kind)])
    if status == 200:
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.get_json()["status"] == target
        assert user1.show(SAMPLE, art["id"])["status"] == target
    else:
        assert_envelope(response, status)
        assert user1.show(SAMPLE, art["id"]) == art


@pytest.mark.parametrize("start", ["drafted", "active", "deactivated"])
@pytest.mark.parametrize("value", ["wrong_value", "deleting", None, "", "Active", 1, ["active"]])
def test_unknown_status_value_is_400(user1, admin, start, value):
    """§31 #79."""
    art = bring_to(user1, admin, start)
    assert_envelope(admin.patch(url(art["id"]), [status_op(value)]), 400)
    assert user1.show(SAMPLE, art["id"]) == art


@pytest.mark.parametrize(
    ("caller", "start", "target", "status"),
    [
        ("owner", "drafted", "active", 200),
        ("owner", "active", "active", 200),
        ("owner", "active", "deactivated", 403),
        ("owner", "deactivated", "active", 403),
        ("owner", "deactivated", "deactivated", 403),
        ("other", "drafted", "active", 404),
        ("other", "active", "deactivated", 404),
        ("admin", "drafted", "active", 200),
    ],
)
def test_transition_policy_by_caller(user1, user2, admin, caller, start, target, status):
    """§20 defaults: activate = owner or admin; deactivate/reactivate = admin."""
    art = bring_to(user1, admin, start)
    client = {"owner": user1, "other": user2, "admin": admin}[caller]
    response = client.patch(url(art["id"]), [status_op(target)])
    if status == 200:
        assert response.status_code == 200
        assert response.get_json()["status"] == target
    else:
        assert_envelope(response, status)
        assert user1.show(SAMPLE, art["id"]) == art


def test_activation_requires_string_required(user1):
    """§31 #71."""
    art = user1.create(SAMPLE, name="act")
    assert_envelope(user1.patch(url(art["id"]), [status_op("active")]), 403)
    assert user1.show(SAMPLE, art["id"]) == art
    response = user1.patch(url(art["id"]), [op("/string_required", "req"),
                                            op("/description", "desc"), status_op("active")])
    assert response.status_code == 200
    active = response.get_json()
    changed = {"status", "activated_at", "updated_at", "string_required", "description"}
    assert {k: v for k, v in active.items() if k not in changed} == {
        k: v for k, v in art.items() if k not in changed
    }
    assert active["status"] == "active"
    assert active["string_required"] == "req"
    assert active["description"] == "desc"
    assert art["activated_at"] is None
    assert TIMESTAMP.match(active["activated_at"])
    assert TIMESTAMP.match(active["updated_at"])
    assert active["updated_at"] >= art["updated_at"]
    assert user1.show(SAMPLE, art["id"]) == active


def test_setting_required_field_alone_then_activating(user1):
    art = user1.create(SAMPLE, name="act2")
    assert user1.update(SAMPLE, art["id"], op("/string_required", "x"))["status"] == "drafted"
    assert user1.update(SAMPLE, art["id"], status_op("active"))["status"] == "active"


def test_required_field_must_precede_status_op(user1):
    """§11.2: ops apply in order; setting the field after the status op is too late."""
    art = user1.create(SAMPLE, name="order")
    response = user1.patch(url(art["id"]), [status_op("active"), op("/string_required", "x")])
    assert_envelope(response, 403)
    assert user1.show(SAMPLE, art["id"]) == art


def test_active_private_is_invisible_to_others(user1, user2):
    """§31 #72."""
    art = user1.create(SAMPLE, name="hidden", string_required="x")
    user1.update(SAMPLE, art["id"], status_op("active"))
    assert_envelope(user2.get(url(art["id"])), 404)
    assert user2.list(SAMPLE)["total_count"] == 0
    assert user2.list("all")["total_count"] == 0


def test_activate_again_is_a_noop(user1, admin):
    """§31 #73: active → active → 200, nothing saved."""
    art = bring_to(user1, admin, "active")
    response = user1.patch(url(art["id"]), [status_op("active")])
    assert response.status_code == 200
    assert response.get_json() == art
    assert user1.show(SAMPLE, art["id"]) == art


def test_activate_after_delete_is_404(user1):
    """§31 #74."""
    art = user1.create(SAMPLE, name="gone", string_required="x")
    assert user1.delete(url(art["id"])).status_code == 204
    assert_envelope(user1.patch(url(art["id"]), [status_op("active")]), 404)


def test_publish_rules(user1, admin):
    """§31 #75."""
    drafted = bring_to(user1, admin, "drafted", name="d")
    assert_envelope(admin.patch(url(drafted["id"]), PUBLISH), 403)
    deactivated = bring_to(user1, admin, "deactivated", name="x")
    assert_envelope(admin.patch(url(deactivated["id"]), PUBLISH), 403)
    active = bring_to(user1, admin, "active", name="a")
    response = admin.patch(url(active["id"]), [op("/string_mutable", "m"), *PUBLISH])
    assert response.status_code == 200
    published = response.get_json()
    assert published["visibility"] == "public"
    assert published["string_mutable"] == "m"
    again = admin.patch(url(active["id"]), PUBLISH)
    assert again.status_code == 200
    assert again.get_json()["visibility"] == "public"
    for art in (drafted, deactivated):
        assert user1.show(SAMPLE, art["id"])["visibility"] == "private"


def test_owner_cannot_publish(user1, admin):
    """§12.3: artifact:publish is admin only."""
    art = bring_to(user1, admin, "active")
    assert_envelope(user1.patch(url(art["id"]), PUBLISH), 403)
    assert user1.show(SAMPLE, art["id"])["visibility"] == "private"


@pytest.mark.parametrize(("value", "status"), [("private", 403), ("wrong_value", 400),
                                                (None, 400), ("PUBLIC", 400)])
def test_visibility_changes_on_public(user1, admin, value, status):
    """§31 #79 (unit part): public → private is irreversible (403); bad values 400."""
    art = make_public(user1, admin)
    assert_envelope(admin.patch(url(art["id"]), [op("/visibility", value)]), status)
    assert admin.show(SAMPLE, art["id"])["visibility"] == "public"


@pytest.mark.parametrize(("value", "status"), [("private", 200), ("wrong_value", 400),
                                                (None, 400)])
def test_visibility_changes_on_drafted(user1, value, status):
    art = user1.create(SAMPLE, name="vis")
    response = user1.patch(url(art["id"]), [op("/visibility", value)])
    assert response.status_code == status
    assert user1.show(SAMPLE, art["id"])["visibility"] == "private"


def test_public_scope_uniqueness_on_publish(user1, admin):
    """§31 #76: a second same name/version artifact activates but cannot be published."""
    first = make_public(user1, admin, name="uniq", version="1.0")
    second = bring_to(admin, admin, "active", name="uniq", version="1.0")
    assert_envelope(admin.patch(url(second["id"]), PUBLISH), 409, "Conflict")
    assert admin.show(SAMPLE, second["id"])["visibility"] == "private"
    assert admin.show(SAMPLE, first["id"])["visibility"] == "public"
    # Normalized version equality: 1.0 == 1.0.0 (§12.2).
    third = bring_to(user1, admin, "active", name="uniq", version="1.0.0")
    assert_envelope(admin.patch(url(third["id"]), PUBLISH), 409, "Conflict")
    # Another version or another name publishes fine.
    other = bring_to(user1, admin, "active", name="uniq", version="1.0.1")
    assert admin.update(SAMPLE, other["id"], *PUBLISH)["visibility"] == "public"


def test_deactivate_rules(user1, admin):
    """§31 #77."""
    art = user1.create(SAMPLE, name="deact", string_required="x")
    assert_envelope(admin.patch(url(art["id"]), [status_op("deactivated")]), 403)
    user1.update(SAMPLE, art["id"], status_op("active"))
    response = admin.patch(url(art["id"]), [op("/description", "why"),
                                            status_op("deactivated")])
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "deactivated"
    assert body["description"] == "why"
    again = admin.patch(url(art["id"]), [status_op("deactivated")])
    assert again.status_code == 200
    assert again.get_json()["status"] == "deactivated"


def test_reactivate_with_change_refreshes_activated_at(user1, admin):
    """§31 #78 and §11.2: activated_at is refreshed on reactivation."""
    art = bring_to(user1, admin, "deactivated")
    time.sleep(1.1)  # timestamps have second precision
    response = admin.patch(url(art["id"]), [status_op("active"), op("/description", "back")])
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "active"
    assert body["description"] == "back"
    assert TIMESTAMP.match(body["activated_at"])
    assert body["activated_at"] > art["activated_at"]


def test_deactivated_artifact_fields_are_frozen(user1, admin):
    """§11.1 / §31 #42: no field edits on a deactivated artifact, even for admins."""
    art = bring_to(user1, admin, "deactivated")
    assert_envelope(user1.patch(url(art["id"]), [op("/string_mutable", "x")]), 403)
    assert_envelope(admin.patch(url(art["id"]), [op("/description", "x")]), 403)
    assert_envelope(admin.patch(url(art["id"]), [op("/string_mutable", "x")]), 403)
    assert user1.show(SAMPLE, art["id"]) == art


@pytest.mark.parametrize(
    ("path", "value", "status"),
    [
        ("/name", "renamed", 403),
        ("/version", "2.0", 403),
        ("/str1", "x", 403),
        ("/metadata", {"k": "v"}, 403),
        ("/metadata/k", "v", 403),
        ("/string_mutable", "ok", 200),
        ("/description", "ok", 200),
        ("/tags", ["t1", "t2"], 200),
    ],
)
def test_after_activation_only_mutable_fields_change(user1, admin, path, value, status):
    """§11.2 / §31 #41."""
    art = bring_to(user1, admin, "active")
    kind = "add" if path == "/metadata/k" else "replace"
    response = user1.patch(url(art["id"]), [op(path, value, kind)])
    if status == 200:
        assert response.status_code == 200
        assert response.get_json()[path[1:]] == value
    else:
        assert_envelope(response, status)
        assert user1.show(SAMPLE, art["id"]) == art


def test_public_artifact_edits_are_admin_only(user1, user2, admin):
    """§31 #43."""
    art = make_public(user1, admin)
    for _ in range(2):
        assert_envelope(user1.patch(url(art["id"]), [op("/description", "o")]), 403)
    assert_envelope(user2.patch(url(art["id"]), [op("/description", "o")]), 403)
    assert admin.update(SAMPLE, art["id"], op("/description", "a"))["description"] == "a"


def test_full_lifecycle_in_one_patch(user1, admin):
    """§11.2: several status ops apply in order in one PATCH."""
    art = user1.create(SAMPLE, name="one-go")
    response = admin.patch(url(art["id"]), [
        op("/string_required", "x"), status_op("active"), status_op("deactivated"),
        status_op("active"), *PUBLISH,
    ])
    assert response.status_code == 200
    body = response.get_json()
    assert (body["status"], body["visibility"]) == ("active", "public")


# =============================================================================================
# Delete (§7.6, §31 #81-#85)
# =============================================================================================


def test_delete_unknown_is_404(user1):
    """§31 #81."""
    assert_envelope(user1.delete(url("111111")), 404)


def test_delete_drafted_by_owner(user1):
    art = user1.create(SAMPLE, name="del")
    response = user1.delete(url(art["id"]))
    assert response.status_code == 204
    assert response.get_data() == b""
    # v1 clients read the content type of every success (upstream's test client included)
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert_envelope(user1.get(url(art["id"])), 404)
    assert user1.list(SAMPLE)["total_count"] == 0


def test_delete_active_private_by_owner(user1, admin):
    art = bring_to(user1, admin, "active")
    assert user1.delete(url(art["id"])).status_code == 204
    assert_envelope(user1.get(url(art["id"])), 404)


def test_delete_linked_artifacts(user1):
    """§31 #82 and §9.5: links are soft."""
    target = user1.create(SAMPLE, name="target")
    source = user1.create(SAMPLE, name="source", link1=f"{SAMPLE_URL}/{target['id']}")
    assert source["link1"] == f"{SAMPLE_URL}/{target['id']}"
    assert user1.delete(url(source["id"])).status_code == 204
    other = user1.create(SAMPLE, name="source2", link1=f"{SAMPLE_URL}/{target['id']}")
    assert user1.delete(url(target["id"])).status_code == 204
    assert user1.show(SAMPLE, other["id"])["id"] == other["id"]


def test_delete_other_projects_private(user1, user2, admin):
    """§31 #83."""
    art = user1.create(SAMPLE, name="priv")
    assert_envelope(user2.delete(url(art["id"])), 404)
    assert user1.show(SAMPLE, art["id"]) == art
    assert admin.delete(url(art["id"])).status_code == 204
    assert_envelope(user1.get(url(art["id"])), 404)


def test_delete_public(user1, user2, admin):
    """§31 #84."""
    art = make_public(user1, admin)
    assert_envelope(user2.delete(url(art["id"])), 403)
    assert_envelope(user1.delete(url(art["id"])), 403)
    assert user1.show(SAMPLE, art["id"]) == art
    assert admin.delete(url(art["id"])).status_code == 204
    assert_envelope(user1.get(url(art["id"])), 404)


def test_delete_deactivated(user1, admin):
    """§7.6: deactivated artifacts are deleted by admins only; §31 #85."""
    art = bring_to(user1, admin, "deactivated")
    assert_envelope(user1.delete(url(art["id"])), 403)
    assert user1.show(SAMPLE, art["id"]) == art
    own = bring_to(admin, admin, "deactivated", name="admins")
    assert admin.delete(url(own["id"])).status_code == 204
    assert_envelope(admin.get(url(own["id"])), 404)
    assert ids(admin.list(SAMPLE)) == {art["id"]}
    assert admin.delete(url(art["id"])).status_code == 204
    assert admin.list(SAMPLE)["total_count"] == 0


def test_delete_frees_the_name(user1):
    art = user1.create(SAMPLE, name="reuse")
    assert user1.delete(url(art["id"])).status_code == 204
    assert user1.post(SAMPLE_URL, {"name": "reuse"}).status_code == 201


class TestAnonymousDelete:
    @pytest.fixture
    def glare_settings(self):
        return {"GLARE_ALLOW_ANONYMOUS": True}

    def test_anonymous_delete(self, user1, admin, anonymous):
        private = user1.create(SAMPLE, name="p")
        public = make_public(user1, admin, name="q")
        assert_envelope(anonymous.delete(url(private["id"])), 404)
        assert_envelope(anonymous.delete(url(public["id"])), 403)
        assert ids(admin.list(SAMPLE)) == {private["id"], public["id"]}


# =============================================================================================
# Delayed delete and the scrubber (§24, §31 #45, #88, #149)
# =============================================================================================


def second_app(config: dict, plugins: list, **overrides: Any) -> Any:
    return create_app({**config, **overrides}, plugins=plugins, autoload=False)


class TestDelayedDelete:
    @pytest.fixture
    def glare_settings(self):
        return {"GLARE_DELAYED_DELETE": True}

    def test_delete_marks_deleted(self, user1, user2, admin):
        art = bring_to(user1, admin, "active", metadata={"k": "v"})
        assert user1.delete(url(art["id"])).status_code == 204
        shown = user1.show(SAMPLE, art["id"])
        assert shown["status"] == "deleted"
        for key in ("name", "version", "owner", "metadata", "string_required", "activated_at"):
            assert shown[key] == art[key]
        assert admin.show(SAMPLE, art["id"])["status"] == "deleted"
        assert_envelope(user2.get(url(art["id"])), 404)

    def test_deleted_is_never_listed(self, user1, admin):
        kept = user1.create(SAMPLE, name="kept")
        gone = user1.create(SAMPLE, name="gone")
        assert user1.delete(url(gone["id"])).status_code == 204
        for client in (user1, admin):
            assert ids(client.list(SAMPLE)) == {kept["id"]}
            assert client.list(SAMPLE)["total_count"] == 1
            assert ids(client.list("all")) == {kept["id"]}
            assert client.list(SAMPLE, "status=deleted")["total_count"] == 0

    @pytest.mark.parametrize(
        "ops",
        [[op("/description", "x")], [status_op("active")], [status_op("deleted")],
         [status_op("drafted")], PUBLISH, [op("/string_mutable", "x")]],
    )
    def test_patch_on_deleted_is_403(self, user1, admin, ops):
        """§31 #45."""
        art = bring_to(user1, admin, "active")
        assert user1.delete(url(art["id"])).status_code == 204
        deleted = user1.show(SAMPLE, art["id"])
        assert_envelope(user1.patch(url(art["id"]), ops), 403)
        assert_envelope(admin.patch(url(art["id"]), ops), 403)
        assert user1.show(SAMPLE, art["id"]) == deleted

    def test_deleted_does_not_block_name(self, user1):
        """Q31: deleted artifacts do not take part in name/version uniqueness."""
        art = user1.create(SAMPLE, name="dup", version="1.0")
        assert user1.delete(url(art["id"])).status_code == 204
        assert user1.post(SAMPLE_URL, {"name": "dup", "version": "1.0"}).status_code == 201

    def test_delete_again_then_without_delayed_delete(self, glare_config, glare_plugins, user1):
        """§31 #88 / §7.6: a deleted artifact can be deleted again; with delayed delete
        off, the second DELETE removes it."""
        art = user1.create(SAMPLE, name="twice")
        assert user1.delete(url(art["id"])).status_code == 204
        assert user1.delete(url(art["id"])).status_code == 204
        assert user1.show(SAMPLE, art["id"])["status"] == "deleted"
        app = second_app(glare_config, glare_plugins, GLARE_DELAYED_DELETE=False)
        try:
            client = GlareClient(app.test_client())
            assert client.show(SAMPLE, art["id"])["status"] == "deleted"
            assert client.delete(url(art["id"])).status_code == 204
            assert_envelope(client.get(url(art["id"])), 404)
        finally:
            app.extensions["glare"].database.dispose()
        assert_envelope(user1.get(url(art["id"])), 404)

    def test_scrubber_removes_deleted_only(self, glare_app, user1, admin):
        """§31 #149."""
        unrelated = user1.create(SAMPLE, name="unrelated")
        first = user1.create(SAMPLE, name="first")
        second = bring_to(user1, admin, "active", name="second")
        for art in (first, second):
            assert user1.delete(url(art["id"])).status_code == 204
            assert user1.show(SAMPLE, art["id"])["status"] == "deleted"
        scrub(glare_app.extensions["glare"].engine)
        for art in (first, second):
            assert_envelope(user1.get(url(art["id"])), 404)
        assert user1.show(SAMPLE, unrelated["id"]) == unrelated
        assert ids(admin.list(SAMPLE)) == {unrelated["id"]}

    def test_scrubber_with_nothing_to_do(self, glare_app, user1):
        art = user1.create(SAMPLE, name="alive")
        scrub(glare_app.extensions["glare"].engine)
        assert user1.show(SAMPLE, art["id"]) == art

    def test_scrub_time_is_honoured(self, glare_app, user1):
        """Q18 adopted: only artifacts deleted more than scrub_time seconds ago go."""
        art = user1.create(SAMPLE, name="recent")
        assert user1.delete(url(art["id"])).status_code == 204
        engine = glare_app.extensions["glare"].engine
        scrub(engine, scrub_time=3600)
        assert user1.show(SAMPLE, art["id"])["status"] == "deleted"
        scrub(engine)
        assert_envelope(user1.get(url(art["id"])), 404)


class TestDelayedDeletePerType:
    @pytest.fixture
    def glare_settings(self):
        return {"GLARE_DELAYED_DELETE": False,
                "GLARE_TYPES": {SAMPLE: {"delayed_delete": True}}}

    def test_type_setting_turns_it_on(self, user1):
        art = user1.create(SAMPLE, name="per-type")
        assert user1.delete(url(art["id"])).status_code == 204
        assert user1.show(SAMPLE, art["id"])["status"] == "deleted"


class TestDelayedDeletePerTypeOff:
    @pytest.fixture
    def glare_settings(self):
        return {"GLARE_DELAYED_DELETE": True,
                "GLARE_TYPES": {SAMPLE: {"delayed_delete": False}}}

    def test_type_setting_turns_it_off(self, user1):
        art = user1.create(SAMPLE, name="per-type")
        assert user1.delete(url(art["id"])).status_code == 204
        assert_envelope(user1.get(url(art["id"])), 404)


# =============================================================================================
# The read-only ``all`` type (§18, §31 #140)
# =============================================================================================


def test_all_create_is_403(user1):
    assert_envelope(user1.post("/artifacts/all", {"name": "x"}), 403)
    assert user1.list("all")["total_count"] == 0


@pytest.mark.parametrize(
    "ops",
    [[op("/description", "x")], [status_op("active")], PUBLISH, ACTIVATE],
)
def test_all_patch_is_403(user1, admin, ops):
    art = bring_to(user1, admin, "active")
    for client in (user1, admin):
        assert_envelope(client.patch(url(art["id"], type_name="all"), ops), 403)
    assert user1.show(SAMPLE, art["id"]) == art


def test_all_delete_is_403(user1, admin):
    art = user1.create(SAMPLE, name="keep")
    for client in (user1, admin):
        assert_envelope(client.delete(url(art["id"], type_name="all")), 403)
    assert user1.show(SAMPLE, art["id"]) == art


def test_all_show_representation(user1):
    """§18: base fields + type_name, through format_all; no type-specific fields."""
    art = user1.create(SAMPLE, name="aaa", int1=5, str1="s")
    response = user1.get(url(art["id"], type_name="all"))
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == BASE_FIELDS | {"type_name", "__some_meta_information__"}
    assert body["type_name"] == SAMPLE
    assert body["__some_meta_information__"] == "AAA"
    for key in BASE_FIELDS:
        assert body[key] == art[key], key
    listed = user1.list("all")["artifacts"]
    assert listed == [body]


def test_typed_output_has_meta_information(user1):
    """§10.1 / §28: the sample type adds __some_meta_information__ = upper-cased name."""
    art = user1.create(SAMPLE, name="MixedCase-ß")
    assert art["__some_meta_information__"] == "MixedCase-ß".upper()
    assert "type_name" not in art
    listed = user1.list(SAMPLE)["artifacts"][0]
    assert listed["__some_meta_information__"] == "MixedCase-ß".upper()


# =============================================================================================
# ETag / If-Match (our addition)
# =============================================================================================


def test_show_has_etag_that_changes_on_update(user1):
    art = user1.create(SAMPLE, name="etag")
    first = user1.get(url(art["id"]))
    tag = first.headers.get("ETag")
    assert tag and tag.startswith('"') and tag.endswith('"')
    assert user1.get(url(art["id"])).headers["ETag"] == tag
    user1.update(SAMPLE, art["id"], op("/description", "changed"))
    assert user1.get(url(art["id"])).headers["ETag"] != tag


def test_if_match_current_etag_succeeds(user1):
    art = user1.create(SAMPLE, name="etag")
    tag = user1.get(url(art["id"])).headers["ETag"]
    response = user1.patch(url(art["id"]), [op("/description", "ok")],
                           headers={"If-Match": tag})
    assert response.status_code == 200
    assert response.get_json()["description"] == "ok"


def test_if_match_stale_etag_is_412(user1):
    art = user1.create(SAMPLE, name="etag")
    stale = user1.get(url(art["id"])).headers["ETag"]
    user1.update(SAMPLE, art["id"], op("/description", "first"))
    current = user1.show(SAMPLE, art["id"])
    response = user1.patch(url(art["id"]), [op("/description", "second")],
                           headers={"If-Match": stale})
    assert_envelope(response, 412, "PreconditionFailed")
    assert user1.show(SAMPLE, art["id"]) == current


def test_if_match_star_succeeds(user1):
    art = user1.create(SAMPLE, name="etag")
    response = user1.patch(url(art["id"]), [op("/description", "star")],
                           headers={"If-Match": "*"})
    assert response.status_code == 200
