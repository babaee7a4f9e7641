"""Pytest plugin ``glare`` (entry point ``pytest11``): fixtures for testing Glare and plugins.

Fixtures:

* ``glare_plugins`` — plugin objects for the test app (override it in a conftest);
* ``glare_database_url`` — None (the default: SQLite) or the URL of a database, e.g. a
  PostgreSQL one, to run the tests on (override it in a conftest);
* ``glare_config`` — settings of the test app (a fresh data folder and database);
* ``glare_app`` — an app built with autoload off and ``glare_plugins`` registered;
* ``glare_client`` — a ``GlareClient`` acting as a member of project ``p1``;
* ``make_artifact`` — create artifacts through the API (``make_artifact("t", name=...)``).

Each test gets its own SQLite database, copied from one migrated template per session, so
migrations run once per session and tests stay independent. With ``glare_database_url``
the tests share that database instead: the migrations of each plugin set are applied once
per session, and every table is emptied before each test.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

from glare_core.app import create_app
from glare_core.data.migrations import ensure_schema

JSON_PATCH = "application/json-patch+json"


class GlareClient:
    """A Flask test client that sends the noauth identity headers of one caller."""

    def __init__(
        self,
        client: Any,
        *,
        project: str | None = "p1",
        user: str | None = "u1",
        roles: Iterable[str] = ("member",),
    ) -> None:
        self.client = client
        self.project = project
        self.user = user
        self.roles = tuple(roles)

    def as_user(
        self, project: str | None, roles: Iterable[str] = ("member",), user: str | None = None
    ) -> GlareClient:
        """The same app, seen by another caller (``project=None``: anonymous)."""
        return GlareClient(self.client, project=project, user=user or f"user-{project}",
                           roles=roles)

    def as_admin(self, project: str = "admin-project") -> GlareClient:
        return self.as_user(project, roles=("admin",), user="admin")

    @property
    def headers(self) -> dict[str, str]:
        if self.project is None:
            return {}
        return {
            "X-Identity-Status": "Confirmed",
            "X-Project-Id": self.project,
            "X-User-Id": self.user or "",
            "X-Roles": ",".join(self.roles),
        }

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        data: Any = None,
        content_type: str | None = None,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> Any:
        all_headers = dict(self.headers)
        if json_body is not None:
            data = json.dumps(json_body)
            content_type = content_type or "application/json"
        if content_type is not None:
            all_headers["Content-Type"] = content_type
        all_headers.update(headers or {})
        return self.client.open(path, method=method, data=data, headers=all_headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json_body: Any = None, **kwargs: Any) -> Any:
        return self.request("POST", path, json_body=json_body, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Any:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.request("DELETE", path, **kwargs)

    def patch(self, path: str, operations: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("content_type", JSON_PATCH)
        return self.request("PATCH", path, json_body=operations, **kwargs)

    # ---- conveniences that assert success -----------------------------------------

    def create(self, type_name: str, **values: Any) -> dict[str, Any]:
        response = self.post(f"/artifacts/{type_name}", values)
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.get_json()

    def update(self, type_name: str, artifact_id: str, *operations: dict) -> dict[str, Any]:
        response = self.patch(f"/artifacts/{type_name}/{artifact_id}", list(operations))
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    def set_fields(self, type_name: str, artifact_id: str, **values: Any) -> dict[str, Any]:
        ops = [{"op": "replace", "path": f"/{k}", "value": v} for k, v in values.items()]
        return self.update(type_name, artifact_id, *ops)

    def show(self, type_name: str, artifact_id: str) -> dict[str, Any]:
        response = self.get(f"/artifacts/{type_name}/{artifact_id}")
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    def list(self, type_name: str, query: str = "") -> dict[str, Any]:
        response = self.get(f"/artifacts/{type_name}" + (f"?{query}" if query else ""))
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()


def replace_op(path: str, value: Any) -> dict[str, Any]:
    return {"op": "replace", "path": path, "value": value}


@pytest.fixture(scope="session")
def glare_template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database with every migration applied, the core's and those of every
    installed plugin (built once per session)."""
    data_dir = tmp_path_factory.mktemp("glare-template")
    app = create_app({"GLARE_DATA_DIR": str(data_dir)}, autoload=True)
    ensure_schema(app)
    app.extensions["glare"].database.dispose()
    return data_dir / "glare.db"


@pytest.fixture
def glare_plugins() -> list[Any]:
    """Plugins registered in the test app; override this fixture to add yours."""
    return []


@pytest.fixture
def glare_settings() -> dict[str, Any]:
    """Extra settings for the test app; override or extend in a conftest."""
    return {}


@pytest.fixture(scope="session")
def _glare_templates(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple, Path]:
    return {}


@pytest.fixture
def glare_database_url() -> str | None:
    """The database the test app uses: None for a fresh SQLite file per test (override it
    in a conftest to run the same tests on another database, e.g. PostgreSQL)."""
    return None


@pytest.fixture(scope="session")
def _glare_migrated_urls() -> set[tuple]:
    return set()


def _plugin_set_key(plugins: list[Any]) -> tuple:
    return tuple(sorted(getattr(p, "__name__", type(p).__name__) for p in plugins))


def _prepare_shared_database(url: str, plugins: list[Any], data_dir: Path,
                             migrated: set[tuple]) -> None:
    """Migrate ``url`` for these plugins (once per session) and empty every table."""
    import sqlalchemy as sa

    key = (url, _plugin_set_key(plugins))
    if key not in migrated:
        for autoload, chosen in ((True, []), (False, plugins)):
            app = create_app({"GLARE_DATA_DIR": str(data_dir), "GLARE_DATABASE_URL": url},
                             plugins=chosen, autoload=autoload)
            ensure_schema(app)
            app.extensions["glare"].database.dispose()
        migrated.add(key)
    engine = sa.create_engine(url)
    try:
        tables = [t for t in sa.inspect(engine).get_table_names()
                  if not t.startswith("alembic_version")]
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                names = ", ".join(engine.dialect.identifier_preparer.quote(t) for t in tables)
                conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    conn.execute(sa.text(f'DELETE FROM "{table}"'))
    finally:
        engine.dispose()


@pytest.fixture
def glare_config(
    tmp_path: Path,
    glare_template_db: Path,
    glare_settings: dict[str, Any],
    glare_plugins: list[Any],
    _glare_templates: dict[tuple, Path],
    tmp_path_factory: pytest.TempPathFactory,
    glare_database_url: str | None,
    _glare_migrated_urls: set[tuple],
) -> dict[str, Any]:
    """Settings of the test app: a fresh data folder holding a copy of a template DB.

    The template has the migrations of every installed plugin; plugins given through
    ``glare_plugins`` that are not installed get a template of their own (built once).
    With ``glare_database_url`` the app uses that database, emptied for the test.
    """
    if glare_database_url is not None:
        data_dir = tmp_path / "glare-data"
        data_dir.mkdir()
        _prepare_shared_database(glare_database_url, glare_plugins, data_dir,
                                 _glare_migrated_urls)
        config = {"GLARE_DATA_DIR": str(data_dir), "GLARE_DATABASE_URL": glare_database_url,
                  "GLARE_AUTO_MIGRATE": False}
        config.update(glare_settings)
        return config
    template = glare_template_db
    own_histories = [p for p in glare_plugins if hasattr(p, "glare_migration_locations")]
    if own_histories:
        key = _plugin_set_key(own_histories)
        if key not in _glare_templates:
            folder = tmp_path_factory.mktemp("glare-template-plugins")
            shutil.copy(glare_template_db, folder / "glare.db")
            app = create_app({"GLARE_DATA_DIR": str(folder)}, plugins=glare_plugins,
                             autoload=False)
            ensure_schema(app)
            app.extensions["glare"].database.dispose()
            _glare_templates[key] = folder / "glare.db"
        template = _glare_templates[key]
    data_dir = tmp_path / "glare-data"
    data_dir.mkdir()
    shutil.copy(template, data_dir / "glare.db")
    config: dict[str, Any] = {"GLARE_DATA_DIR": str(data_dir), "GLARE_AUTO_MIGRATE": False}
    config.update(glare_settings)
    return config


@pytest.fixture
def glare_app(glare_config: dict[str, Any], glare_plugins: list[Any]) -> Any:
    """A Glare app for one test (autoload off: only ``glare_plugins`` are loaded)."""
    app = create_app(glare_config, plugins=glare_plugins, autoload=False)
    yield app
    app.extensions["glare"].database.dispose()


@pytest.fixture
def glare_client(glare_app: Any) -> GlareClient:
    """A client acting as a member of project ``p1``."""
    return GlareClient(glare_app.test_client())


@pytest.fixture
def make_artifact(glare_client: GlareClient) -> Callable[..., dict[str, Any]]:
    """Create an artifact as ``glare_client`` (or ``client=...``) and return its JSON."""

    def make(type_name: str, *, client: GlareClient | None = None, **values: Any) -> dict:
        values.setdefault("name", "artifact")
        return (client or glare_client).create(type_name, **values)

    return make


# ---- the DataAPI contract suite ----------------------------------------------------------


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
        display_type_name=artifact_type.title, description="", tags=[], metadata={},
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
