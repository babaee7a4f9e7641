"""What a create asks the database, and the order of its errors (contract §7.3).

A create that succeeds writes the artifact and reads nothing of it back: the name/version
scope is refused by the insert itself (every DataAPI enforces it), so it is looked up only
when a pre-create hook or a network link check runs first, when a later step fails (a
taken scope still answers 409 before any other error), or when the insert is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import glare_sample_artifact
import pytest
import sqlalchemy as sa

from glare_core.plugin import hookimpl
from tests.api.helpers import assert_error
from tests.conftest import SAMPLE, SAMPLE_URL


@pytest.fixture
def statements(glare_app: Any) -> Iterator[list[str]]:
    """The SQL statements the app's database runs, as they run."""
    seen: list[str] = []
    engine = glare_app.extensions["glare"].database.engine

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(" ".join(statement.split()))

    sa.event.listen(engine, "before_cursor_execute", record)
    yield seen
    sa.event.remove(engine, "before_cursor_execute", record)


def _reads_of_artifacts(statements: list[str]) -> list[str]:
    return [s for s in statements if s.startswith("SELECT") and "FROM glare_artifacts" in s]


def test_a_create_reads_no_artifact(user1, statements):
    user1.create(SAMPLE, name="first")
    statements.clear()
    created = user1.create(SAMPLE, name="second", tags=["a", "b"], int1=3,
                           dict_of_str={"k": "v"})
    assert _reads_of_artifacts(statements) == []
    assert [s for s in statements if s.startswith("INSERT INTO glare_artifacts ")]
    # what it answered is what is stored
    assert user1.get(f"{SAMPLE_URL}/{created['id']}").get_json() == created


def test_a_duplicate_is_409_with_the_name_and_version(user1):
    user1.create(SAMPLE, name="dup", version="2.0")
    body = assert_error(user1.post(SAMPLE_URL, {"name": "dup", "version": "2.0"}), 409,
                        "Conflict")
    assert body["error"]["message"] == (
        "Artifact with name 'dup' and version '2.0.0' already exists")


class TestScopeBeforeQuota:
    @pytest.fixture
    def glare_settings(self) -> dict[str, Any]:
        return {"GLARE_MAX_ARTIFACT_NUMBER": 1}

    def test_a_duplicate_over_the_quota_is_409_not_403(self, user1):
        user1.create(SAMPLE, name="only")
        assert_error(user1.post(SAMPLE_URL, {"name": "only"}), 409, "Conflict")
        assert_error(user1.post(SAMPLE_URL, {"name": "other"}), 403)


class Recorder:
    """A pre-create hook: its presence makes the scope be looked up before it runs."""

    def __init__(self) -> None:
        self.names: list[str] = []

    @hookimpl
    def glare_artifact_pre_create(self, artifact: dict, changes: dict) -> None:
        self.names.append(artifact["name"])


RECORDER = Recorder()


class TestWithAPreCreateHook:
    @pytest.fixture
    def glare_plugins(self) -> list[Any]:
        RECORDER.names.clear()
        return [glare_sample_artifact, RECORDER]

    def test_the_hook_never_sees_a_duplicate(self, user1):
        user1.create(SAMPLE, name="seen")
        assert_error(user1.post(SAMPLE_URL, {"name": "seen"}), 409, "Conflict")
        assert RECORDER.names == ["seen"]
