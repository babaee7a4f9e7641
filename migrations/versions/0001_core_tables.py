"""Core tables: artifacts, their properties and blobs, named locks and blob garbage.

Earlier versions of this script also created ``glare_blob_data``, the table of the
``database`` blob store: the store now creates it itself (glare_core/blobs/database.py)
and finds it, with its data, in the databases this script migrated before.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = ("glare_core",)
depends_on = None

VersionKey = sa.String(512).with_variant(sa.String(512, collation="C"), "postgresql")


def _artifact_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["artifact_id"], ["glare_artifacts.id"],
        name=f"fk_{table}_artifact_id_glare_artifacts", ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "glare_artifacts",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("type_name", sa.String(255), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("version", sa.String(255), nullable=False),
        sa.Column("version_key", VersionKey, nullable=False),
        sa.Column("owner", sa.String(255), nullable=False),
        sa.Column("visibility", sa.String(32), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("display_type_name", sa.String(255), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("activated_at", sa.DateTime(), nullable=True),
        sa.Column("revision", sa.Integer(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_glare_artifacts"),
    )
    op.create_index("ix_glare_artifacts_created_at", "glare_artifacts", ["created_at"])
    op.create_index("ix_glare_artifacts_owner", "glare_artifacts", ["owner"])
    op.create_index("ix_glare_artifacts_status", "glare_artifacts", ["status"])
    op.create_index("ix_glare_artifacts_visibility", "glare_artifacts", ["visibility"])
    op.create_index(
        "ix_glare_artifacts_type_name_name", "glare_artifacts",
        ["type_name", "name", "version_key"],
    )
    for scope, columns in (
        ("private", ["type_name", "name", "version", "owner"]),
        ("public", ["type_name", "name", "version"]),
    ):
        where = sa.text(f"status != 'deleted' AND visibility = '{scope}'")
        op.create_index(
            f"uq_glare_artifacts_{scope}_scope", "glare_artifacts", columns, unique=True,
            sqlite_where=where, postgresql_where=where,
        )

    op.create_table(
        "glare_locks",
        sa.Column("id", sa.String(255), nullable=False),
        sa.Column("token", sa.String(36), nullable=False),
        sa.Column("acquired_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_glare_locks"),
    )

    op.create_table(
        "glare_artifact_blobs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("artifact_id", sa.String(36), nullable=False),
        sa.Column("field_name", sa.String(255), nullable=False),
        sa.Column("blob_key", sa.String(2048), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("external", sa.Boolean(), nullable=False),
        sa.Column("url", sa.String(2048), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("md5", sa.String(32), nullable=True),
        sa.Column("sha1", sa.String(40), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("content_type", sa.String(255), nullable=True),
        sa.Column("location", sa.String(2048), nullable=True),
        sa.Column("previous", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        _artifact_fk("glare_artifact_blobs"),
        sa.PrimaryKeyConstraint("id", name="pk_glare_artifact_blobs"),
        sa.UniqueConstraint("artifact_id", "field_name", "key_hash",
                            name="uq_glare_artifact_blobs_target"),
    )

    op.create_table(
        "glare_artifact_properties",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("artifact_id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("key_name", sa.String(255), nullable=True),
        sa.Column("string_value", sa.String(255), nullable=True),
        sa.Column("text_value", sa.Text(), nullable=True),
        sa.Column("int_value", sa.BigInteger(), nullable=True),
        sa.Column("float_value", sa.Double(), nullable=True),
        sa.Column("bool_value", sa.Boolean(), nullable=True),
        sa.Column("version_key", VersionKey, nullable=True),
        _artifact_fk("glare_artifact_properties"),
        sa.PrimaryKeyConstraint("id", name="pk_glare_artifact_properties"),
    )
    table = "glare_artifact_properties"
    op.create_index(f"ix_{table}_artifact_id", table, ["artifact_id", "name"])
    op.create_index(f"ix_{table}_float", table, ["name", "float_value"])
    op.create_index(f"ix_{table}_int", table, ["name", "int_value"])
    op.create_index(f"ix_{table}_key", table, ["name", "key_name"])
    op.create_index(f"ix_{table}_string", table, ["name", "string_value"])

    op.create_table(
        "glare_blob_garbage",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("location", sa.String(2048), nullable=False),
        sa.Column("reason", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_glare_blob_garbage"),
    )


def downgrade() -> None:
    op.drop_table("glare_blob_garbage")
    # Databases this script migrated before the database blob store owned its table
    # have it from here; reverting to an empty schema removes it, as it always did.
    op.execute("DROP TABLE IF EXISTS glare_blob_data")
    op.drop_table("glare_artifact_properties")
    op.drop_table("glare_artifact_blobs")
    op.drop_table("glare_locks")
    op.drop_table("glare_artifacts")
