"""Table layouts of the SQL data API: the core's generic tables, or a plugin's own.

A layout is three tables: artifacts (one row per artifact: the base fields as columns,
plus any type fields a plugin stores as real columns), properties (every other field
value: one row per scalar, list element or dict entry) and blobs. The builders below
create tables of the exact shape the SQL data API expects, so a plugin that wants its
own tables (with indexed columns for its hot fields) reuses the whole query engine, and
its migrations create them from the same objects (``create_layout_tables``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.schema import CreateIndex, CreateTable, DropTable

from glare_core.types.kinds import FieldKind
from glare_core.types.spec import FieldSpec

# Base fields that are columns of every artifacts table (tags and metadata are properties).
BASE_COLUMNS = (
    "id",
    "type_name",
    "name",
    "version",
    "owner",
    "visibility",
    "status",
    "description",
    "display_type_name",
    "created_at",
    "updated_at",
    "activated_at",
)
# Field kinds a plugin may store as a column of its artifacts table.
COLUMN_KINDS = (
    FieldKind.STRING, FieldKind.INTEGER, FieldKind.FLOAT, FieldKind.BOOLEAN, FieldKind.LINK
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Version keys must compare byte-wise; PostgreSQL's default collation may not.
VersionKey = sa.String(512).with_variant(sa.String(512, collation="C"), "postgresql")


def new_metadata() -> sa.MetaData:
    """A MetaData with the naming convention every Glare table uses."""
    return sa.MetaData(naming_convention=NAMING_CONVENTION)


@dataclass(frozen=True)
class SqlLayout:
    """Where a SQL data API keeps its artifacts."""

    artifacts: sa.Table
    properties: sa.Table
    blobs: sa.Table
    type_columns: frozenset[str] = frozenset()

    @property
    def tables(self) -> tuple[sa.Table, sa.Table, sa.Table]:
        """The three tables, the artifacts table first (the others refer to it)."""
        return self.artifacts, self.properties, self.blobs

    @property
    def columns(self) -> frozenset[str]:
        """Every field stored as a column of the artifacts table."""
        return frozenset(BASE_COLUMNS) | self.type_columns

    def is_column(self, spec: FieldSpec) -> bool:
        return spec.name in self.columns

    def is_property(self, spec: FieldSpec) -> bool:
        return not spec.is_blob and spec.name not in self.columns


def artifacts_table(
    name: str, metadata: sa.MetaData, type_columns: Iterable[sa.Column] = ()
) -> sa.Table:
    """An artifacts table: base columns, ``type_columns``, indexes and scope constraints."""
    table = sa.Table(
        name,
        metadata,
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("type_name", sa.String(255), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("version", sa.String(255), nullable=False),
        sa.Column("version_key", VersionKey, nullable=False),
        sa.Column("owner", sa.String(255), nullable=False),
        sa.Column("visibility", sa.String(32), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("display_type_name", sa.String(255), nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("activated_at", sa.DateTime, nullable=True),
        sa.Column("revision", sa.Integer, nullable=False, server_default="1"),
        *type_columns,
    )
    c = table.c
    sa.Index(f"ix_{name}_type_name_name", c.type_name, c.name, c.version_key)
    sa.Index(f"ix_{name}_owner", c.owner)
    sa.Index(f"ix_{name}_created_at", c.created_at)
    sa.Index(f"ix_{name}_status", c.status)
    sa.Index(f"ix_{name}_visibility", c.visibility)
    # Name/version scopes (contract §12.2) enforced by the database itself, atomically.
    for scope, columns in (
        ("private", (c.type_name, c.name, c.version, c.owner)),
        ("public", (c.type_name, c.name, c.version)),
    ):
        live = sa.and_(c.status != "deleted", c.visibility == scope)
        sa.Index(f"uq_{name}_{scope}_scope", *columns, unique=True,
                 sqlite_where=live, postgresql_where=live)
    return table


def _artifact_id(artifacts: sa.Table) -> sa.Column:
    """The column tying a property or blob row to its artifact (rows go with it)."""
    return sa.Column(
        "artifact_id",
        sa.String(36),
        sa.ForeignKey(f"{artifacts.name}.id", ondelete="CASCADE"),
        nullable=False,
    )


def properties_table(name: str, metadata: sa.MetaData, artifacts: sa.Table) -> sa.Table:
    """One row per stored scalar: a field value, a list element or a dict entry."""
    table = sa.Table(
        name,
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _artifact_id(artifacts),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("position", sa.Integer, nullable=True),
        sa.Column("key_name", sa.String(255), nullable=True),
        sa.Column("string_value", sa.String(255), nullable=True),
        sa.Column("text_value", sa.Text, nullable=True),
        sa.Column("int_value", sa.BigInteger, nullable=True),
        sa.Column("float_value", sa.Double, nullable=True),
        sa.Column("bool_value", sa.Boolean, nullable=True),
        sa.Column("version_key", VersionKey, nullable=True),
    )
    c = table.c
    sa.Index(f"ix_{name}_artifact_id", c.artifact_id, c.name)
    sa.Index(f"ix_{name}_string", c.name, c.string_value)
    sa.Index(f"ix_{name}_int", c.name, c.int_value)
    sa.Index(f"ix_{name}_float", c.name, c.float_value)
    sa.Index(f"ix_{name}_key", c.name, c.key_name)
    return table


def blobs_table(name: str, metadata: sa.MetaData, artifacts: sa.Table) -> sa.Table:
    """One row per blob (folder entries included)."""
    return sa.Table(
        name,
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _artifact_id(artifacts),
        sa.Column("field_name", sa.String(255), nullable=False),
        # "" for a plain blob field; folder keys may be up to 2048 characters.
        sa.Column("blob_key", sa.String(2048), nullable=False),
        # sha256 of blob_key: a short, indexable stand-in for the long key.
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("external", sa.Boolean, nullable=False),
        sa.Column("url", sa.String(2048), nullable=True),
        sa.Column("size", sa.BigInteger, nullable=True),
        sa.Column("md5", sa.String(32), nullable=True),
        sa.Column("sha1", sa.String(40), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("content_type", sa.String(255), nullable=True),
        # Where the store keeps the bytes (store URI); never shown to clients.
        sa.Column("location", sa.String(2048), nullable=True),
        # While a re-upload is saving: the replaced blob (JSON), restored if it fails.
        sa.Column("previous", sa.Text, nullable=True),
        # Refreshed while an upload streams (heartbeat), so abandoned uploads are found.
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("artifact_id", "field_name", "key_hash", name=f"uq_{name}_target"),
    )


def make_layout(
    prefix: str, metadata: sa.MetaData, type_columns: Iterable[sa.Column] = ()
) -> SqlLayout:
    """Build a plugin's tables ``<prefix>_artifacts``, ``_properties`` and ``_blobs``.

    ``type_columns`` become columns of the artifacts table; each must be named after a
    scalar field (String, Integer, Float, Boolean or Link) of the types stored there.
    """
    columns = list(type_columns)
    artifacts = artifacts_table(f"{prefix}_artifacts", metadata, columns)
    return SqlLayout(
        artifacts=artifacts,
        properties=properties_table(f"{prefix}_properties", metadata, artifacts),
        blobs=blobs_table(f"{prefix}_blobs", metadata, artifacts),
        type_columns=frozenset(column.name for column in columns),
    )


def create_layout_tables(op: Any, layout: SqlLayout) -> None:
    """Create ``layout``'s tables and their indexes, in an Alembic migration (``op`` is
    ``alembic.op``): the very DDL the layout declares, so a plugin's migration and the
    tables its data API uses at run time cannot drift apart."""
    for table in layout.tables:
        op.execute(CreateTable(table))
        for index in sorted(table.indexes, key=lambda index: str(index.name)):
            op.execute(CreateIndex(index))


def drop_layout_tables(op: Any, layout: SqlLayout) -> None:
    """Drop ``layout``'s tables (and so their indexes), in an Alembic migration."""
    for table in reversed(layout.tables):
        op.execute(DropTable(table))
