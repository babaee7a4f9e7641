"""The images tables: the core's layout, with the image fields as indexed columns."""

import sqlalchemy as sa

from glare_core.plugin import LAYOUT_REVISION, SqlLayout, make_layout, new_metadata

COLUMNS = (
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


def images_layout(metadata: sa.MetaData, revision: int = LAYOUT_REVISION) -> SqlLayout:
    """The images tables at a layout revision (each migration builds its own)."""
    built = make_layout(
        "glare_images", metadata,
        [sa.Column(name, kind, nullable=True) for name, kind in COLUMNS],
        revision=revision,
    )
    for column_name, _ in COLUMNS:
        sa.Index(f"ix_glare_images_artifacts_{column_name}", built.artifacts.c[column_name])
    return built


metadata = new_metadata()
layout = images_layout(metadata)
