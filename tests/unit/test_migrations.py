"""The Alembic scripts create exactly the tables the code defines."""

import glare_images
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from glare_core.app import create_app
from glare_core.data.migrations import alembic_config, ensure_schema, schema_is_current, sources
from glare_core.data.sql.tables import metadata as core_metadata
from glare_core.errors import StartupError
from glare_core.testing import assert_migrations_match, migration_differences


def test_migrations_match_table_definitions(tmp_path):
    app = create_app({"GLARE_DATA_DIR": str(tmp_path)}, autoload=False)
    assert not schema_is_current(app)
    ensure_schema(app)
    assert schema_is_current(app)
    database = app.extensions["glare"].database
    with database.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), database.metadata) == []


def test_old_schema_without_auto_migrate_refuses_to_start(tmp_path):
    app = create_app({"GLARE_DATA_DIR": str(tmp_path), "GLARE_AUTO_MIGRATE": False},
                     autoload=False)
    with pytest.raises(StartupError, match="glare-manage db upgrade"):
        ensure_schema(app)


def test_core_migrations_create_exactly_the_core_tables(tmp_path):
    assert migration_differences(core_metadata, data_dir=tmp_path) == []


def test_the_check_lists_what_the_migrations_and_the_tables_disagree_on(tmp_path):
    declared = sa.MetaData()
    for table in core_metadata.tables.values():
        if table.name != "glare_quotas":  # created by 0002, not declared: "remove_table"
            table.to_metadata(declared)
    sa.Table("glare_extra", declared, sa.Column("id", sa.Integer, primary_key=True))
    with pytest.raises(AssertionError) as failure:
        assert_migrations_match(declared, data_dir=tmp_path)
    message = str(failure.value)
    assert "2 difference(s)" in message
    assert "('add_table'" in message and "glare_extra" in message
    assert "('remove_table'" in message and "glare_quotas" in message


def test_autogenerate_leaves_the_tables_of_other_owners_alone(tmp_path):
    """``alembic check`` through the core's env.py: the database store's table and a
    plugin's tables are in the database but not in the core's metadata, and the core's
    autogenerate proposes no change (it would otherwise drop them)."""
    app = create_app({"GLARE_DATA_DIR": str(tmp_path)}, plugins=[glare_images],
                     autoload=False)
    ensure_schema(app)
    app.extensions["glare"].stores.by_name["database"].write("sql://b", iter([b"x"]))
    core = next(source for source in sources(app) if source.name == "glare_core")
    with app.app_context():
        command.check(alembic_config(core))
    app.extensions["glare"].database.dispose()
