"""Core tables. Alembic scripts in migrations/ create exactly these.

Base fields are columns of ``glare_artifacts``; every type-specific field value (and the
base ``tags`` and ``metadata``) is a row of ``glare_artifact_properties`` with one typed
value column, so one generic table serves every type while filters and sorts stay
index-backed. List elements carry ``position``; dict entries carry ``key_name``. The
table shapes come from layout.py, which plugins use for their own tables. The
``database`` blob store's table is not here: the store owns it (blobs/database.py).
"""

from __future__ import annotations

import sqlalchemy as sa

from glare_core.data.sql.layout import (
    LAYOUT_REVISION,
    SqlLayout,
    artifacts_table,
    blobs_table,
    counts_table,
    new_metadata,
    properties_table,
)


def core_layout(metadata: sa.MetaData, revision: int = LAYOUT_REVISION) -> SqlLayout:
    """The core's artifact tables at a layout revision (migrations build older ones)."""
    artifacts = artifacts_table("glare_artifacts", metadata, revision=revision)
    return SqlLayout(
        artifacts=artifacts,
        properties=properties_table("glare_artifact_properties", metadata, artifacts,
                                    revision=revision),
        blobs=blobs_table("glare_artifact_blobs", metadata, artifacts),
        counts=counts_table("glare_artifact_counts", metadata) if revision >= 2 else None,
        tag_counts=(counts_table("glare_artifact_tag_counts", metadata, per_tag=True)
                    if revision >= 2 else None),
    )


metadata = new_metadata()
CORE_LAYOUT = core_layout(metadata)
artifacts, properties, blobs = CORE_LAYOUT.artifacts, CORE_LAYOUT.properties, CORE_LAYOUT.blobs

# Which sortable fields of which type have a property row in every artifact of a table
# (rows written for null values too), so a sort joins the rows instead of outer-joining.
# Filled at start-up for the types enabled then (sort_rows.py).
sort_fields = sa.Table(
    "glare_sort_fields",
    metadata,
    sa.Column("table_name", sa.String(255), primary_key=True),
    sa.Column("type_name", sa.String(255), primary_key=True),
    sa.Column("field_name", sa.String(255), primary_key=True),
)

locks = sa.Table(
    "glare_locks",
    metadata,
    sa.Column("id", sa.String(255), primary_key=True),
    sa.Column("token", sa.String(36), nullable=False),
    sa.Column("acquired_at", sa.DateTime, nullable=False),
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

# Downloads in progress from stores whose readers do not survive a deletion (Swift large
# objects, the database store): data replaced or deleted meanwhile waits for them.
blob_readers = sa.Table(
    "glare_blob_readers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("location", sa.String(2048), nullable=False),
    sa.Column("expires_at", sa.DateTime, nullable=False),
    sa.Index("ix_glare_blob_readers_location", "location"),
)

# Per-project quota overrides (contract §21); configured values apply where no row exists.
quotas = sa.Table(
    "glare_quotas",
    metadata,
    sa.Column("project_id", sa.String(255), primary_key=True),
    sa.Column("quota_name", sa.String(255), primary_key=True),
    sa.Column("quota_value", sa.BigInteger, nullable=False),
)
