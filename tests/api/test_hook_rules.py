"""The rules every hook lives by: post-hook errors are logged (the committed change stands),
values pre-hooks set are validated like client input, pre-delete changes are saved."""

from __future__ import annotations

import logging
from typing import Any

import glare_sample_artifact
import pytest

from glare_core.plugin import hookimpl
from tests.conftest import SAMPLE, SAMPLE_URL

LOCATION = "application/vnd+openstack.glare-custom-location+json"


class Troublemaker:
    def __init__(self) -> None:
        self.system_value = "x" * 1000

    @hookimpl
    def glare_blob_post_upload(self, artifact):
        raise RuntimeError("post-upload exploded")

    @hookimpl
    def glare_blob_post_add_location(self, artifact):
        raise RuntimeError("post-add-location exploded")

    @hookimpl
    def glare_artifact_post_update(self, artifact):
        raise RuntimeError("post-update exploded")

    @hookimpl
    def glare_artifact_pre_create(self, artifact, changes):
        if artifact["name"] == "bad-system-value":
            changes["system_attribute"] = self.system_value
        if artifact["name"] == "good-system-value":
            changes["system_attribute"] = 42  # coerced to text, like client input

    @hookimpl
    def glare_artifact_pre_delete(self, artifact, changes):
        changes["description"] = "deleted by the hook's request"


@pytest.fixture
def glare_plugins() -> list[Any]:
    return [glare_sample_artifact, Troublemaker()]


@pytest.fixture
def glare_settings() -> dict[str, Any]:
    return {"GLARE_DELAYED_DELETE": True}


def test_post_upload_errors_are_logged_not_returned(user1, caplog):
    artifact = user1.create(SAMPLE, name="up")
    with caplog.at_level(logging.ERROR):
        response = user1.put(f"{SAMPLE_URL}/{artifact['id']}/blob", data=b"data",
                             content_type="text/plain")
    assert response.status_code == 200
    assert response.get_json()["blob"]["status"] == "active"
    assert "post-upload exploded" in caplog.text


def test_post_add_location_errors_are_logged_not_returned(user1, caplog):
    artifact = user1.create(SAMPLE, name="loc")
    with caplog.at_level(logging.ERROR):
        response = user1.put(f"{SAMPLE_URL}/{artifact['id']}/blob", content_type=LOCATION,
                             json_body={"url": "https://example.com/x", "md5": "abc"})
    assert response.status_code == 200
    assert "post-add-location exploded" in caplog.text


def test_post_update_errors_are_logged_not_returned(user1, caplog):
    artifact = user1.create(SAMPLE, name="upd")
    with caplog.at_level(logging.ERROR):
        response = user1.patch(f"{SAMPLE_URL}/{artifact['id']}",
                               [{"op": "replace", "path": "/description", "value": "d"}])
    assert response.status_code == 200
    assert "post-update exploded" in caplog.text


def test_values_hooks_set_are_validated(user1):
    response = user1.post(SAMPLE_URL, {"name": "bad-system-value"})
    assert response.status_code == 400
    assert "system_attribute" in response.get_json()["error"]["message"]
    assert user1.list(SAMPLE)["total_count"] == 0
    created = user1.create(SAMPLE, name="good-system-value")
    assert created["system_attribute"] == "42"


def test_pre_delete_changes_are_saved(user1):
    artifact = user1.create(SAMPLE, name="del")
    assert user1.delete(f"{SAMPLE_URL}/{artifact['id']}").status_code == 204
    shown = user1.show(SAMPLE, artifact["id"])  # delayed delete keeps the record
    assert shown["status"] == "deleted"
    assert shown["description"] == "deleted by the hook's request"
