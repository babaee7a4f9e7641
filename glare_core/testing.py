"""Pytest plugin ``glare`` (entry point ``pytest11``): fixtures for testing Glare and plugins.

Fixtures:

* ``glare_plugins`` — plugin objects for the test app (override it in a conftest);
* ``glare_config`` — settings of the test app (a fresh data folder and database);
* ``glare_app`` — an app built with autoload off and ``glare_plugins`` registered;
* ``glare_client`` — a ``GlareClient`` acting as a member of project ``p1``;
* ``make_artifact`` — create artifacts through the API (``make_artifact("t", name=...)``).

Each test gets its own SQLite database, copied from one migrated template per session, so
migrations run once per session and tests stay independent.
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


@pytest.fixture
def glare_config(
    tmp_path: Path, glare_template_db: Path, glare_settings: dict[str, Any]
) -> dict[str, Any]:
    """Settings of the test app: a fresh data folder holding a copy of the template DB."""
    data_dir = tmp_path / "glare-data"
    data_dir.mkdir()
    shutil.copy(glare_template_db, data_dir / "glare.db")
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
