"""Every artifact has a property row for each sortable field, so sorts use inner joins.

``encoding.encode`` writes a row for a sortable field even when its value is null.
Artifacts stored before that (or before a plugin made a field sortable, or added it)
lack rows; ``SortRows.complete`` gives them the row their current value stands for (the
field's default) once per (table, type, field), records it in ``glare_sort_fields``, and
from then on that field's sorts join its rows. Several servers may do it at once: the
record's primary key lets one of them do the work.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from glare_core.data.database import Database
from glare_core.data.sql import encoding
from glare_core.data.sql.layout import SqlLayout
from glare_core.data.sql.tables import sort_fields
from glare_core.types.spec import FieldSpec

if TYPE_CHECKING:
    from glare_core.types.base import ArtifactType


class SortRows:
    """Which sortable property fields have a row in every artifact of a layout."""

    def __init__(self, database: Database, layout: SqlLayout,
                 types: Mapping[str, ArtifactType]) -> None:
        self.db = database
        self.layout = layout
        self.types = types
        self._complete: set[tuple[str, str]] = set()

    def sortable_fields(self, type_name: str) -> list[FieldSpec]:
        fields = self.types[type_name].fields.values()
        return [spec for spec in fields
                if spec.sortable and not spec.is_compound and self.layout.is_property(spec)]

    def complete(self, type_names: Iterable[str], field_names: Iterable[str]) -> frozenset[str]:
        """Of ``field_names``, those whose rows are complete in every type named (giving
        rows to the artifacts that lack them first, where that was never done)."""
        wanted = set(field_names)
        done = set(wanted)
        for type_name in type_names:
            if type_name not in self.types:
                continue
            sortable = self.sortable_fields(type_name)
            for spec in sortable:
                if spec.name in wanted:
                    self._ensure(type_name, spec)
            done &= {spec.name for spec in sortable}
        return frozenset(done)

    def complete_all(self, type_names: Iterable[str]) -> None:
        """Complete every sortable field of these types (start-up, after migrations)."""
        for type_name in type_names:
            for spec in self.sortable_fields(type_name):
                self._ensure(type_name, spec)

    def _ensure(self, type_name: str, spec: FieldSpec) -> None:
        key = (type_name, spec.name)
        if key in self._complete:
            return
        record = {"table_name": self.layout.properties.name, "type_name": type_name,
                  "field_name": spec.name}
        with self.db.read() as conn:
            found = conn.execute(sa.select(sort_fields.c.type_name).where(
                *(sort_fields.c[k] == v for k, v in record.items()))).first()
        if found is None:
            try:
                with self.db.write() as conn:
                    conn.execute(sort_fields.insert().values(record))
                    conn.execute(self._fill(type_name, spec))
            except IntegrityError:
                pass  # another server recorded it: its transaction gave the rows
        self._complete.add(key)

    def _fill(self, type_name: str, spec: FieldSpec) -> Any:
        """INSERT ... SELECT of the default's row for the artifacts without one."""
        props, art = self.layout.properties, self.layout.artifacts
        (template,) = encoding.encode("", spec, spec.default_value()) or [None]
        if template is None:
            raise AssertionError(f"{spec.name}: a sortable field always has a row")
        columns = [name for name in template if name != "artifact_id"]
        has_row = sa.select(props.c.artifact_id).where(
            props.c.artifact_id == art.c.id, props.c.name == spec.name).exists()
        source = sa.select(
            art.c.id, *(sa.literal(template[name], props.c[name].type) for name in columns)
        ).where(art.c.type_name == type_name, ~has_row)
        return props.insert().from_select(["artifact_id", *columns], source)
