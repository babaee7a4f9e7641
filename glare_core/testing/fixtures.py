"""The fixtures of the ``glare`` pytest plugin: a migrated database per test, an app, a client.

Each test gets its own SQLite database, copied from one migrated template per session, so
migrations run once per session and tests stay independent. With ``glare_database_url``
the tests share that database instead: the migrations of each plugin set are applied once
per session, and every table is emptied before each test.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from glare_core.app import create_app
from glare_core.data.migrations import ensure_schema
from glare_core.testing.client import GlareClient


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

