"""One test per hook (``test_hook_<hook name>``): a recording plugin implements every hook
and each test drives the API until the hook fires, then checks what it received."""

from __future__ import annotations

from typing import Any

import glare_sample_artifact
import pytest

from glare_core.app import create_app
from glare_core.blobs.filesystem import FilesystemStore
from glare_core.plugin import hookimpl
from glare_core.testing import GlareClient
from tests.api.helpers import ACTIVATE, LOCATION, replace

SAMPLE = "sample_artifact"


class RecorderStore(FilesystemStore):
    """A second filesystem store, under its own scheme and folder."""

    schemes = ("recorder",)


class Recorder:
    """Implements every hook; remembers (hook, arguments) in call order."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def seen(self, hook: str) -> list[dict[str, Any]]:
        return [args for name, args in self.calls if name == hook]

    def _record(self, hook: str, **args: Any) -> None:
        self.calls.append((hook, args))

    @hookimpl
    def glare_register_artifact_types(self, app):
        self._record("glare_register_artifact_types", app=app)
        return []

    @hookimpl
    def glare_register_policy_rules(self, app):
        self._record("glare_register_policy_rules", app=app)
        return {"recorder:rule": "role:recorder"}

    @hookimpl
    def glare_get_data_api(self, artifact_type, app):
        self._record("glare_get_data_api", artifact_type=artifact_type)

    @hookimpl
    def glare_register_blob_stores(self, app):
        self._record("glare_register_blob_stores", app=app)
        return [RecorderStore(app.config["GLARE_DATA_DIR"] + "/recorder-blobs")]

    @hookimpl
    def glare_choose_blob_store(self, artifact_type, field_name, app):
        self._record("glare_choose_blob_store", field_name=field_name)
        return "recorder" if field_name == "small_blob" else None

    @hookimpl
    def glare_migration_locations(self, app):
        self._record("glare_migration_locations", app=app)
        return []

    @hookimpl
    def glare_startup(self, app):
        self._record("glare_startup", app=app)

    @hookimpl
    def glare_artifact_pre_create(self, artifact, changes):
        self._record("glare_artifact_pre_create", artifact=artifact)
        changes["description"] = "set by the pre-create hook"

    @hookimpl
    def glare_artifact_post_create(self, artifact):
        self._record("glare_artifact_post_create", artifact=artifact)

    @hookimpl
    def glare_artifact_pre_update(self, artifact, patch):
        self._record("glare_artifact_pre_update", artifact=artifact, patch=patch)

    @hookimpl
    def glare_artifact_post_update(self, artifact):
        self._record("glare_artifact_post_update", artifact=artifact)

    @hookimpl
    def glare_artifact_pre_activate(self, artifact):
        self._record("glare_artifact_pre_activate", artifact=artifact)

    @hookimpl
    def glare_artifact_post_activate(self, artifact):
        self._record("glare_artifact_post_activate", artifact=artifact)

    @hookimpl
    def glare_artifact_pre_deactivate(self, artifact):
        self._record("glare_artifact_pre_deactivate", artifact=artifact)

    @hookimpl
    def glare_artifact_post_deactivate(self, artifact):
        self._record("glare_artifact_post_deactivate", artifact=artifact)

    @hookimpl
    def glare_artifact_pre_reactivate(self, artifact):
        self._record("glare_artifact_pre_reactivate", artifact=artifact)

    @hookimpl
    def glare_artifact_post_reactivate(self, artifact):
        self._record("glare_artifact_post_reactivate", artifact=artifact)

    @hookimpl
    def glare_artifact_pre_publish(self, artifact):
        self._record("glare_artifact_pre_publish", artifact=artifact)

    @hookimpl
    def glare_artifact_post_publish(self, artifact):
        self._record("glare_artifact_post_publish", artifact=artifact)

    @hookimpl
    def glare_artifact_pre_delete(self, artifact):
        self._record("glare_artifact_pre_delete", artifact=artifact)

    @hookimpl
    def glare_artifact_post_delete(self, artifact):
        self._record("glare_artifact_post_delete", artifact=artifact)

    @hookimpl
    def glare_blob_pre_upload(self, field_name, blob_key, stream, changes):
        self._record("glare_blob_pre_upload", field_name=field_name, blob_key=blob_key)
        changes["str1"] = "derived from the upload"
        return (chunk.upper() for chunk in stream)

    @hookimpl
    def glare_blob_post_upload(self, artifact, field_name, blob_key):
        self._record("glare_blob_post_upload", artifact=artifact, field_name=field_name)

    @hookimpl
    def glare_blob_pre_download(self, field_name, blob_key):
        self._record("glare_blob_pre_download", field_name=field_name, blob_key=blob_key)

    @hookimpl
    def glare_blob_post_download(self, data):
        self._record("glare_blob_post_download")
        return (chunk + b"!" for chunk in data)

    @hookimpl
    def glare_blob_pre_add_location(self, field_name, blob_key, url):
        self._record("glare_blob_pre_add_location", field_name=field_name, url=url)

    @hookimpl
    def glare_blob_post_add_location(self, artifact, field_name):
        self._record("glare_blob_post_add_location", field_name=field_name)

    @hookimpl
    def glare_notify(self, event_type, payload):
        self._record("glare_notify", event_type=event_type, payload=payload)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def app(glare_config, recorder):
    return create_app(glare_config, plugins=[glare_sample_artifact, recorder], autoload=False)


@pytest.fixture
def client(app) -> GlareClient:
    return GlareClient(app.test_client())


@pytest.fixture
def admin(client) -> GlareClient:
    return client.as_admin()


@pytest.fixture
def artifact(client) -> dict:
    return client.create(SAMPLE, name="hooked")


def path(artifact: dict, suffix: str = "") -> str:
    return f"/artifacts/{SAMPLE}/{artifact['id']}{suffix}"


# ---- start-up hooks ------------------------------------------------------------------------


def test_hook_glare_register_artifact_types(app, recorder):
    assert [c["app"] for c in recorder.seen("glare_register_artifact_types")] == [app]
    assert SAMPLE in app.extensions["glare"].registry


def test_hook_glare_register_policy_rules(app, recorder):
    assert recorder.seen("glare_register_policy_rules")
    assert app.extensions["glare"].policy.rules["recorder:rule"] == "role:recorder"


def test_hook_glare_get_data_api(app, recorder):
    asked = [c["artifact_type"].type_name for c in recorder.seen("glare_get_data_api")]
    assert asked == [SAMPLE]  # the recorder passed (None): the default store answered


def test_hook_glare_register_blob_stores(app, recorder):
    assert recorder.seen("glare_register_blob_stores")
    assert "recorder" in app.extensions["glare"].stores.by_scheme


def test_hook_glare_choose_blob_store(client, artifact, recorder):
    assert {"field_name": "small_blob"} in recorder.seen("glare_choose_blob_store")
    response = client.put(path(artifact, "/small_blob"), data=b"abc",
                          content_type="text/plain")
    assert response.status_code == 200
    state = client.client.application.extensions["glare"]
    location = state.engine.context.find(artifact["id"])["small_blob"]["location"]
    assert location.startswith("recorder:")
    assert state.stores.by_name["recorder"].path_of(location).read_bytes() == b"ABC"
    assert client.get(path(artifact, "/small_blob")).data == b"ABC!"


def test_hook_glare_migration_locations(app, recorder):
    from glare_core.data.migrations import sources

    assert [s.name for s in sources(app)] == ["glare_core"]
    assert recorder.seen("glare_migration_locations")


def test_hook_glare_startup(app, recorder):
    assert recorder.calls[-1][0] == "glare_startup"


# ---- artifact lifecycle hooks ---------------------------------------------------------------


def test_hook_glare_artifact_pre_create(client, recorder):
    created = client.create(SAMPLE, name="pre")
    assert recorder.seen("glare_artifact_pre_create")[0]["artifact"]["name"] == "pre"
    assert created["description"] == "set by the pre-create hook"


def test_hook_glare_artifact_post_create(client, recorder):
    created = client.create(SAMPLE, name="post")
    assert recorder.seen("glare_artifact_post_create")[0]["artifact"]["id"] == created["id"]


def test_hook_glare_artifact_pre_update(client, artifact, recorder):
    ops = [replace("/description", "d")]
    client.update(SAMPLE, artifact["id"], *ops)
    (call,) = recorder.seen("glare_artifact_pre_update")
    assert call["patch"] == ops
    assert call["artifact"]["description"] == "set by the pre-create hook"


def test_hook_glare_artifact_post_update(client, artifact, recorder):
    client.update(SAMPLE, artifact["id"], replace("/description", "d"))
    assert recorder.seen("glare_artifact_post_update")[0]["artifact"]["description"] == "d"


@pytest.fixture
def lifecycle(client, admin, artifact, recorder) -> Recorder:
    """One PATCH through every lifecycle action (contract §31 #156)."""
    client.update(SAMPLE, artifact["id"], *ACTIVATE)
    admin.update(SAMPLE, artifact["id"], replace("/status", "deactivated"),
                 replace("/status", "active"), replace("/visibility", "public"))
    return recorder


@pytest.mark.parametrize("action", ["activate", "deactivate", "reactivate", "publish"])
def test_lifecycle_pre_runs_before_post(lifecycle, action):
    names = [name for name, _ in lifecycle.calls]
    assert names.index(f"glare_artifact_pre_{action}") < names.index(
        f"glare_artifact_post_{action}")


def test_hook_glare_artifact_pre_activate(lifecycle):
    assert lifecycle.seen("glare_artifact_pre_activate")[0]["artifact"]["status"] == "active"


def test_hook_glare_artifact_post_activate(lifecycle):
    assert lifecycle.seen("glare_artifact_post_activate")[0]["artifact"]["activated_at"]


def test_hook_glare_artifact_pre_deactivate(lifecycle):
    image = lifecycle.seen("glare_artifact_pre_deactivate")[0]["artifact"]
    assert image["status"] == "deactivated"


def test_hook_glare_artifact_post_deactivate(lifecycle):
    assert len(lifecycle.seen("glare_artifact_post_deactivate")) == 1


def test_hook_glare_artifact_pre_reactivate(lifecycle):
    assert lifecycle.seen("glare_artifact_pre_reactivate")[0]["artifact"]["status"] == "active"


def test_hook_glare_artifact_post_reactivate(lifecycle):
    assert len(lifecycle.seen("glare_artifact_post_reactivate")) == 1


def test_hook_glare_artifact_pre_publish(lifecycle):
    image = lifecycle.seen("glare_artifact_pre_publish")[0]["artifact"]
    assert image["visibility"] == "public"


def test_hook_glare_artifact_post_publish(lifecycle):
    saved = lifecycle.seen("glare_artifact_post_publish")[0]["artifact"]
    assert (saved["visibility"], saved["status"]) == ("public", "active")


def test_hook_glare_artifact_pre_delete(client, artifact, recorder):
    assert client.delete(path(artifact)).status_code == 204
    assert recorder.seen("glare_artifact_pre_delete")[0]["artifact"]["id"] == artifact["id"]


def test_hook_glare_artifact_post_delete(client, artifact, recorder):
    assert client.delete(path(artifact)).status_code == 204
    assert recorder.seen("glare_artifact_post_delete")[0]["artifact"]["id"] == artifact["id"]


# ---- blob hooks -----------------------------------------------------------------------------


@pytest.fixture
def uploaded(client, artifact) -> dict:
    response = client.put(path(artifact, "/blob"), data=b"data", content_type="text/plain")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_hook_glare_blob_pre_upload(uploaded, recorder):
    assert recorder.seen("glare_blob_pre_upload") == [{"field_name": "blob", "blob_key": None}]
    assert uploaded["blob"]["size"] == 4
    assert uploaded["str1"] == "derived from the upload"  # set through ``changes``


def test_hook_glare_blob_post_upload(uploaded, recorder):
    (call,) = recorder.seen("glare_blob_post_upload")
    assert call["field_name"] == "blob"
    assert call["artifact"]["blob"]["status"] == "active"


def test_hook_glare_blob_pre_download(client, uploaded, recorder):
    client.get(path(uploaded, "/blob"))
    assert recorder.seen("glare_blob_pre_download") == [{"field_name": "blob", "blob_key": None}]


def test_hook_glare_blob_post_download(client, uploaded, recorder):
    body = client.get(path(uploaded, "/blob")).data
    assert body == b"DATA!"  # uppercased on the way in, "!" added on the way out
    assert len(recorder.seen("glare_blob_post_download")) == 1


def test_hook_glare_blob_pre_add_location(client, artifact, recorder):
    url = "https://example.com/data.bin"
    response = client.put(path(artifact, "/dict_of_blobs/ext"), content_type=LOCATION,
                          json_body={"url": url, "md5": "abc"})
    assert response.status_code == 200
    assert recorder.seen("glare_blob_pre_add_location") == [
        {"field_name": "dict_of_blobs", "url": url}]


def test_hook_glare_blob_post_add_location(client, artifact, recorder):
    client.put(path(artifact, "/blob"), content_type=LOCATION,
               json_body={"url": "https://example.com/x", "md5": "abc"})
    assert recorder.seen("glare_blob_post_add_location") == [{"field_name": "blob"}]


def test_hook_glare_notify(client, admin, artifact, recorder):
    client.update(SAMPLE, artifact["id"], *ACTIVATE)
    events = [c["event_type"] for c in recorder.seen("glare_notify")]
    assert events == ["artifact.create", "artifact.update", "artifact.activate"]
    payload = recorder.seen("glare_notify")[-1]["payload"]
    assert (payload["type"], payload["id"], payload["status"]) == (
        SAMPLE, artifact["id"], "active")
