"""Layout revision 2: maintained artifact counts, property value indexes that carry the
artifact id, pattern indexes for prefix ``like`` and (where pg_trgm exists) a trigram
index for infix ``like`` on PostgreSQL; the record of complete sort rows.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from glare_core.data.sql.layout import new_metadata
from glare_core.data.sql.layout_ddl import (
    change_layout_tables,
    create_trigram_index,
    drop_trigram_index,
)
from glare_core.data.sql.tables import core_layout

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    target = core_layout(new_metadata(), 2)
    change_layout_tables(op, core_layout(new_metadata(), 1), target)
    create_trigram_index(op, target)
    op.create_table(
        "glare_sort_fields",
        sa.Column("table_name", sa.String(255), nullable=False),
        sa.Column("type_name", sa.String(255), nullable=False),
        sa.Column("field_name", sa.String(255), nullable=False),
        sa.PrimaryKeyConstraint("table_name", "type_name", "field_name",
                                name="pk_glare_sort_fields"),
    )


def downgrade() -> None:
    op.drop_table("glare_sort_fields")
    current = core_layout(new_metadata(), 2)
    drop_trigram_index(op, current)
    change_layout_tables(op, current, core_layout(new_metadata(), 1))
