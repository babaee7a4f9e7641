"""Post-hooks and notifications run after the change was committed, each implementation
on its own (contract §22, §25): one that fails is logged with its plugin's name, and every
other plugin's post-hook and the notification still run."""

from __future__ import annotations

import logging
from typing import Any

import glare_sample_artifact
import pytest

from glare_core.plugin import hookimpl
from tests.api.helpers import ACTIVATE, url
from tests.conftest import SAMPLE


class Failing:
    """A plugin whose post-hooks and notifier all fail."""

    @hookimpl(tryfirst=True)
    def glare_artifact_post_activate(self, artifact):
        raise RuntimeError("post_activate broke")

    @hookimpl(tryfirst=True)
    def glare_blob_post_upload(self, artifact):
        raise RuntimeError("post_upload broke")

    @hookimpl(tryfirst=True)
    def glare_notify(self, event_type):
        raise RuntimeError("notifier broke")


class Witness:
    """A plugin that records the post-hooks and notifications that reach it."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    @hookimpl
    def glare_artifact_post_activate(self, artifact):
        self.seen.append(f"post_activate {artifact['status']}")

    @hookimpl
    def glare_blob_post_upload(self, artifact, field_name):
        self.seen.append(f"post_upload {field_name}")

    @hookimpl
    def glare_notify(self, event_type):
        self.seen.append(event_type)


@pytest.fixture
def witness() -> Witness:
    return Witness()


@pytest.fixture
def glare_plugins(witness) -> list[Any]:
    return [glare_sample_artifact, Failing(), witness]


def test_a_failing_post_hook_and_notifier_do_not_silence_the_others(user1, witness, caplog):
    art = user1.create(SAMPLE, name="isolated")
    witness.seen.clear()
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="glare.plugins"):
        activated = user1.update(SAMPLE, art["id"], *ACTIVATE)
    assert activated["status"] == "active"
    assert witness.seen == ["artifact.update", "post_activate active", "artifact.activate"]
    failures = [r.getMessage() for r in caplog.records if r.name == "glare.plugins"]
    assert any("glare_artifact_post_activate" in m and "Failing" in m for m in failures)
    # update and activate: each notification failed for Failing, reached the witness
    assert sum("glare_notify" in m and "Failing" in m for m in failures) == 2


def test_the_types_own_failing_post_hook_does_not_cancel_the_plugins(user1, witness,
                                                                      monkeypatch, caplog):
    """The type's own method runs first (type dispatch): its failure used to cancel every
    other implementation and the notification."""
    def broken(self, **_: Any) -> None:
        raise RuntimeError("the type's post_activate broke")

    monkeypatch.setattr(glare_sample_artifact.SampleArtifact, "post_activate", broken)
    art = user1.create(SAMPLE, name="type-fails")
    witness.seen.clear()
    with caplog.at_level(logging.ERROR, logger="glare.plugins"):
        assert user1.update(SAMPLE, art["id"], *ACTIVATE)["status"] == "active"
    assert "post_activate active" in witness.seen
    assert "artifact.activate" in witness.seen
    assert any("type_dispatch" in r.getMessage() for r in caplog.records)


def test_a_failing_blob_post_hook_keeps_the_upload_and_the_others(user1, witness):
    art = user1.create(SAMPLE, name="upload-isolated")
    witness.seen.clear()
    response = user1.put(url(art["id"], "blob"), data=b"data",
                         headers={"Content-Type": "application/octet-stream"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert witness.seen == ["post_upload blob", "artifact.upload"]
    assert user1.get(url(art["id"], "blob")).data == b"data"


# ---- pre_update sees the planned changes (plugin API 1.2) ---------------------------------


class PlanReader:
    """A plugin that keeps what its pre_update hook was shown."""

    def __init__(self) -> None:
        self.planned: list[dict] = []

    @hookimpl
    def glare_artifact_pre_update(self, artifact, planned):
        self.planned.append(planned)


class TestPreUpdateSeesThePlan:
    @pytest.fixture
    def reader(self) -> PlanReader:
        return PlanReader()

    @pytest.fixture
    def glare_plugins(self, reader) -> list[Any]:
        return [glare_sample_artifact, reader]

    def test_planned_holds_the_fields_the_patch_changes(self, user1, reader):
        art = user1.create(SAMPLE, name="planned", int1=1)
        user1.update(SAMPLE, art["id"], *[{"op": "replace", "path": "/int1", "value": 7},
                                          {"op": "add", "path": "/tags/-", "value": "t"}])
        assert reader.planned == [{"int1": 7, "tags": ["t"]}]

    def test_a_patch_that_cannot_apply_is_refused_before_the_hook(self, user1, reader):
        art = user1.create(SAMPLE, name="unplanned")
        response = user1.patch(url(art["id"]), [{"op": "replace", "path": "/int1",
                                                 "value": "not a number"}])
        assert response.status_code == 400
        assert reader.planned == []

    def test_a_type_method_written_for_api_1_1_still_runs(self, user1, reader, monkeypatch):
        """type_dispatch passes a type's pre_update only the arguments it accepts."""
        seen: list[list] = []

        def old_style(self, *, artifact, changes, patch, context):
            seen.append(patch)

        monkeypatch.setattr(glare_sample_artifact.SampleArtifact, "pre_update", old_style)
        art = user1.create(SAMPLE, name="old-style")
        ops = [{"op": "replace", "path": "/int1", "value": 3}]
        assert user1.update(SAMPLE, art["id"], *ops)["int1"] == 3
        assert seen == [ops]
