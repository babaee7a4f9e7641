"""The DataAPI contract suite: tests every DataAPI must pass, to subclass in a test module."""

from __future__ import annotations

from typing import Any

import pytest


def contract_values(artifact_type: Any, **overrides: Any) -> dict[str, Any]:
    """A complete, valid set of field values for a new artifact of ``artifact_type``."""
    import datetime as dt
    import uuid

    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    values: dict[str, Any] = {}
    for name, spec in artifact_type.fields.items():
        values[name] = spec.empty_blob_value() if spec.is_blob else (
            spec.default_value())
    values.update(
        id=str(uuid.uuid4()), name="contract", version="1.0.0", owner="p1", status="drafted",
        visibility="private", created_at=now, updated_at=now, activated_at=None,
        display_type_name=artifact_type.display_name, description="", tags=[], metadata={},
    )
    values.update(overrides)
    return values


class DataAPIContract:
    """Tests every DataAPI must pass. Subclass it in a test module and provide fixtures:

    * ``data_api`` — the DataAPI under test, on an empty store;
    * ``contract_type`` — an ArtifactType instance it stores, with an Integer field named
      by the class attribute ``int_field`` (filterable with the numeric operators).

    Example::

        class TestMyStore(DataAPIContract):
            int_field = "size"

            @pytest.fixture
            def data_api(self, glare_app): ...
            @pytest.fixture
            def contract_type(self, glare_app): ...
    """

    int_field = "int1"

    # -- helpers --

    def make(self, data_api: Any, artifact_type: Any, **overrides: Any) -> dict[str, Any]:
        return data_api.create(artifact_type.type_name,
                               contract_values(artifact_type, **overrides))

    def query(self, artifact_type: Any, **kwargs: Any) -> Any:
        from glare_core.data.query import ListQuery, Scope, SortKey

        fields = artifact_type.fields
        kwargs.setdefault("scope", Scope(see_all=True))
        kwargs.setdefault("sort", (SortKey(fields["name"], "asc"), SortKey(fields["id"], "asc")))
        return ListQuery(type_names=(artifact_type.type_name,), **kwargs)

    @staticmethod
    def names(result: Any) -> list[str]:
        return [a["name"] for a in result.artifacts]

    # -- records --

    def test_create_returns_the_stored_record(self, data_api, contract_type):
        record = self.make(data_api, contract_type, name="a", tags=["x", "y"],
                           metadata={"k": "v"}, **{self.int_field: 7})
        assert record["type_name"] == contract_type.type_name
        assert record["name"] == "a"
        assert record["tags"] == ["x", "y"]
        assert record["metadata"] == {"k": "v"}
        assert record[self.int_field] == 7
        assert isinstance(record["revision"], int)
        assert data_api.get(record["id"]) == record

    def test_get_unknown_is_none(self, data_api):
        assert data_api.get("00000000-0000-0000-0000-000000000000") is None

    def test_update_moves_the_revision_and_detects_lost_updates(self, data_api, contract_type):
        from glare_core.errors import Conflict

        record = self.make(data_api, contract_type)
        updated = data_api.update(record["id"], {"description": "new", "tags": ["t"]},
                                  revision=record["revision"])
        assert (updated["description"], updated["tags"]) == ("new", ["t"])
        assert updated["revision"] != record["revision"]
        with pytest.raises(Conflict):
            data_api.update(record["id"], {"description": "stale"},
                            revision=record["revision"])
        assert data_api.get(record["id"])["description"] == "new"

    def test_update_of_a_missing_artifact(self, data_api):
        from glare_core.errors import ArtifactNotFound, Conflict

        with pytest.raises((ArtifactNotFound, Conflict)):
            data_api.update("00000000-0000-0000-0000-000000000000", {"description": "x"},
                            revision=1)

    def test_delete_is_idempotent(self, data_api, contract_type):
        record = self.make(data_api, contract_type)
        data_api.delete(record["id"])
        data_api.delete(record["id"])
        assert data_api.get(record["id"]) is None

    # -- scopes --

    def test_scope_taken_and_enforced(self, data_api, contract_type):
        from glare_core.errors import Conflict

        record = self.make(data_api, contract_type, name="n", version="1.0.0", owner="p1")
        name = contract_type.type_name
        assert data_api.scope_taken(name, "n", "1.0.0", owner="p1", visibility="private")
        assert not data_api.scope_taken(name, "n", "1.0.0", owner="p2", visibility="private")
        assert not data_api.scope_taken(name, "n", "1.0.0", owner="p1", visibility="private",
                                        exclude_id=record["id"])
        with pytest.raises(Conflict):
            self.make(data_api, contract_type, name="n", version="1.0.0", owner="p1")
        self.make(data_api, contract_type, name="n", version="1.0.0", owner="p2")

    # -- listing --

    def test_filters_sort_and_pages(self, data_api, contract_type):
        from glare_core.data.query import Filter, SortKey

        field = contract_type.fields[self.int_field]
        for n in range(5):
            self.make(data_api, contract_type, name=f"a{n}", **{self.int_field: n * 10})
        gt = Filter(field=field, op="gt", operands=(15,))
        result = data_api.list(self.query(contract_type, filters=(gt,)))
        assert (self.names(result), result.total) == (["a2", "a3", "a4"], 3)
        listed = self.query(contract_type, sort=(SortKey(field, "desc"),
                                                 SortKey(contract_type.fields["id"], "asc")),
                            limit=2)
        first = data_api.list(listed)
        assert self.names(first) == ["a4", "a3"]
        second = data_api.list(self.query(contract_type, sort=listed.sort, limit=2,
                                          marker=first.artifacts[-1]))
        assert self.names(second) == ["a2", "a1"]
        assert second.total == 5

    def test_scope_and_deleted(self, data_api, contract_type):
        from glare_core.data.query import Scope

        self.make(data_api, contract_type, name="mine", owner="p1")
        self.make(data_api, contract_type, name="theirs", owner="p2")
        self.make(data_api, contract_type, name="public", owner="p2", visibility="public")
        self.make(data_api, contract_type, name="gone", owner="p1", status="deleted")
        scoped = data_api.list(self.query(contract_type, scope=Scope(project_id="p1")))
        assert self.names(scoped) == ["mine", "public"]
        anonymous = data_api.list(self.query(contract_type, scope=Scope()))
        assert self.names(anonymous) == ["public"]
        everything = data_api.list(self.query(contract_type, include_deleted=True))
        assert self.names(everything) == ["gone", "mine", "public", "theirs"]

    def test_latest_versions(self, data_api, contract_type):
        for name, version in (("a", "1.0.0"), ("a", "2.0.0-rc.1"), ("a", "2.0.0"),
                              ("b", "0.1.0")):
            self.make(data_api, contract_type, name=name, version=version)
        result = data_api.list(self.query(contract_type, latest=True))
        assert [(a["name"], a["version"]) for a in result.artifacts] == [
            ("a", "2.0.0"), ("b", "0.1.0")]

    # -- blobs and usage --

    def test_blob_records(self, data_api, contract_type):
        from glare_core.errors import Conflict

        blob_field = next((n for n, s in contract_type.fields.items() if s.is_single_blob), None)
        if blob_field is None:
            pytest.skip("the contract type has no blob field")
        record = self.make(data_api, contract_type, owner="p1")
        blob = {"status": "saving", "external": False, "size": 10, "content_type": "x/y",
                "location": "file:somewhere", "previous": None}
        data_api.set_blob(record["id"], blob_field, None, blob, expect_status="absent")
        with pytest.raises(Conflict):
            data_api.set_blob(record["id"], blob_field, None, blob, expect_status="absent")
        stored = data_api.get(record["id"])[blob_field]
        assert (stored["status"], stored["size"], stored["location"]) == (
            "saving", 10, "file:somewhere")
        saving = data_api.artifacts_with_saving_blobs(contract_type.type_name)
        assert [r["id"] for r in saving] == [record["id"]]
        assert data_api.uploaded_bytes("p1", (contract_type.type_name,)) == 10
        assert data_api.uploaded_bytes("p1", (contract_type.type_name,),
                                       (record["id"], blob_field, None)) == 0
        data_api.touch_blob(record["id"], blob_field, None)
        data_api.set_blob(record["id"], blob_field, None, None)
        assert data_api.get(record["id"])[blob_field] is None
        assert data_api.count_artifacts("p1", (contract_type.type_name,)) == 1
