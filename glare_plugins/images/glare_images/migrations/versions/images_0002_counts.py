"""Layout revision 2: the counts table (filled from the stored images) and the property
value indexes that carry the artifact id.

Revision ID: images_0002
Revises: images_0001
Create Date: 2026-12-03
"""

from alembic import op

from glare_core.plugin import (
    change_layout_tables,
    create_trigram_index,
    drop_trigram_index,
    new_metadata,
)
from glare_images.tables import images_layout

revision = "images_0002"
down_revision = "images_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    target = images_layout(new_metadata(), 2)
    change_layout_tables(op, images_layout(new_metadata(), 1), target)
    create_trigram_index(op, target)


def downgrade() -> None:
    current = images_layout(new_metadata(), 2)
    drop_trigram_index(op, current)
    change_layout_tables(op, current, images_layout(new_metadata(), 1))
