"""Table layouts of the SQL data API: the core's generic tables, or a plugin's own.

A layout is three tables: artifacts (one row per artifact: the base fields as columns,
plus any type fields a plugin stores as real columns), properties (every other field
value: one row per scalar, list element or dict entry) and blobs. The builders below
create tables of the exact shape the SQL data API expects, so a plugin that wants its
own tables (with indexed columns for its hot fields) reuses the whole query engine, and
its migrations create them from the same objects (``create_layout_tables``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

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

#: The shape make_layout builds. 1: artifacts, properties and blobs tables. 2: adds the
#: counts table (exact totals without counting rows), property value indexes that carry
#: the artifact id (index-only filters and counts) and, on PostgreSQL, pattern indexes for
#: prefix ``like``. A plugin's first migration builds the revision it was written for.
LAYOUT_REVISION = 2

#: Number of counter rows per (type, owner, visibility, status): concurrent creates in
#: one project update different rows instead of queueing on one.
COUNT_SLOTS = 16

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
    #: Maintained artifact counts (layout revision 2); None: lists count the rows.
    counts: sa.Table | None = None
    #: The same per tag (revision 2): the total of a one-tag filter.
    tag_counts: sa.Table | None = None

    @property
    def tables(self) -> tuple[sa.Table, ...]:
        """Every table, the artifacts table first (the others refer to it)."""
        main = (self.artifacts, self.properties, self.blobs)
        return (*main, *(t for t in (self.counts, self.tag_counts) if t is not None))

    @functools.cached_property
    def columns(self) -> frozenset[str]:
        """Every field stored as a column of the artifacts table (asked for every field
        of every artifact written: built once)."""
        return frozenset(BASE_COLUMNS) | self.type_columns

    def is_column(self, spec: FieldSpec) -> bool:
        return spec.name in self.columns

    def is_property(self, spec: FieldSpec) -> bool:
        return not spec.is_blob and spec.name not in self.columns


#: Name ending of the indexes that exist on PostgreSQL only (``text_pattern_ops``: prefix
#: ``like`` under collations other than C). Carried by the name, which survives copies.
POSTGRESQL_ONLY = "_pattern"


def pattern_index(name: str, *columns: sa.Column) -> sa.Index:
    """A PostgreSQL-only index whose last column uses ``text_pattern_ops``."""
    return sa.Index(f"{name}{POSTGRESQL_ONLY}", *columns,
                    postgresql_ops={columns[-1].name: "text_pattern_ops"})


def applies_to(index: sa.Index, dialect: str) -> bool:
    """Whether ``index`` exists on a database of ``dialect``."""
    return dialect == "postgresql" or not str(index.name).endswith(POSTGRESQL_ONLY)


def artifacts_table(
    name: str,
    metadata: sa.MetaData,
    type_columns: Iterable[sa.Column] = (),
    *,
    revision: int = LAYOUT_REVISION,
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
    if revision >= 2:
        # name=like:abc% (PostgreSQL's collations other than C cannot range-scan LIKE).
        pattern_index(f"ix_{name}_name", c.type_name, c.name)
    return table


def _artifact_id(artifacts: sa.Table) -> sa.Column:
    """The column tying a property or blob row to its artifact (rows go with it)."""
    return sa.Column(
        "artifact_id",
        sa.String(36),
        sa.ForeignKey(f"{artifacts.name}.id", ondelete="CASCADE"),
        nullable=False,
    )


def properties_table(
    name: str, metadata: sa.MetaData, artifacts: sa.Table, *, revision: int = LAYOUT_REVISION
) -> sa.Table:
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
    sa.Index(f"ix_{name}_key", c.name, c.key_name)
    if revision < 2:
        sa.Index(f"ix_{name}_string", c.name, c.string_value)
        sa.Index(f"ix_{name}_int", c.name, c.int_value)
        sa.Index(f"ix_{name}_float", c.name, c.float_value)
        return table
    # The artifact id last: a filter (or a count) reads the ids from the index alone, in
    # id order for one value, and a sort walks (name, value) without visiting the rows.
    for kind in ("string", "int", "float"):
        sa.Index(f"ix_{name}_{kind}_value", c.name, c[f"{kind}_value"], c.artifact_id)
    pattern_index(f"ix_{name}_string", c.name, c.string_value)
    return table


def counts_table(name: str, metadata: sa.MetaData, *, per_tag: bool = False) -> sa.Table:
    """Artifact counts per type, owner, visibility and status (and tag, ``per_tag``),
    kept by every write in the write's own transaction: an unfiltered list's exact total
    (a one-tag filter's) is a sum of a few rows. Each key has ``COUNT_SLOTS`` rows (an
    artifact always moves the one its id picks)."""
    tag = [sa.Column("tag", sa.String(255), primary_key=True)] if per_tag else []
    return sa.Table(
        name,
        metadata,
        sa.Column("type_name", sa.String(255), primary_key=True),
        sa.Column("owner", sa.String(255), primary_key=True),
        sa.Column("visibility", sa.String(32), primary_key=True),
        sa.Column("status", sa.String(32), primary_key=True),
        *tag,
        sa.Column("slot", sa.SmallInteger, primary_key=True, autoincrement=False),
        sa.Column("artifacts", sa.BigInteger, nullable=False),
    )


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
    prefix: str,
    metadata: sa.MetaData,
    type_columns: Iterable[sa.Column] = (),
    *,
    revision: int = LAYOUT_REVISION,
) -> SqlLayout:
    """Build a plugin's tables ``<prefix>_artifacts``, ``_properties``, ``_blobs`` and
    (revision 2 on) ``_counts``.

    ``type_columns`` become columns of the artifacts table; each must be named after a
    scalar field (String, Integer, Float, Boolean or Link) of the types stored there.
    ``revision`` is the layout shape (``LAYOUT_REVISION``, the newest, by default); a
    migration written for an older shape builds that one, see ``upgrade_layout_tables``.
    """
    columns = list(type_columns)
    artifacts = artifacts_table(f"{prefix}_artifacts", metadata, columns, revision=revision)
    return SqlLayout(
        artifacts=artifacts,
        properties=properties_table(f"{prefix}_properties", metadata, artifacts,
                                    revision=revision),
        blobs=blobs_table(f"{prefix}_blobs", metadata, artifacts),
        type_columns=frozenset(column.name for column in columns),
        counts=counts_table(f"{prefix}_counts", metadata) if revision >= 2 else None,
        tag_counts=(counts_table(f"{prefix}_tag_counts", metadata, per_tag=True)
                    if revision >= 2 else None),
    )
