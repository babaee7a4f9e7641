"""The Alembic scripts create exactly the tables the code defines."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from glare_core.app import create_app
from glare_core.data.migrations import ensure_schema, schema_is_current
from glare_core.errors import StartupError


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
