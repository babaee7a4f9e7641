"""Policy overrides from an operator policy file (contract §20, §31 #150-#152), plugin hooks
(§22, §31 #155, #156) and notifications (§25, Q19)."""

from __future__ import annotations

from typing import Any

import glare_sample_artifact
import pytest

from glare_core.errors import BadRequest, Conflict
from glare_core.plugin import hookimpl
from tests.api.helpers import ACTIVATE, assert_envelope, op, url
from tests.conftest import SAMPLE, SAMPLE_URL

PAYLOAD_KEYS = {"type", "id", "name", "version", "description", "visibility", "status",
                "owner", "created_at", "updated_at", "activated_at"}


# =============================================================================================
# Policy overrides (§20, §31 #150-#152)
# =============================================================================================


def policy_settings(tmp_path, text: str) -> dict[str, Any]:
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return {"GLARE_POLICY_FILE": str(path)}


class TestTypeListAdminOnly:
    """§31 #150: artifact:type_list restricted to admins."""

    @pytest.fixture
    def glare_settings(self, tmp_path):
        return policy_settings(tmp_path, '"artifact:type_list": "role:admin"\n')

    @pytest.mark.parametrize("path", ["/schemas", f"/schemas/{SAMPLE}"])
    def test_members_403_admins_200(self, user1, admin, path):
        assert_envelope(user1.get(path), 403, "PolicyException")
        response = admin.get(path)
        assert response.status_code == 200
        assert SAMPLE in response.get_json()["schemas"]

    def test_other_actions_unaffected(self, user1):
        assert user1.post(SAMPLE_URL, {"name": "ok"}).status_code == 201
        assert user1.list(SAMPLE)["total_count"] == 1


class TestTypeListDisabled:
    """§31 #150: rule "!" → everyone 403."""

    @pytest.fixture
    def glare_settings(self, tmp_path):
        return policy_settings(tmp_path, '"artifact:type_list": "!"\n')

    @pytest.mark.parametrize("path", ["/schemas", f"/schemas/{SAMPLE}"])
    def test_everyone_403(self, user1, user2, admin, path):
        for client in (user1, user2, admin):
            assert_envelope(client.get(path), 403, "PolicyException")


class TestListAllArtifacts:
    """§31 #151: artifact:list_all_artifacts: role:su_role."""

    @pytest.fixture
    def glare_settings(self, tmp_path):
        return policy_settings(tmp_path, '"artifact:list_all_artifacts": "role:su_role"\n')

    def test_su_role_lists_every_project(self, user1, user2, admin):
        for i in range(5):
            user1.create(SAMPLE, name=f"u1-{i}")
            user2.create(SAMPLE, name=f"u2-{i}")
        su = user1.as_user("p1", roles=("member", "su_role"))
        assert su.list(SAMPLE, "limit=100")["total_count"] == 10
        assert su.list("all", "limit=100")["total_count"] == 10
        assert user1.list(SAMPLE)["total_count"] == 5
        assert user2.list(SAMPLE)["total_count"] == 5
        outsider = user1.as_user("p3", roles=("su_role",))
        assert outsider.list(SAMPLE)["total_count"] == 10
        assert admin.list(SAMPLE)["total_count"] == 10  # admins are unscoped anyway


class TestGetAnyArtifact:
    """§31 #152: artifact:get_any_artifact: role:su_role."""

    @pytest.fixture
    def glare_settings(self, tmp_path):
        return policy_settings(tmp_path, '"artifact:get_any_artifact": "role:su_role"\n')

    def test_su_role_reads_other_projects(self, user1, user2):
        art = user1.create(SAMPLE, name="private")
        su = user2.as_user("p2", roles=("member", "su_role"))
        shown = su.get(url(art["id"]))
        assert shown.status_code == 200
        assert shown.get_json() == art
        assert_envelope(user2.get(url(art["id"])), 404)
        assert_envelope(user1.as_user("p3").get(url(art["id"])), 404)

    def test_su_role_does_not_grant_writes(self, user1, user2):
        art = user1.create(SAMPLE, name="private")
        su = user2.as_user("p2", roles=("member", "su_role"))
        assert su.patch(url(art["id"]), [op("/description", "x")]).status_code == 404
        assert su.delete(url(art["id"])).status_code == 404
        assert user1.show(SAMPLE, art["id"]) == art


class TestOwnerMayPublish:
    """Overrides apply to lifecycle rules too (§20: any rule may be overridden)."""

    @pytest.fixture
    def glare_settings(self, tmp_path):
        return policy_settings(tmp_path, '"artifact:publish": "rule:admin_or_owner"\n'
                                         '"artifact:create": "role:creator"\n')

    def test_owner_publishes(self, user1):
        creator = user1.as_user("p1", roles=("creator",))
        assert_envelope(user1.post(SAMPLE_URL, {"name": "no"}), 403, "PolicyException")
        art = creator.create(SAMPLE, name="pub")
        creator.update(SAMPLE, art["id"], *ACTIVATE)
        published = creator.update(SAMPLE, art["id"], op("/visibility", "public"))
        assert published["visibility"] == "public"


# =============================================================================================
# Hooks and notifications (§22, §25, §31 #155, #156)
# =============================================================================================

class Recorder:
    """A throwaway plugin that records every lifecycle hook and notification."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.snapshots: dict[str, dict] = {}
        self.events: list[tuple[str, Any, Any]] = []
        self.pre_create_changes: dict[str, Any] = {}
        self.pre_update_changes: dict[str, Any] = {}
        self.fail: dict[str, Exception] = {}
        self.patches: list[list[dict]] = []

    def _record(self, name: str, artifact: dict) -> None:
        self.calls.append(name)
        self.snapshots[name] = artifact
        if name in self.fail:
            raise self.fail[name]

    @hookimpl
    def glare_artifact_pre_create(self, artifact_type, artifact, changes, context):
        self._record("pre_create", artifact)
        changes.update(self.pre_create_changes)

    @hookimpl
    def glare_artifact_post_create(self, artifact_type, artifact, context):
        self._record("post_create", artifact)

    @hookimpl
    def glare_artifact_pre_update(self, artifact_type, artifact, changes, patch, context):
        self.patches.append(patch)
        self._record("pre_update", artifact)
        changes.update(self.pre_update_changes)

    @hookimpl
    def glare_artifact_post_update(self, artifact_type, artifact, context):
        self._record("post_update", artifact)

    @hookimpl
    def glare_artifact_pre_activate(self, artifact_type, artifact, changes, context):
        self._record("pre_activate", artifact)

    @hookimpl
    def glare_artifact_post_activate(self, artifact_type, artifact, context):
        self._record("post_activate", artifact)

    @hookimpl
    def glare_artifact_pre_deactivate(self, artifact_type, artifact, changes, context):
        self._record("pre_deactivate", artifact)

    @hookimpl
    def glare_artifact_post_deactivate(self, artifact_type, artifact, context):
        self._record("post_deactivate", artifact)

    @hookimpl
    def glare_artifact_pre_reactivate(self, artifact_type, artifact, changes, context):
        self._record("pre_reactivate", artifact)

    @hookimpl
    def glare_artifact_post_reactivate(self, artifact_type, artifact, context):
        self._record("post_reactivate", artifact)

    @hookimpl
    def glare_artifact_pre_publish(self, artifact_type, artifact, changes, context):
        self._record("pre_publish", artifact)

    @hookimpl
    def glare_artifact_post_publish(self, artifact_type, artifact, context):
        self._record("post_publish", artifact)

    @hookimpl
    def glare_artifact_pre_delete(self, artifact_type, artifact, changes, context):
        self._record("pre_delete", artifact)

    @hookimpl
    def glare_artifact_post_delete(self, artifact_type, artifact, context):
        self._record("post_delete", artifact)

    @hookimpl
    def glare_notify(self, event_type, payload, context):
        self.events.append((event_type, payload, context))

    def reset(self) -> None:
        self.calls.clear()
        self.snapshots.clear()
        self.events.clear()
        self.patches.clear()

    @property
    def event_types(self) -> list[str]:
        return [event for event, _, _ in self.events]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def glare_plugins(recorder) -> list[Any]:
    return [glare_sample_artifact, recorder]


def test_create_runs_pre_then_post_and_persists_pre_changes(user1, recorder):
    """§31 #155."""
    recorder.pre_create_changes = {"description": "set by hook", "int1": "42"}
    art = user1.create(SAMPLE, name="hooked")
    assert recorder.calls == ["pre_create", "post_create"]
    assert art["description"] == "set by hook"
    assert art["int1"] == 42  # hook values are coerced like client input
    assert user1.show(SAMPLE, art["id"]) == art
    assert recorder.snapshots["pre_create"]["name"] == "hooked"
    assert recorder.snapshots["post_create"]["id"] == art["id"]
    assert recorder.snapshots["post_create"]["description"] == "set by hook"


def test_pre_create_veto_creates_nothing(user1, recorder):
    recorder.fail["pre_create"] = BadRequest("refused by hook")
    assert_envelope(user1.post(SAMPLE_URL, {"name": "vetoed"}), 400, "BadRequest")
    assert recorder.calls == ["pre_create"]
    assert recorder.events == []
    assert user1.list(SAMPLE)["total_count"] == 0


def test_pre_create_invalid_value_is_rejected(user1, recorder):
    recorder.pre_create_changes = {"int_validators": 99}
    assert_envelope(user1.post(SAMPLE_URL, {"name": "bad"}), 400)
    assert user1.list(SAMPLE)["total_count"] == 0


def test_pre_create_not_called_when_validation_fails(user1, recorder):
    """§22: pre_create runs after validation and uniqueness checks."""
    assert user1.post(SAMPLE_URL, {"name": "x", "int1": "abc"}).status_code == 400
    user1.create(SAMPLE, name="dup")
    recorder.reset()
    assert user1.post(SAMPLE_URL, {"name": "dup"}).status_code == 409
    assert recorder.calls == []


def test_one_patch_runs_every_lifecycle_hook_once(user1, admin, recorder):
    """§31 #156."""
    art = user1.create(SAMPLE, name="lifecycle", string_required="x")
    recorder.reset()
    patch = [op("/description", "d"), op("/status", "active"), op("/status", "deactivated"),
             op("/status", "active"), op("/visibility", "public")]
    response = admin.patch(url(art["id"]), patch)
    assert response.status_code == 200, response.get_data(as_text=True)
    final = response.get_json()
    assert (final["status"], final["visibility"], final["description"]) == (
        "active", "public", "d")
    verbs = ("update", "activate", "deactivate", "reactivate", "publish")
    for verb in verbs:
        assert recorder.calls.count(f"pre_{verb}") == 1, recorder.calls
        assert recorder.calls.count(f"post_{verb}") == 1, recorder.calls
        assert recorder.calls.index(f"pre_{verb}") < recorder.calls.index(f"post_{verb}")
    # §7.5: pre_update first, lifecycle pre-hooks in op order, then post hooks in order.
    assert recorder.calls == [f"pre_{v}" for v in verbs] + [f"post_{v}" for v in verbs]
    assert recorder.patches == [patch]
    # Each lifecycle pre-hook sees the image right after its own op.
    assert recorder.snapshots["pre_activate"]["status"] == "active"
    assert recorder.snapshots["pre_deactivate"]["status"] == "deactivated"
    assert recorder.snapshots["pre_reactivate"]["status"] == "active"
    assert recorder.snapshots["pre_publish"]["visibility"] == "public"
    assert recorder.snapshots["post_publish"]["visibility"] == "public"
    assert "delete" not in " ".join(recorder.calls)


@pytest.mark.parametrize(
    ("start_ops", "patch", "expected"),
    [
        ([], [op("/description", "x")], ["pre_update", "post_update"]),
        ([], ACTIVATE, ["pre_update", "pre_activate", "post_update", "post_activate"]),
        (ACTIVATE, [op("/status", "active")], ["pre_update", "pre_activate"]),
        ([], [op("/name", "same")], ["pre_update"]),
        ([], [op("/status", "drafted")], ["pre_update"]),
    ],
    ids=["field", "activate", "active-noop", "name-noop", "drafted-noop"],
)
def test_patch_hook_sequences(user1, recorder, start_ops, patch, expected):
    """§22: no-op PATCHes run pre-hooks only; §11.2 active → active runs pre only."""
    art = user1.create(SAMPLE, name="same")
    if start_ops:
        user1.update(SAMPLE, art["id"], *start_ops)
    recorder.reset()
    assert user1.patch(url(art["id"]), patch).status_code == 200
    assert recorder.calls == expected


def test_idempotent_status_with_real_change_fires_post(user1, recorder):
    """§11.2: active → active combined with a real change saves, and post-hooks fire."""
    art = user1.create(SAMPLE, name="mixed")
    user1.update(SAMPLE, art["id"], *ACTIVATE)
    recorder.reset()
    response = user1.patch(url(art["id"]), [op("/status", "active"),
                                            op("/string_mutable", "m")])
    assert response.status_code == 200
    assert recorder.calls == ["pre_update", "pre_activate", "post_update", "post_activate"]
    assert recorder.event_types == ["artifact.update", "artifact.activate"]


def test_pre_update_changes_are_persisted(user1, recorder):
    art = user1.create(SAMPLE, name="upd")
    recorder.pre_update_changes = {"str1": "from hook"}
    updated = user1.update(SAMPLE, art["id"], op("/description", "client"))
    assert updated["str1"] == "from hook"
    assert updated["description"] == "client"
    assert user1.show(SAMPLE, art["id"]) == updated


@pytest.mark.parametrize(
    ("hook", "patch", "status"),
    [
        ("pre_update", [op("/description", "x")], 409),
        ("pre_activate", ACTIVATE, 409),
        ("pre_publish", [op("/visibility", "public")], 409),
    ],
)
def test_pre_hook_veto_saves_nothing(user1, admin, recorder, hook, patch, status):
    art = user1.create(SAMPLE, name="veto")
    if hook == "pre_publish":
        art = user1.update(SAMPLE, art["id"], *ACTIVATE)
    recorder.reset()
    recorder.fail[hook] = Conflict("vetoed")
    assert_envelope(admin.patch(url(art["id"]), patch), status, "Conflict")
    assert not [c for c in recorder.calls if c.startswith("post_")]
    assert recorder.events == []
    assert user1.show(SAMPLE, art["id"]) == art


def test_policy_denial_runs_no_lifecycle_hook(user1, recorder):
    """§22: pre-hooks run after the policy check for their action."""
    art = user1.create(SAMPLE, name="denied")
    user1.update(SAMPLE, art["id"], *ACTIVATE)
    recorder.reset()
    assert_envelope(user1.patch(url(art["id"]), [op("/status", "deactivated")]), 403)
    assert "pre_deactivate" not in recorder.calls
    assert recorder.events == []


def test_delete_hooks(user1, recorder):
    art = user1.create(SAMPLE, name="del")
    recorder.reset()
    assert user1.delete(url(art["id"])).status_code == 204
    assert recorder.calls == ["pre_delete", "post_delete"]
    assert recorder.snapshots["pre_delete"]["id"] == art["id"]
    assert recorder.event_types == ["artifact.delete"]


def test_pre_delete_veto_keeps_artifact(user1, recorder):
    art = user1.create(SAMPLE, name="keep")
    recorder.fail["pre_delete"] = Conflict("no")
    assert_envelope(user1.delete(url(art["id"])), 409)
    assert user1.show(SAMPLE, art["id"]) == art


# ---- notifications (§25, Q19) --------------------------------------------------------------


def test_create_notification(user1, recorder):
    art = user1.create(SAMPLE, name="note", version="1.2")
    assert recorder.event_types == ["artifact.create"]
    _, payload, context = recorder.events[0]
    assert set(payload) >= PAYLOAD_KEYS
    assert payload["type"] == SAMPLE
    for key in ("id", "name", "version", "description", "visibility", "status", "owner"):
        assert payload[key] == art[key], key
    assert payload["activated_at"] is None
    assert context.project_id == "p1"
    assert context.request_id.startswith("req-")


def test_patch_notifications_one_update_plus_one_per_action(user1, admin, recorder):
    """§25: a PATCH emits one update event plus one per lifecycle action."""
    art = user1.create(SAMPLE, name="events", string_required="x")
    recorder.reset()
    admin.update(SAMPLE, art["id"], op("/description", "d"), op("/status", "active"),
                 op("/status", "deactivated"), op("/status", "active"),
                 op("/visibility", "public"))
    assert recorder.event_types == ["artifact.update", "artifact.activate",
                                    "artifact.deactivate", "artifact.reactivate",
                                    "artifact.publish"]
    for _, payload, _ in recorder.events:
        assert payload["id"] == art["id"]
        assert payload["status"] == "active"
        assert payload["visibility"] == "public"


@pytest.mark.parametrize(
    ("patch", "events"),
    [
        ([op("/description", "x")], ["artifact.update"]),
        (ACTIVATE, ["artifact.update", "artifact.activate"]),
        ([op("/name", "quiet")], []),
    ],
)
def test_patch_notifications(user1, recorder, patch, events):
    art = user1.create(SAMPLE, name="quiet")
    recorder.reset()
    assert user1.patch(url(art["id"]), patch).status_code == 200
    assert recorder.event_types == events


def test_failed_requests_emit_nothing(user1, user2, recorder):
    art = user1.create(SAMPLE, name="fail")
    recorder.reset()
    assert user1.patch(url(art["id"]), [op("/status", "active")]).status_code == 403
    assert user2.delete(url(art["id"])).status_code == 404
    assert user1.post(SAMPLE_URL, {"name": "fail"}).status_code == 409
    assert recorder.events == []
    assert recorder.calls.count("post_update") == 0


def test_delete_notification_payload(user1, recorder):
    art = user1.create(SAMPLE, name="bye")
    recorder.reset()
    assert user1.delete(url(art["id"])).status_code == 204
    (event, payload, _), = recorder.events
    assert event == "artifact.delete"
    assert payload["id"] == art["id"]
    assert payload["type"] == SAMPLE
    assert payload["name"] == "bye"

