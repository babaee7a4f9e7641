"""Checks that migrations create exactly the tables the code declares.

``migration_differences`` runs the core's migrations, then those of the plugins under
test, and compares the tables they made with a MetaData (a plugin's layout, or the core's
tables) through Alembic's autogenerate comparison (``compare_metadata``).
``PluginMigrationsContract`` is the same check as a pytest test class to subclass.
"""

from __future__ import annotations

import pprint
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from glare_core.app import create_app
from glare_core.data.migrations import ensure_schema
from glare_core.data.sql.layout import SqlLayout
from glare_core.data.sql.layout_ddl import schema_filter


def _metadata_of(declared: sa.MetaData | SqlLayout) -> sa.MetaData:
    return declared.artifacts.metadata if isinstance(declared, SqlLayout) else declared


def migration_differences(
    declared: sa.MetaData | SqlLayout, *, plugins: Sequence[Any] = (),
    data_dir: str | Path, database_url: str | None = None,
) -> list[Any]:
    """What differs between the tables the migrations of ``plugins`` create and
    ``declared`` (a MetaData or a plugin's ``SqlLayout``); empty when they match.

    With no plugins, the core's own migrations are checked. The database is a fresh SQLite
    file in ``data_dir`` unless ``database_url`` names one. Compared are the tables of
    ``declared`` and every other table the migrations under test created (one the code
    does not declare is a difference); tables that were there before (the core's, for a
    plugin) and Alembic's version tables are left out. Each difference is one of
    Alembic's autogenerate tuples, e.g. ``("remove_column", None, table, column)`` for a
    column the code lacks.
    """
    metadata = _metadata_of(declared)
    config: dict[str, Any] = {"GLARE_DATA_DIR": str(data_dir)}
    if database_url is not None:
        config["GLARE_DATABASE_URL"] = database_url
    # The core's history first (a plugin's tables may refer to its tables); with no
    # plugins it is the one under test.
    core = create_app(config, plugins=[], autoload=False)
    try:
        if plugins:
            ensure_schema(core)
        existing = set(sa.inspect(core.extensions["glare"].database.engine).get_table_names())
    finally:
        core.extensions["glare"].database.dispose()

    def under_test(obj: Any, name: str | None, type_: str, reflected: bool,
                   compare_to: Any) -> bool:
        if type_ == "index":
            return schema_filter(dialect)(obj, name, type_, reflected, compare_to)
        if type_ != "table" or not reflected or name in metadata.tables:
            return True
        return name not in existing and not (name or "").startswith("alembic_version")

    app = create_app(config, plugins=list(plugins), autoload=False)
    ensure_schema(app)
    database = app.extensions["glare"].database
    dialect = database.engine.dialect.name
    try:
        with database.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"include_object": under_test})
            return compare_metadata(context, metadata)
    finally:
        database.dispose()


def assert_migrations_match(
    declared: sa.MetaData | SqlLayout, *, plugins: Sequence[Any] = (),
    data_dir: str | Path, database_url: str | None = None,
) -> None:
    """Fail, listing the differences, unless the migrations of ``plugins`` (none: the
    core's) create exactly the tables of ``declared`` (see ``migration_differences``)."""
    differences = migration_differences(declared, plugins=plugins, data_dir=data_dir,
                                        database_url=database_url)
    if differences:
        listed = "\n".join(pprint.pformat(difference) for difference in differences)
        raise AssertionError(
            f"The migrations do not create the tables the code declares "
            f"({len(differences)} difference(s), as Alembic's autogenerate sees them: "
            f"'add_*' is declared but not created, 'remove_*' created but not "
            f"declared):\n{listed}")


class PluginMigrationsContract:
    """A plugin's migrations create exactly its tables. Subclass it in a test module and
    provide two fixtures:

    * ``migration_plugins`` — the plugin objects whose migrations are checked;
    * ``migration_layout`` — what they must create: the plugin's ``SqlLayout`` (or the
      MetaData of its tables).

    The check runs on a fresh SQLite database, or on ``glare_database_url`` when the
    suite overrides that fixture (e.g. PostgreSQL)::

        class TestHelloMigrations(PluginMigrationsContract):
            @pytest.fixture
            def migration_plugins(self):
                return [glare_hello]

            @pytest.fixture
            def migration_layout(self):
                return glare_hello.tables.layout
    """

    def test_migrations_create_the_declared_tables(
        self, migration_plugins: list[Any], migration_layout: sa.MetaData | SqlLayout,
        glare_database_url: str | None, tmp_path: Path,
    ) -> None:
        assert_migrations_match(migration_layout, plugins=migration_plugins,
                                data_dir=tmp_path, database_url=glare_database_url)

    @pytest.fixture
    def migration_plugins(self) -> list[Any]:
        raise NotImplementedError("provide the migration_plugins fixture")

    @pytest.fixture
    def migration_layout(self) -> sa.MetaData | SqlLayout:
        raise NotImplementedError("provide the migration_layout fixture")
