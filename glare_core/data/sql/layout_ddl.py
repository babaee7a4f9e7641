"""DDL of layouts for Alembic migrations: create, drop, or move a layout from one
revision to another (``make_layout(..., revision=N)``).

Each helper emits the very tables and indexes the layout objects declare, through
``op.execute``, so a migration and the tables its data API uses at run time cannot drift
apart, and the same script also works where Alembic writes SQL instead of running it.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from sqlalchemy.schema import CreateIndex, CreateTable, DropIndex, DropTable

from glare_core.data.sql.layout import SqlLayout, applies_to

log = logging.getLogger(__name__)


def _dialect(op: Any) -> str | None:
    """The migration's dialect name, or None when ``op`` cannot tell (then every index
    is emitted)."""
    try:
        return op.get_context().dialect.name
    except AttributeError:
        return None


def _indexes(table: sa.Table, dialect: str | None) -> list[sa.Index]:
    found = [i for i in table.indexes if dialect is None or applies_to(i, dialect)]
    return sorted(found, key=lambda index: str(index.name))


def create_layout_tables(op: Any, layout: SqlLayout) -> None:
    """Create ``layout``'s tables and their indexes, in an Alembic migration (``op`` is
    ``alembic.op``)."""
    dialect = _dialect(op)
    for table in layout.tables:
        op.execute(CreateTable(table))
        for index in _indexes(table, dialect):
            op.execute(CreateIndex(index))


def drop_layout_tables(op: Any, layout: SqlLayout) -> None:
    """Drop ``layout``'s tables (and so their indexes), in an Alembic migration."""
    for table in reversed(layout.tables):
        op.execute(DropTable(table))


def change_layout_tables(op: Any, current: SqlLayout, target: SqlLayout) -> None:
    """Move tables built as ``current`` to the shape of ``target`` (the same prefix, at
    another revision), in an Alembic migration; the downgrade is the same call with the
    two swapped. Tables and indexes are matched by name: what only ``target`` has is
    created, what only ``current`` has is dropped, and a counts table that appears is
    filled from the artifacts already stored."""
    dialect = _dialect(op)
    have = {table.name: table for table in current.tables}
    want = {table.name: table for table in target.tables}
    for name in [name for name in have if name not in want][::-1]:
        op.execute(DropTable(have[name]))
    for name, table in want.items():
        if name not in have:
            op.execute(CreateTable(table))
            for index in _indexes(table, dialect):
                op.execute(CreateIndex(index))
            continue
        old = {str(i.name): i for i in _indexes(have[name], dialect)}
        new = {str(i.name): i for i in _indexes(table, dialect)}
        for index_name in sorted(old.keys() - new.keys()):
            op.execute(DropIndex(old[index_name]))
        for index_name in sorted(new.keys() - old.keys()):
            op.execute(CreateIndex(new[index_name]))
    if target.counts is not None and target.counts.name not in have:
        op.execute(fill_counts(target))
    if target.tag_counts is not None and target.tag_counts.name not in have:
        op.execute(fill_tag_counts(target))


def fill_counts(layout: SqlLayout) -> Any:
    """INSERT ... SELECT that fills an empty counts table from the artifacts rows."""
    assert layout.counts is not None
    art = layout.artifacts
    keys = (art.c.type_name, art.c.owner, art.c.visibility, art.c.status)
    return layout.counts.insert().from_select(
        ["type_name", "owner", "visibility", "status", "slot", "artifacts"],
        sa.select(*keys, sa.literal(0, sa.SmallInteger), sa.func.count()).group_by(*keys),
    )


def fill_tag_counts(layout: SqlLayout) -> Any:
    """INSERT ... SELECT that fills an empty tag counts table from the stored tags."""
    assert layout.tag_counts is not None
    art, props = layout.artifacts, layout.properties
    tag = sa.func.coalesce(props.c.string_value, props.c.text_value)
    keys = (art.c.type_name, art.c.owner, art.c.visibility, art.c.status, tag)
    return layout.tag_counts.insert().from_select(
        ["type_name", "owner", "visibility", "status", "tag", "slot", "artifacts"],
        sa.select(*keys, sa.literal(0, sa.SmallInteger), sa.func.count(sa.distinct(art.c.id)))
        .select_from(art.join(props, props.c.artifact_id == art.c.id))
        .where(props.c.name == "tags", props.c.position.is_not(None))
        .group_by(*keys),
    )


def trigram_index_name(layout: SqlLayout) -> str:
    return f"ix_{layout.properties.name}_string_trgm"


def create_trigram_index(op: Any, layout: SqlLayout) -> bool:
    """On PostgreSQL with the ``pg_trgm`` extension available (or already created), add a
    trigram index on the properties' short strings so infix ``like`` (``%abc%``) filters
    use an index. Elsewhere, or where the extension cannot be created, nothing changes:
    those filters scan the property rows (correct, slower). True if the index exists.

    The index is not part of the layout objects (it exists on some databases only); the
    schema checks leave it alone (``is_optional_index``).
    """
    if _dialect(op) != "postgresql" or op.get_context().as_sql:
        return False
    conn = op.get_bind()
    try:
        with conn.begin_nested():
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError as exc:
        log.warning("pg_trgm is not available (%s): infix like filters will scan",
                    str(exc.orig).strip().splitlines()[0])
        return False
    conn.execute(sa.text(
        f"CREATE INDEX IF NOT EXISTS {trigram_index_name(layout)} ON {layout.properties.name} "
        "USING gin (string_value gin_trgm_ops)"))
    return True


def drop_trigram_index(op: Any, layout: SqlLayout) -> None:
    if _dialect(op) == "postgresql":
        op.execute(sa.text(f"DROP INDEX IF EXISTS {trigram_index_name(layout)}"))


def is_optional_index(name: str | None) -> bool:
    """Indexes a migration adds only where the database can have them (trigram)."""
    return bool(name) and str(name).endswith("_string_trgm")


def index_is_compared(
    obj: Any, name: str | None, reflected: bool, compare_to: Any, dialect: str
) -> bool:
    """Schema comparisons skip indexes that exist on some databases only: declared for
    another dialect, or added where an extension allows (trigram)."""
    if reflected:
        return compare_to is not None or not is_optional_index(name)
    return applies_to(obj, dialect)


def schema_filter(dialect: str) -> Any:
    """An Alembic ``include_object`` that leaves out the indexes ``index_is_compared``
    skips (pass it in the options of ``MigrationContext.configure``)."""

    def include(obj: Any, name: str | None, type_: str, reflected: bool,
                compare_to: Any) -> bool:
        if type_ != "index":
            return True
        return index_is_compared(obj, name, reflected, compare_to, dialect)

    return include
