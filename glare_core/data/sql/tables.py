"""Core tables. Alembic scripts in migrations/ create exactly these.

Base fields are columns of ``glare_artifacts``; every type-specific field value (and the
base ``tags`` and ``metadata``) is a row of ``glare_artifact_properties`` with one typed
value column, so one generic table serves every type while filters and sorts stay
index-backed. List elements carry ``position``; dict entries carry ``key_name``.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# Version keys must compare byte-wise; PostgreSQL's default collation may not.
VersionKey = sa.String(512).with_variant(sa.String(512, collation="C"), "postgresql")

artifacts = sa.Table(
    "glare_artifacts",
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
)
sa.Index("ix_glare_artifacts_type_name_name", artifacts.c.type_name, artifacts.c.name,
         artifacts.c.version_key)
sa.Index("ix_glare_artifacts_owner", artifacts.c.owner)
sa.Index("ix_glare_artifacts_created_at", artifacts.c.created_at)
sa.Index("ix_glare_artifacts_status", artifacts.c.status)
sa.Index("ix_glare_artifacts_visibility", artifacts.c.visibility)
# Name/version scopes (contract §12.2) enforced by the database itself, atomically.
_live = sa.and_(artifacts.c.status != "deleted")
sa.Index(
    "uq_glare_artifacts_private_scope",
    artifacts.c.type_name, artifacts.c.name, artifacts.c.version, artifacts.c.owner,
    unique=True,
    sqlite_where=sa.and_(_live, artifacts.c.visibility == "private"),
    postgresql_where=sa.and_(_live, artifacts.c.visibility == "private"),
)
sa.Index(
    "uq_glare_artifacts_public_scope",
    artifacts.c.type_name, artifacts.c.name, artifacts.c.version,
    unique=True,
    sqlite_where=sa.and_(_live, artifacts.c.visibility == "public"),
    postgresql_where=sa.and_(_live, artifacts.c.visibility == "public"),
)

properties = sa.Table(
    "glare_artifact_properties",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "artifact_id",
        sa.String(36),
        sa.ForeignKey("glare_artifacts.id", ondelete="CASCADE"),
        nullable=False,
    ),
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
sa.Index("ix_glare_artifact_properties_artifact_id", properties.c.artifact_id,
         properties.c.name)
sa.Index("ix_glare_artifact_properties_string", properties.c.name, properties.c.string_value)
sa.Index("ix_glare_artifact_properties_int", properties.c.name, properties.c.int_value)
sa.Index("ix_glare_artifact_properties_float", properties.c.name, properties.c.float_value)
sa.Index("ix_glare_artifact_properties_key", properties.c.name, properties.c.key_name)

blobs = sa.Table(
    "glare_artifact_blobs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "artifact_id",
        sa.String(36),
        sa.ForeignKey("glare_artifacts.id", ondelete="CASCADE"),
        nullable=False,
    ),
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
    # While a re-upload is saving: the replaced blob (JSON), restored if the upload fails.
    sa.Column("previous", sa.Text, nullable=True),
    # Refreshed while an upload streams (heartbeat), so abandoned uploads can be detected.
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("artifact_id", "field_name", "key_hash",
                        name="uq_glare_artifact_blobs_target"),
)

locks = sa.Table(
    "glare_locks",
    metadata,
    sa.Column("id", sa.String(255), primary_key=True),
    sa.Column("token", sa.String(36), nullable=False),
    sa.Column("acquired_at", sa.DateTime, nullable=False),
)

# Bytes of the ``database`` blob store, in fixed-size chunks (never one huge value).
blob_data = sa.Table(
    "glare_blob_data",
    metadata,
    sa.Column("blob_id", sa.String(64), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
)

# Store data that must go but could not be removed yet (store down, crash mid-upload,
# replaced blobs): the scrubber retries until the store confirms the deletion.
blob_garbage = sa.Table(
    "glare_blob_garbage",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("location", sa.String(2048), nullable=False),
    sa.Column("reason", sa.String(255), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text, nullable=True),
)

# Per-project quota overrides (contract §21); configured values apply where no row exists.
quotas = sa.Table(
    "glare_quotas",
    metadata,
    sa.Column("project_id", sa.String(255), primary_key=True),
    sa.Column("quota_name", sa.String(255), primary_key=True),
    sa.Column("quota_value", sa.BigInteger, nullable=False),
)
