"""The images tables: artifacts (with the image fields as columns), properties, blobs.

Created from the layout the plugin's data API uses (glare_images/tables.py), so the two
cannot differ. A later change to the layout is a new revision that alters the tables;
this one must then keep creating the tables of its own release (see docs/plugins.md §8).

Revision ID: images_0001
Revises:
Create Date: 2026-11-25
"""

from alembic import op

from glare_core.plugin import create_layout_tables, drop_layout_tables, new_metadata
from glare_images.tables import images_layout

# The tables of this release: layout revision 1 (images_0002 moves them on).
layout = images_layout(new_metadata(), revision=1)

revision = "images_0001"
down_revision = None
branch_labels = ("images",)
depends_on = None


def upgrade() -> None:
    create_layout_tables(op, layout)


def downgrade() -> None:
    drop_layout_tables(op, layout)
