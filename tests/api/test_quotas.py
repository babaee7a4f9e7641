"""Quotas (contract §7.11, §21; §31 #142-#147): the quota API and its enforcement on
artifact creation (403) and uploads (413), globally and per type."""

from __future__ import annotations

import io
from typing import Any

import glare_sample_artifact
import pytest

from glare_core.plugin import GIB, ArtifactType, BaseArtifactSchema, fields, hookimpl
from tests.conftest import SAMPLE, SAMPLE_URL

WIDGETS = "widgets"
GADGETS = "gadgets"


class WidgetSchema(BaseArtifactSchema):
    payload = fields.Blob(mutable=True, max_blob_size=GIB)


class Widget(ArtifactType):
    name = WIDGETS
    schema = WidgetSchema


class Gadget(ArtifactType):
    name = GADGETS
    schema = WidgetSchema


class ExtraTypes:
    """Two more types, so global and per-type quotas can be told apart."""

    @hookimpl
    def glare_register_artifact_types(self, app: Any) -> list:
        return [Widget, Gadget]


@pytest.fixture
def glare_plugins() -> list[Any]:
    return [glare_sample_artifact, ExtraTypes()]


def quota_body(project: str, **values: int) -> list[dict]:
    return [{"project_id": project, "project_quotas": [
        {"quota_name": name.replace("__", ":"), "quota_value": value}
        for name, value in values.items()]}]


def set_quotas(admin, project: str, **values: int) -> Any:
    response = admin.put("/quotas", json_body=quota_body(project, **values))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def create_status(client, type_name: str, name: str) -> int:
    return client.post(f"/artifacts/{type_name}", {"name": name}).status_code


def upload(client, type_name: str, artifact_id: str, field: str, size: int) -> Any:
    return client.put(f"/artifacts/{type_name}/{artifact_id}/{field}", data=b"q" * size,
                      content_type="application/octet-stream")


# ---- the quota API (§31 #142-#145) -------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        [{"a": 1}, {"b": 2}],
        [{"project_id": "p1", "project_quotas": [{"quota_value": 1}]}],
        [{"project_id": "p1", "project_quotas": [{"quota_name": "max_artifact_number"}]}],
        [{"project_quotas": [{"quota_name": "max_artifact_number", "quota_value": 1}]}],
        [{"project_id": "p1"}],
        [{"project_id": "p1", "project_quotas": [
            {"quota_name": "max:artifact:number", "quota_value": 1}]}],
        [{"project_id": "p1", "project_quotas": [{"quota_name": "a" * 256, "quota_value": 1}]}],
        [{"project_id": "p" * 256, "project_quotas": [
            {"quota_name": "max_artifact_number", "quota_value": 1}]}],
        [{"project_id": "p1", "project_quotas": [
            {"quota_name": "max_artifact_number", "quota_value": -2}]}],
        [{"project_id": "p1", "project_quotas": [
            {"quota_name": "max_artifact_number", "quota_value": "AAA"}]}],
        [{"project_id": "p1", "project_quotas": [
            {"quota_name": "max_artifact_number", "quota_value": 10.5}]}],
        [{"project_id": "p1", "project_quotas": [
            {"quota_name": "max_artifact_number", "quota_value": True}]}],
        [{"project_id": "p1", "project_quotas": [
            {"quota_name": "max_artifact_number:not_a_type", "quota_value": 1}]}],
        [{"project_id": "p1", "project_quotas": [
            {"quota_name": "max_files", "quota_value": 1}]}],
        [{"project_id": "p1", "project_quotas": [
            {"quota_name": "max_artifact_number", "quota_value": 1},
            {"quota_name": "max_artifact_number", "quota_value": 2}]}],  # one name twice
        [{"project_id": "p\ud800", "project_quotas": []}],  # a lone surrogate is no text
        [{"project_id": "p1", "project_quotas": [
            {"quota_name": "max_uploaded_data", "quota_value": 2**63}]}],  # past BIGINT
        [{"project_id": "p\x00", "project_quotas": []}],
        {"project_id": "p1", "project_quotas": []},
        "quotas",
    ],
)
def test_invalid_quota_bodies_are_400(admin, body):
    """#142 (and Q21: only the two quota names, optionally :<enabled type>)."""
    response = admin.put("/quotas", json_body=body)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.get_json()["error"]["type"] == "BadRequest"


def test_largest_quota_value_is_the_64_bit_maximum(admin):
    quota = {"quota_name": "max_uploaded_data", "quota_value": 2**63 - 1}
    assert admin.put("/quotas", json_body=[
        {"project_id": "big", "project_quotas": [quota]}]).status_code == 200
    assert admin.get("/quotas").get_json()["quotas"] == [
        {"project_id": "big", "project_quotas": [quota]}]


def test_a_refused_quota_body_changes_nothing(admin):
    quota = {"quota_name": "max_artifact_number", "quota_value": 5}
    assert admin.put("/quotas", json_body=[
        {"project_id": "p1", "project_quotas": [quota]}]).status_code == 200
    twice = [{"project_id": "p1", "project_quotas": [quota, {**quota, "quota_value": 6}]}]
    assert admin.put("/quotas", json_body=twice).status_code == 400
    stored = admin.get("/quotas").get_json()["quotas"]
    assert stored == [{"project_id": "p1", "project_quotas": [quota]}]


def test_put_quotas_requires_json(admin):
    response = admin.put("/quotas", data=b"[]", content_type="text/plain")
    assert response.status_code == 415


@pytest.fixture
def glare_settings() -> dict[str, Any]:
    return {
        "GLARE_MAX_ARTIFACT_NUMBER": 10,
        "GLARE_MAX_UPLOADED_DATA": 1000,
        "GLARE_TYPES": {
            WIDGETS: {"max_artifact_number": 3, "max_uploaded_data": 1500},
            GADGETS: {"max_artifact_number": 15},
            SAMPLE: {"max_uploaded_data": 300},
        },
    }


GLOBAL_QUOTAS = {
    "max_artifact_number": 10,
    "max_uploaded_data": 1000,
    f"max_artifact_number:{GADGETS}": 15,
    f"max_uploaded_data:{SAMPLE}": 300,
    f"max_artifact_number:{WIDGETS}": 3,
    f"max_uploaded_data:{WIDGETS}": 1500,
}


def test_set_and_list_quotas(admin, user1):
    """#143: PUT answers the stored quotas (Q20); GET /quotas lists them and the globals."""
    stored = set_quotas(admin, "p1", max_artifact_number=5,
                        **{f"max_uploaded_data__{WIDGETS}": 2000})
    expected = [{"project_id": "p1", "project_quotas": [
        {"quota_name": "max_artifact_number", "quota_value": 5},
        {"quota_name": f"max_uploaded_data:{WIDGETS}", "quota_value": 2000}]}]
    assert stored == expected
    listing = admin.get("/quotas").get_json()
    assert listing == {"quotas": expected, "global_quotas": GLOBAL_QUOTAS}
    # A second PUT replaces every row of the project.
    set_quotas(admin, "p1", max_uploaded_data=7)
    assert admin.get("/quotas").get_json()["quotas"] == [{"project_id": "p1", "project_quotas": [
        {"quota_name": "max_uploaded_data", "quota_value": 7}]}]


def test_project_quotas_are_globals_overlaid_by_project_rows(admin, user1):
    """#144."""
    set_quotas(admin, "p1", max_artifact_number=5)
    expected = {**GLOBAL_QUOTAS, "max_artifact_number": 5}
    for client, path in ((admin, "/project-quotas/p1"), (user1, "/project-quotas"),
                         (user1, "/project-quotas/p1")):
        body = client.get(path).get_json()
        assert len(body) == 1
        assert body[0]["project_id"] == "p1"
        assert {q["quota_name"]: q["quota_value"] for q in body[0]["project_quotas"]} == expected
    admin_own = admin.get("/project-quotas").get_json()
    assert admin_own[0]["project_id"] == "admin-project"
    assert {q["quota_name"]: q["quota_value"] for q in admin_own[0]["project_quotas"]} == (
        GLOBAL_QUOTAS)


def test_members_cannot_set_or_list_all_or_read_other_projects(user1):
    """#145."""
    assert user1.put("/quotas", json_body=quota_body("p1", max_artifact_number=1)
                     ).status_code == 403
    assert user1.get("/quotas").status_code == 403
    assert user1.get("/project-quotas/p2").status_code == 403


@pytest.mark.parametrize(
    ("path", "method", "allowed"),
    [("/quotas", "DELETE", ["GET", "PUT"]), ("/quotas", "POST", ["GET", "PUT"]),
     ("/project-quotas", "POST", ["GET"]), ("/project-quotas/p1", "PUT", ["GET"])],
)
def test_wrong_method_on_quota_routes_is_405(admin, path, method, allowed):
    response = admin.request(method, path)
    assert response.status_code == 405
    assert sorted(m.strip() for m in response.headers["Allow"].split(",")) == allowed


def test_body_on_quota_get_is_400(admin):
    response = admin.request("GET", "/quotas", data=b"{}", content_type="application/json")
    assert response.status_code == 400


# ---- enforcement: artifact count (§31 #146) ------------------------------------------------


def test_count_quotas_type_then_global(admin, user1):
    for n in range(3):
        assert create_status(user1, WIDGETS, f"w{n}") == 201
    assert create_status(user1, WIDGETS, "w3") == 403  # type limit 3
    for n in range(7):
        assert create_status(user1, GADGETS, f"g{n}") == 201
    response = user1.post(f"/artifacts/{GADGETS}", {"name": "g7"})
    assert response.status_code == 403  # global limit 10 (3 + 7)
    assert "max_artifact_number" in response.get_json()["error"]["message"]
    first = user1.list(WIDGETS)["artifacts"][0]
    assert user1.delete(f"/artifacts/{WIDGETS}/{first['id']}").status_code == 204
    assert create_status(user1, GADGETS, "g7") == 201  # deleting frees the count


def test_admin_is_limited_in_its_own_project_only(admin, user1):
    for n in range(10):
        assert create_status(admin, GADGETS, f"a{n}") == 201
    assert create_status(admin, GADGETS, "a10") == 403
    assert create_status(user1, GADGETS, "u0") == 201  # other projects are not affected


def test_project_values_override_configuration(admin, user1):
    set_quotas(admin, "p1", max_artifact_number=-1)
    for n in range(15):
        assert create_status(user1, GADGETS, f"g{n}") == 201
    assert create_status(user1, GADGETS, "g15") == 403  # type limit 15 still applies
    set_quotas(admin, "p1", max_artifact_number=-1, **{f"max_artifact_number__{GADGETS}": -1})
    assert create_status(user1, GADGETS, "g15") == 201


def test_delayed_delete_keeps_counting(glare_config, glare_plugins):
    """Q31: deleted artifacts not yet scrubbed still count toward quotas."""
    from glare_core.app import create_app
    from glare_core.testing import GlareClient

    app = create_app({**glare_config, "GLARE_DELAYED_DELETE": True}, plugins=glare_plugins,
                     autoload=False)
    client = GlareClient(app.test_client())
    ids = [client.create(WIDGETS, name=f"w{n}")["id"] for n in range(3)]
    assert client.delete(f"/artifacts/{WIDGETS}/{ids[0]}").status_code == 204
    assert create_status(client, WIDGETS, "w3") == 403


def test_create_count_quota_order(user1, admin):
    """§7.3 order with a count quota: coercion 400, uniqueness 409, quota 403, then the
    per-field checks (which the quota hides)."""
    set_quotas(admin, "p1", **{f"max_artifact_number__{SAMPLE}": 1})
    user1.create(SAMPLE, name="first")
    assert user1.post(SAMPLE_URL, {"name": "second"}).status_code == 403
    assert user1.post(SAMPLE_URL, {"name": "first"}).status_code == 409
    assert user1.post(SAMPLE_URL, {"name": "second", "int1": "NaN!"}).status_code == 400
    assert user1.post(SAMPLE_URL, {"name": "second", "string1": "x"}).status_code == 403
    assert user1.post(SAMPLE_URL, {"name": "second", "system_attribute": "x"}
                      ).status_code == 403
    assert user1.list(SAMPLE)["total_count"] == 1


# ---- enforcement: uploaded data (§31 #147) -------------------------------------------------


def test_data_quotas(admin, user1):
    sample = user1.create(SAMPLE, name="s1")
    sample2 = user1.create(SAMPLE, name="s2")
    widget = user1.create(WIDGETS, name="w1")
    widget2 = user1.create(WIDGETS, name="w2")
    assert upload(user1, SAMPLE, sample["id"], "blob", 301).status_code == 413
    assert upload(user1, WIDGETS, widget["id"], "payload", 1001).status_code == 413
    assert upload(user1, SAMPLE, sample["id"], "blob", 300).status_code == 200
    assert upload(user1, SAMPLE, sample["id"], "small_blob", 1).status_code == 413
    assert upload(user1, SAMPLE, sample2["id"], "blob", 1).status_code == 413
    # Q9: replacing a blob does not count its old size.
    assert upload(user1, SAMPLE, sample["id"], "blob", 300).status_code == 200
    assert user1.delete(f"{SAMPLE_URL}/{sample['id']}").status_code == 204
    assert upload(user1, SAMPLE, sample2["id"], "blob", 300).status_code == 200
    assert upload(user1, WIDGETS, widget["id"], "payload", 700).status_code == 200
    response = upload(user1, WIDGETS, widget2["id"], "payload", 1)
    assert response.status_code == 413  # global 1000 = 300 + 700
    assert "max_uploaded_data" in response.get_json()["error"]["message"]
    admin_widget = admin.create(WIDGETS, name="aw")
    assert upload(admin, WIDGETS, admin_widget["id"], "payload", 1000).status_code == 200
    set_quotas(admin, "p1", max_uploaded_data=-1)
    assert upload(user1, WIDGETS, widget2["id"], "payload", 800).status_code == 200
    # Replacing widget2's 800 bytes: 700 (widget) + 801 > the type limit 1500.
    response = upload(user1, WIDGETS, widget2["id"], "payload", 801)
    assert response.status_code == 413
    assert response.get_json()["error"]["message"].endswith(
        f"max_uploaded_data:{WIDGETS} (1500 bytes; 800 left for this upload)")
    set_quotas(admin, "p1", max_uploaded_data=-1, **{f"max_uploaded_data__{WIDGETS}": -1})
    assert upload(user1, WIDGETS, widget2["id"], "payload", 1000).status_code == 200


def test_an_admin_uploads_under_its_own_projects_data_quota(admin, user1):
    """§21: an admin is subject to its own project's quotas, and other projects' quotas
    do not affect it, also when it uploads into another project's artifact."""
    widget = user1.create(WIDGETS, name="w1")
    assert upload(user1, WIDGETS, widget["id"], "payload", 1000).status_code == 200
    full = user1.create(WIDGETS, name="w2")
    assert upload(user1, WIDGETS, full["id"], "payload", 1).status_code == 413  # p1 is full
    assert upload(admin, WIDGETS, full["id"], "payload", 50).status_code == 200

    set_quotas(admin, "admin-project", max_uploaded_data=10)
    set_quotas(admin, "p1", max_uploaded_data=-1)
    other = user1.create(WIDGETS, name="w3")
    response = upload(admin, WIDGETS, other["id"], "payload", 50)
    assert response.status_code == 413
    assert "max_uploaded_data (10 bytes" in response.get_json()["error"]["message"]
    assert upload(user1, WIDGETS, other["id"], "payload", 50).status_code == 200


def test_data_quota_caps_streams_without_content_length(user1):
    """Without Content-Length the remaining quota caps the stream (413 mid-stream)."""
    sample = user1.create(SAMPLE, name="s1")
    response = user1.put(
        f"{SAMPLE_URL}/{sample['id']}/blob", input_stream=io.BytesIO(b"z" * 301),
        content_type="application/octet-stream", headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413
    assert user1.show(SAMPLE, sample["id"])["blob"] is None
