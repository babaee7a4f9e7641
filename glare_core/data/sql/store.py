"""``SqlDataAPI``: the default DataAPI, every type in the same generic tables."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from glare_core.data.api import DataAPI
from glare_core.data.clock import utcnow
from glare_core.data.database import Database
from glare_core.data.query import ListQuery, ListResult
from glare_core.data.sql import counts, encoding
from glare_core.data.sql.layout import COLUMN_KINDS, SqlLayout
from glare_core.data.sql.listing import SqlLister
from glare_core.data.sql.records import BLOB_COLUMNS, RecordReader
from glare_core.data.sql.sort_rows import SortRows
from glare_core.data.sql.tables import CORE_LAYOUT
from glare_core.errors import ArtifactNotFound, Conflict, StartupError
from glare_core.types import versions

if TYPE_CHECKING:
    from glare_core.types.base import ArtifactType



def key_hash(blob_key: str | None) -> str:
    return hashlib.sha256((blob_key or "").encode("utf-8")).hexdigest()


class SqlDataAPI(DataAPI):
    """Artifacts of any number of types in SQL tables (the core's, or a plugin's layout)."""

    def __init__(
        self,
        database: Database,
        types: Mapping[str, ArtifactType],
        layout: SqlLayout = CORE_LAYOUT,
    ) -> None:
        self.db = database
        self.types = types
        self.layout = layout
        self.art, self.props, self.blob_rows = layout.artifacts, layout.properties, layout.blobs
        self.sort_rows = SortRows(database, layout, types)
        self.records = RecordReader(layout, types)
        self.lister = SqlLister(database, layout, self.sort_rows, self.records.assemble)

    def check_types(self, type_names: tuple[str, ...]) -> None:
        """Every type column of the layout must be a scalar field of each stored type."""
        for type_name in type_names:
            fields_ = self.types[type_name].fields
            for column in self.layout.type_columns:
                spec = fields_.get(column)
                if spec is None or spec.kind not in COLUMN_KINDS:
                    raise StartupError(
                        f"Table {self.art.name} has a column '{column}' that is "
                        f"not a {'/'.join(COLUMN_KINDS)} field of type {type_name}"
                    )

    # ---- writes -------------------------------------------------------------------

    def create(self, type_name: str, values: Mapping[str, Any]) -> dict[str, Any]:
        ((_, prop_rows),) = self._insert(type_name, [values])
        # The record as ``get`` would read it back, without reading: the columns as
        # written, each property decoded from the rows it was stored as, no blobs yet.
        stored: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for prop in prop_rows:
            stored[prop["name"]].append(prop)
        columns = self.layout.columns
        record: dict[str, Any] = {name: values.get(name) for name in columns}
        record.update(type_name=type_name, revision=1)
        for spec in self.types[type_name].fields.values():
            if spec.is_blob:
                record[spec.name] = spec.empty_blob_value()
            elif spec.name not in columns:  # a property
                record[spec.name] = encoding.decode(spec, stored.get(spec.name, ()))
        return record

    def create_many(self, type_name: str, many: Sequence[Mapping[str, Any]]) -> None:
        """Insert several new artifacts of one type in one transaction, as ``create``
        stores each (bulk loads and benchmarks; the engine creates one at a time)."""
        self._insert(type_name, many)

    def _insert(
        self, type_name: str, many: Sequence[Mapping[str, Any]]
    ) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
        """Store new artifacts in one transaction; their (row, property rows)."""
        stored = [self._rows(type_name, values) for values in many]
        tally = counts.Tally()
        for (row, _), values in zip(stored, many, strict=True):
            tally.add(row["id"], row, values.get("tags") or ())
        prop_rows = [prop for _, props in stored for prop in props]
        try:
            with self.db.write() as conn:
                conn.execute(self.art.insert(), [row for row, _ in stored])
                if prop_rows:
                    conn.execute(self.props.insert(), prop_rows)
                counts.apply(conn, self.layout, tally)
        except IntegrityError as exc:
            raise _scope_conflict(exc) from None
        return stored

    def _rows(
        self, type_name: str, values: Mapping[str, Any]
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The artifacts row and the property rows that store one new artifact."""
        artifact_type = self.types[type_name]
        row = {name: values.get(name) for name in self.layout.columns}
        row["type_name"] = type_name
        row["version_key"] = versions.sort_key(values["version"])
        row["revision"] = 1
        prop_rows = []
        for spec in artifact_type.fields.values():
            if self.layout.is_property(spec):
                prop_rows.extend(encoding.encode(values["id"], spec, values.get(spec.name)))
        return row, prop_rows

    def update(
        self, artifact_id: str, changes: Mapping[str, Any], *, revision: int
    ) -> dict[str, Any]:
        try:
            with self.db.write() as conn:
                before = self._count_row(conn, artifact_id)
                artifact_type = self.types[before["type_name"]]
                columns = {k: v for k, v in changes.items() if k in self.layout.columns}
                if "version" in columns:
                    columns["version_key"] = versions.sort_key(columns["version"])
                result = conn.execute(
                    self.art.update()
                    .where(self.art.c.id == artifact_id, self.art.c.revision == revision)
                    .values(**columns, revision=revision + 1)
                )
                if result.rowcount != 1:
                    raise Conflict(
                        "The artifact was changed by another request; reload and retry"
                    )
                after = {**before, **{k: v for k, v in columns.items() if k in before}}
                tally = counts.Tally()
                if after != before or "tags" in changes:
                    old_tags = self._tags(conn, artifact_id)
                    tally.add(artifact_id, before, old_tags, -1)
                    tally.add(artifact_id, after, changes.get("tags", old_tags) or ())
                for name, value in changes.items():
                    spec = artifact_type.fields.get(name)
                    if spec is None or not self.layout.is_property(spec):
                        continue
                    conn.execute(
                        self.props.delete().where(
                            self.props.c.artifact_id == artifact_id, self.props.c.name == name
                        )
                    )
                    rows = encoding.encode(artifact_id, spec, value)
                    if rows:
                        conn.execute(self.props.insert(), rows)
                counts.apply(conn, self.layout, tally)  # last: counter rows lock briefly
        except IntegrityError as exc:
            raise _scope_conflict(exc) from None
        return self._require(artifact_id)

    def delete(self, artifact_id: str) -> None:
        with self.db.write() as conn:
            try:
                before = self._count_row(conn, artifact_id)
            except ArtifactNotFound:
                return
            tags = self._tags(conn, artifact_id)
            # Children first: not every SQLite connection enforces foreign keys.
            conn.execute(self.props.delete().where(self.props.c.artifact_id == artifact_id))
            conn.execute(self.blob_rows.delete().where(self.blob_rows.c.artifact_id == artifact_id))
            deleted = conn.execute(self.art.delete().where(self.art.c.id == artifact_id))
            if deleted.rowcount == 1:
                counts.apply(conn, self.layout, counts.Tally().add(artifact_id, before, tags, -1))

    def set_blob(
        self,
        artifact_id: str,
        field_name: str,
        blob_key: str | None,
        blob: Mapping[str, Any] | None,
        *,
        expect_status: str | None = None,
        touch: bool = True,
    ) -> None:
        target = sa.and_(
            self.blob_rows.c.artifact_id == artifact_id,
            self.blob_rows.c.field_name == field_name,
            self.blob_rows.c.key_hash == key_hash(blob_key),
        )
        now = utcnow()
        with self.db.write() as conn:
            current = conn.execute(sa.select(self.blob_rows.c.status).where(target)).first()
            if expect_status is not None:
                found = current.status if current else "absent"
                if found != expect_status:
                    raise Conflict(f"Blob is {found}, expected {expect_status}")
            # A blob change is a change of the artifact: new revision, new updated_at.
            changes: dict[str, Any] = {"revision": self.art.c.revision + 1}
            if touch:
                changes["updated_at"] = now
            bumped = conn.execute(
                self.art.update().where(self.art.c.id == artifact_id).values(**changes)
            )
            if bumped.rowcount != 1:
                raise ArtifactNotFound(f"Artifact {artifact_id} was not found")
            if blob is None:
                conn.execute(self.blob_rows.delete().where(target))
                return
            values = {k: blob.get(k) for k in BLOB_COLUMNS}
            values["external"] = bool(values["external"])
            previous = values["previous"]
            values["previous"] = None if previous is None else json.dumps(
                {k: previous.get(k) for k in BLOB_COLUMNS if k != "previous"}
            )
            values["updated_at"] = now
            if current is None:
                conn.execute(
                    self.blob_rows.insert().values(
                        artifact_id=artifact_id,
                        field_name=field_name,
                        blob_key=blob_key or "",
                        key_hash=key_hash(blob_key),
                        **values,
                    )
                )
            else:
                conn.execute(self.blob_rows.update().where(target).values(**values))

    def count_artifacts(self, owner: str, type_names: tuple[str, ...]) -> int:
        with self.db.read() as conn:
            if self.layout.counts is not None:
                return counts.owned(conn, self.layout.counts, owner, type_names)
            return conn.execute(
                sa.select(sa.func.count()).select_from(self.art).where(
                    self.art.c.owner == owner, self.art.c.type_name.in_(list(type_names))
                )
            ).scalar_one()

    def uploaded_bytes(
        self,
        owner: str,
        type_names: tuple[str, ...],
        exclude: tuple[str, str, str | None] | None = None,
    ) -> int:
        query = (
            sa.select(sa.func.coalesce(sa.func.sum(self.blob_rows.c.size), 0))
            .select_from(
                self.blob_rows.join(self.art, self.art.c.id == self.blob_rows.c.artifact_id)
            )
            .where(self.art.c.owner == owner, self.art.c.type_name.in_(list(type_names)),
                   self.blob_rows.c.external.is_(False))
        )
        if exclude is not None:
            artifact_id, field_name, blob_key = exclude
            query = query.where(sa.not_(sa.and_(
                self.blob_rows.c.artifact_id == artifact_id,
                self.blob_rows.c.field_name == field_name,
                self.blob_rows.c.key_hash == key_hash(blob_key),
            )))
        with self.db.read() as conn:
            return int(conn.execute(query).scalar_one())

    def artifacts_with_saving_blobs(self, type_name: str) -> list[dict[str, Any]]:
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(self.art).where(
                    self.art.c.type_name == type_name,
                    self.art.c.id.in_(
                        sa.select(self.blob_rows.c.artifact_id)
                        .where(self.blob_rows.c.status == "saving")
                    ),
                )
            ).mappings().all()
            return self.records.assemble(conn, rows)

    def touch_blob(self, artifact_id: str, field_name: str, blob_key: str | None) -> None:
        with self.db.write() as conn:
            conn.execute(
                self.blob_rows.update()
                .where(
                    self.blob_rows.c.artifact_id == artifact_id,
                    self.blob_rows.c.field_name == field_name,
                    self.blob_rows.c.key_hash == key_hash(blob_key),
                )
                .values(updated_at=utcnow())
            )

    # ---- reads --------------------------------------------------------------------

    def get(self, artifact_id: str) -> dict[str, Any] | None:
        with self.db.read() as conn:
            row = conn.execute(
                sa.select(self.art).where(self.art.c.id == artifact_id)
            ).mappings().first()
            if row is None:
                return None
            return self.records.assemble(conn, [row])[0]

    def scope_taken(
        self,
        type_name: str,
        name: str,
        version: str,
        *,
        owner: str | None,
        visibility: str,
        exclude_id: str | None = None,
    ) -> bool:
        conditions = [
            self.art.c.type_name == type_name,
            self.art.c.name == name,
            self.art.c.version == version,
            self.art.c.visibility == visibility,
            self.art.c.status != "deleted",
        ]
        if owner is not None:
            conditions.append(self.art.c.owner == owner)
        if exclude_id is not None:
            conditions.append(self.art.c.id != exclude_id)
        with self.db.read() as conn:
            found = conn.execute(sa.select(self.art.c.id).where(*conditions).limit(1)).first()
        return found is not None

    def list(self, query: ListQuery) -> ListResult:
        return self.lister.list(query)

    def complete_sort_rows(self, type_names: tuple[str, ...]) -> None:
        """Give every stored artifact of these types a row for each sortable field (once;
        start-up calls it after the migrations, listings on demand)."""
        self.sort_rows.complete_all(type_names)

    # ---- helpers ------------------------------------------------------------------

    def _require(self, artifact_id: str) -> dict[str, Any]:
        record = self.get(artifact_id)
        if record is None:
            raise ArtifactNotFound(f"Artifact {artifact_id} was not found")
        return record

    def _count_row(self, conn: Connection, artifact_id: str) -> dict[str, Any]:
        """The columns of an artifact that choose its counter."""
        art = self.art
        row = conn.execute(
            sa.select(art.c.type_name, art.c.owner, art.c.visibility, art.c.status)
            .where(art.c.id == artifact_id)
        ).mappings().first()
        if row is None:
            raise ArtifactNotFound(f"Artifact {artifact_id} was not found")
        return dict(row)

    def _tags(self, conn: Connection, artifact_id: str) -> list[str]:
        """The artifact's tags as stored (what its tag counters hold)."""
        if self.layout.tag_counts is None:
            return []
        props = self.props
        return list(conn.execute(
            sa.select(sa.func.coalesce(props.c.string_value, props.c.text_value)).where(
                props.c.artifact_id == artifact_id, props.c.name == "tags",
                props.c.position.is_not(None))).scalars())


def _scope_conflict(exc: IntegrityError) -> Conflict:
    text = str(exc.orig).lower()
    if "scope" in text or "unique" in text or "duplicate" in text:
        return Conflict("An artifact with this name and version already exists in this scope")
    return Conflict(f"The change conflicts with stored data: {exc.orig}")
