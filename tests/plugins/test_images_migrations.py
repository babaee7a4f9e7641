"""The images plugin's migration creates its tables from the layout its data API uses:
``glare_core.testing`` checks they match, and the check fails on a layout that differs."""

from __future__ import annotations

from typing import Any

import glare_images
import pytest
import sqlalchemy as sa
from alembic import command
from glare_images.tables import COLUMNS, layout
from sqlalchemy.dialects import postgresql

from glare_core.app import create_app
from glare_core.data.migrations import alembic_config, ensure_schema, sources
from glare_core.plugin import create_layout_tables, make_layout, new_metadata
from glare_core.testing import PluginMigrationsContract, assert_migrations_match

TABLES = {"glare_images_artifacts", "glare_images_properties", "glare_images_blobs",
          "glare_images_counts", "glare_images_tag_counts"}


class TestImagesMigrations(PluginMigrationsContract):
    @pytest.fixture
    def migration_plugins(self) -> list[Any]:
        return [glare_images]

    @pytest.fixture
    def migration_layout(self) -> Any:
        return layout


def test_a_layout_the_migration_does_not_create_is_reported(tmp_path):
    """Without the os_* columns (and their indexes), and with a column the migration
    never made: each difference is listed."""
    kept = [sa.Column(name, kind, nullable=True) for name, kind in COLUMNS
            if not name.startswith("os_")]
    other = make_layout("glare_images", new_metadata(),
                        [*kept, sa.Column("checksum", sa.String(64), nullable=True)])
    for name, _ in COLUMNS:
        if not name.startswith("os_"):
            sa.Index(f"ix_glare_images_artifacts_{name}", other.artifacts.c[name])
    with pytest.raises(AssertionError) as failure:
        assert_migrations_match(other, plugins=[glare_images], data_dir=tmp_path)
    message = str(failure.value)
    for expected in ("'add_column'", "checksum", "'remove_column'", "os_distro",
                     "os_version", "'remove_index'", "ix_glare_images_artifacts_os_distro"):
        assert expected in message


def test_the_downgrade_drops_the_tables(tmp_path):
    app = create_app({"GLARE_DATA_DIR": str(tmp_path)}, plugins=[glare_images],
                     autoload=False)
    ensure_schema(app)
    engine = app.extensions["glare"].database.engine
    assert TABLES.issubset(sa.inspect(engine).get_table_names())
    images = next(source for source in sources(app) if source.name == "images")
    with app.app_context():
        command.downgrade(alembic_config(images), "base")
    assert not TABLES & set(sa.inspect(engine).get_table_names())
    app.extensions["glare"].database.dispose()


def test_create_layout_tables_emits_the_layouts_ddl_offline():
    """Through ``op.execute`` it also works where Alembic writes SQL instead of running
    it (``--sql``): every table and index of the layout, the scope indexes partial."""

    class RecordingOp:
        def __init__(self) -> None:
            self.statements: list[str] = []

        def execute(self, statement: Any) -> None:
            self.statements.append(str(statement.compile(dialect=postgresql.dialect())))

    op = RecordingOp()
    create_layout_tables(op, layout)
    created = [s.split("(")[0].strip() for s in op.statements]
    assert created[0] == "CREATE TABLE glare_images_artifacts"
    assert sum(s.startswith("CREATE TABLE") for s in created) == len(layout.tables) == 5
    indexes = sum(len(table.indexes) for table in layout.tables)
    assert sum(s.startswith(("CREATE INDEX", "CREATE UNIQUE INDEX")) for s in created) == indexes
    scope = next(s for s in op.statements if "uq_glare_images_artifacts_public_scope" in s)
    assert "WHERE" in scope and 'COLLATE "C"' in op.statements[0]
