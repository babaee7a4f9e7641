"""The Alembic scripts create exactly the tables the code defines."""

import glare_images
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from glare_core.app import create_app
from glare_core.data.migrations import alembic_config, ensure_schema, schema_is_current, sources
from glare_core.data.sql.layout_ddl import schema_filter
from glare_core.data.sql.tables import metadata as core_metadata
from glare_core.errors import StartupError
from glare_core.testing import assert_migrations_match, migration_differences


def test_migrations_match_table_definitions(tmp_path):
    app = create_app({"GLARE_DATA_DIR": str(tmp_path)}, autoload=False)
    assert not schema_is_current(app)
    ensure_schema(app)
    assert schema_is_current(app)
    database = app.extensions["glare"].database
    include = schema_filter(database.engine.dialect.name)
    with database.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": include})
        assert compare_metadata(context, database.metadata) == []


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


def test_upgrading_a_filled_database_counts_it_and_gives_it_sort_rows(tmp_path):
    """A database of layout revision 1 (0003) with artifacts stored the way that code
    stored them (no counts, no row for a null sortable value): after the upgrade the
    counts equal the rows, and a sort by int1 lists every artifact, nulls last."""
    import glare_sample_artifact

    from glare_core.data.query import ListQuery, Scope, SortKey
    from glare_core.testing import contract_values

    app = create_app({"GLARE_DATA_DIR": str(tmp_path)}, plugins=[glare_sample_artifact],
                     autoload=False)
    state = app.extensions["glare"]
    core = next(source for source in sources(app) if source.name == "glare_core")
    with app.app_context():
        command.upgrade(alembic_config(core), "0003")
    data_api = state.data_apis["sample_artifact"]
    kind = state.registry["sample_artifact"]
    values = [contract_values(kind, name=f"n{i}", owner=f"p{i % 2}", int1=i if i % 3 else None,
                              tags=["all", f"t{i % 2}"]) for i in range(9)]
    with data_api.db.write() as conn:
        for one in values:
            row, props = data_api._rows("sample_artifact", one)
            conn.execute(data_api.art.insert().values(row))
            old_rows = [p for p in props if any(
                p[k] is not None for k in p if k.endswith("_value") or k == "key_name")
                or p["position"] is not None]
            if old_rows:
                conn.execute(data_api.props.insert(), old_rows)
    ensure_schema(app)
    assert data_api.count_artifacts("p0", ("sample_artifact",)) == 5
    assert data_api.count_artifacts("p1", ("sample_artifact",)) == 4
    tags = data_api.layout.tag_counts
    with data_api.db.read() as conn:
        counted = dict(conn.execute(sa.select(tags.c.tag, sa.func.sum(tags.c.artifacts))
                                    .group_by(tags.c.tag)).all())
    assert counted == {"all": 9, "t0": 5, "t1": 4}
    fields = kind.fields
    listed = data_api.list(ListQuery(
        type_names=("sample_artifact",), scope=Scope(see_all=True), limit=100,
        sort=(SortKey(fields["int1"], "asc"), SortKey(fields["name"], "asc"))))
    assert listed.total == 9
    assert [r["name"] for r in listed.artifacts] == [
        "n1", "n2", "n4", "n5", "n7", "n8", "n0", "n3", "n6"]
    state.database.dispose()
