"""The ``database`` store owns its table: it creates ``glare_blob_data`` on the engine it
is given, and databases whose core migration created that table keep their blob data."""

from __future__ import annotations

import ast
import threading
from pathlib import Path

import sqlalchemy as sa
from alembic import command

from glare_core.app import create_app
from glare_core.blobs.database import DatabaseStore
from glare_core.data.migrations import alembic_config, ensure_schema, schema_is_current, sources
from glare_core.data.sql.tables import metadata as core_metadata

BLOBS = Path(__file__).resolve().parents[2] / "glare_core" / "blobs"


def old_blob_data(metadata: sa.MetaData) -> sa.Table:
    """The table as the core's migration 0001 created it before the store owned it."""
    return sa.Table(
        "glare_blob_data", metadata,
        sa.Column("blob_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("blob_id", "seq", name="pk_glare_blob_data"),
    )


def test_the_store_creates_its_table_on_a_fresh_engine(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'blobs.db'}")
    store = DatabaseStore(engine)
    assert not sa.inspect(engine).has_table("glare_blob_data")  # nothing until used
    location = store.location_for("b1", namespace="any")
    store.write(location, iter([b"hello ", b"world"]))
    assert b"".join(store.read(location)) == b"hello world"
    inspector = sa.inspect(engine)
    assert [c["name"] for c in inspector.get_columns("glare_blob_data")] == [
        "blob_id", "seq", "data"]
    assert inspector.get_pk_constraint("glare_blob_data") == {
        "constrained_columns": ["blob_id", "seq"], "name": "pk_glare_blob_data"}
    store.delete(location)
    assert not store.exists(location)
    engine.dispose()


def test_stores_starting_together_on_a_fresh_database_all_work(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'blobs.db'}",
                              connect_args={"timeout": 30})
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            store = DatabaseStore(engine)  # each creates the table if it is missing
            store.write(f"sql://blob{n}", iter([bytes([n]) * 10]))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert DatabaseStore(engine).stored_ids() == {f"blob{n}" for n in range(6)}
    engine.dispose()


def test_the_core_schema_no_longer_has_the_table(tmp_path):
    assert "glare_blob_data" not in core_metadata.tables
    app = create_app({"GLARE_DATA_DIR": str(tmp_path)}, autoload=False)
    ensure_schema(app)
    engine = app.extensions["glare"].database.engine
    assert not sa.inspect(engine).has_table("glare_blob_data")
    store = app.extensions["glare"].stores.by_name["database"]
    store.write("sql://first", iter([b"x"]))  # a fresh database gets it once used
    assert sa.inspect(engine).has_table("glare_blob_data")
    app.extensions["glare"].database.dispose()


def test_a_database_migrated_by_the_old_core_head_keeps_its_blob_data(tmp_path):
    """A database at the core's head from before: migration 0001 had made the table, and
    the store had written rows there. The upgrade changes nothing and the data reads."""
    config = {"GLARE_DATA_DIR": str(tmp_path)}
    app = create_app(config, autoload=False)
    ensure_schema(app)
    engine = app.extensions["glare"].database.engine
    old = old_blob_data(sa.MetaData())
    with engine.begin() as conn:
        old.create(conn)
        conn.execute(old.insert(), [{"blob_id": "kept", "seq": 0, "data": b"a" * 5},
                                    {"blob_id": "kept", "seq": 1, "data": b"b" * 3}])
    app.extensions["glare"].database.dispose()

    upgraded = create_app(config, autoload=False)
    ensure_schema(upgraded)  # the old head is the current one: nothing to apply
    assert schema_is_current(upgraded)
    store = upgraded.extensions["glare"].stores.by_name["database"]
    assert b"".join(store.read("sql://kept")) == b"aaaaabbb"
    assert store.stored_size("sql://kept") == 8
    store.write("sql://new", iter([b"more"]))
    assert store.stored_ids() == {"kept", "new"}
    upgraded.extensions["glare"].database.dispose()


def test_reverting_every_core_migration_still_removes_the_table(tmp_path):
    app = create_app({"GLARE_DATA_DIR": str(tmp_path)}, autoload=False)
    ensure_schema(app)
    app.extensions["glare"].stores.by_name["database"].write("sql://x", iter([b"x"]))
    core = next(source for source in sources(app) if source.name == "glare_core")
    with app.app_context():
        command.downgrade(alembic_config(core), "base")
    tables = set(sa.inspect(app.extensions["glare"].database.engine).get_table_names())
    assert tables <= {"alembic_version"}
    app.extensions["glare"].database.dispose()


def test_blob_stores_import_nothing_of_the_data_layer():
    imported = []
    for path in BLOBS.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.append((path.name, node.module))
            elif isinstance(node, ast.Import):
                imported += [(path.name, alias.name) for alias in node.names]
    assert [(name, module) for name, module in imported
            if module.startswith("glare_core.data")] == []
