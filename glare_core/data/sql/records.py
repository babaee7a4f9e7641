"""Artifact records read back from a layout's rows: base columns, decoded properties
and blobs, as ``SqlDataAPI.get`` and listings return them."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from glare_core.data.sql import encoding
from glare_core.data.sql.layout import SqlLayout

if TYPE_CHECKING:
    from glare_core.types.base import ArtifactType

#: The columns of a blob row that make a blob's value.
BLOB_COLUMNS = ("url", "size", "md5", "sha1", "sha256", "external", "status", "content_type",
                "location", "previous")


class RecordReader:
    """Builds records from artifacts rows (one query each for their properties and blobs)."""

    def __init__(self, layout: SqlLayout, types: Mapping[str, ArtifactType]) -> None:
        self.layout = layout
        self.types = types

    def assemble(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> list[dict]:
        """Records for artifact rows: base columns + decoded properties + blobs."""
        if not rows:
            return []
        ids = [row["id"] for row in rows]
        props_table, blobs_table = self.layout.properties, self.layout.blobs
        props: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        prop_query = sa.select(props_table).where(props_table.c.artifact_id.in_(ids))
        for prop in conn.execute(prop_query).mappings():
            props[prop["artifact_id"]][prop["name"]].append(prop)
        blob_rows: dict[str, list] = defaultdict(list)
        blob_query = sa.select(blobs_table).where(blobs_table.c.artifact_id.in_(ids))
        for blob in conn.execute(blob_query).mappings():
            blob_rows[blob["artifact_id"]].append(blob)
        records = []
        for row in rows:
            artifact_type = self.types.get(row["type_name"])
            record: dict[str, Any] = {name: row[name] for name in self.layout.columns}
            record["revision"] = row["revision"]
            if artifact_type is None:  # a type that is no longer enabled: base fields only
                records.append(record)
                continue
            own_props = props.get(row["id"], {})
            for spec in artifact_type.fields.values():
                if spec.is_blob:
                    record[spec.name] = spec.empty_blob_value()
                elif self.layout.is_property(spec):
                    record[spec.name] = encoding.decode(spec, own_props.get(spec.name, ()))
            for blob in blob_rows.get(row["id"], ()):
                spec = artifact_type.fields.get(blob["field_name"])
                if spec is None or not spec.is_blob:
                    continue
                value = {k: blob[k] for k in BLOB_COLUMNS}
                value["external"] = bool(value["external"])
                value["previous"] = json.loads(blob["previous"]) if blob["previous"] else None
                value["updated_at"] = blob["updated_at"]
                if spec.is_folder:
                    record[spec.name][blob["blob_key"]] = value
                else:
                    record[spec.name] = value
            records.append(record)
        return records
