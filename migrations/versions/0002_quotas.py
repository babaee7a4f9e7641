"""Per-project quotas.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "glare_quotas",
        sa.Column("project_id", sa.String(255), nullable=False),
        sa.Column("quota_name", sa.String(255), nullable=False),
        sa.Column("quota_value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "quota_name", name="pk_glare_quotas"),
    )


def downgrade() -> None:
    op.drop_table("glare_quotas")
