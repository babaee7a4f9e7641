"""Downloads in progress that replaced or deleted blob data must wait for.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "glare_blob_readers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("location", sa.String(2048), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_glare_blob_readers"),
    )
    op.create_index("ix_glare_blob_readers_location", "glare_blob_readers", ["location"])


def downgrade() -> None:
    op.drop_index("ix_glare_blob_readers_location", table_name="glare_blob_readers")
    op.drop_table("glare_blob_readers")
