"""The images tables: artifacts (with the image fields as columns), properties, blobs.

Revision ID: images_0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "images_0001"
down_revision = None
branch_labels = ("images",)
depends_on = None

VersionKey = sa.String(512).with_variant(sa.String(512, collation="C"), "postgresql")
ARTIFACTS = "glare_images_artifacts"
IMAGE_COLUMNS = (
    ("container_format", sa.String(255)),
    ("disk_format", sa.String(255)),
    ("min_ram", sa.BigInteger()),
    ("min_disk", sa.BigInteger()),
    ("kernel_id", sa.String(255)),
    ("ramdisk_id", sa.String(255)),
    ("instance_uuid", sa.String(255)),
    ("architecture", sa.String(255)),
    ("os_distro", sa.String(255)),
    ("os_version", sa.String(255)),
)


def _artifact_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["artifact_id"], [f"{ARTIFACTS}.id"],
        name=f"fk_{table}_artifact_id_{ARTIFACTS}", ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        ARTIFACTS,
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
        *(sa.Column(name, kind, nullable=True) for name, kind in IMAGE_COLUMNS),
        sa.PrimaryKeyConstraint("id", name=f"pk_{ARTIFACTS}"),
    )
    for columns in (["created_at"], ["owner"], ["status"], ["visibility"],
                    *([name] for name, _ in IMAGE_COLUMNS)):
        op.create_index(f"ix_{ARTIFACTS}_{columns[0]}", ARTIFACTS, columns)
    op.create_index(f"ix_{ARTIFACTS}_type_name_name", ARTIFACTS,
                    ["type_name", "name", "version_key"])
    for scope, columns in (("private", ["type_name", "name", "version", "owner"]),
                           ("public", ["type_name", "name", "version"])):
        where = sa.text(f"status != 'deleted' AND visibility = '{scope}'")
        op.create_index(f"uq_{ARTIFACTS}_{scope}_scope", ARTIFACTS, columns, unique=True,
                        sqlite_where=where, postgresql_where=where)

    op.create_table(
        "glare_images_blobs",
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
        _artifact_fk("glare_images_blobs"),
        sa.PrimaryKeyConstraint("id", name="pk_glare_images_blobs"),
        sa.UniqueConstraint("artifact_id", "field_name", "key_hash",
                            name="uq_glare_images_blobs_target"),
    )

    table = "glare_images_properties"
    op.create_table(
        table,
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
        _artifact_fk(table),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
    )
    op.create_index(f"ix_{table}_artifact_id", table, ["artifact_id", "name"])
    op.create_index(f"ix_{table}_float", table, ["name", "float_value"])
    op.create_index(f"ix_{table}_int", table, ["name", "int_value"])
    op.create_index(f"ix_{table}_key", table, ["name", "key_name"])
    op.create_index(f"ix_{table}_string", table, ["name", "string_value"])


def downgrade() -> None:
    op.drop_table("glare_images_properties")
    op.drop_table("glare_images_blobs")
    op.drop_table(ARTIFACTS)
