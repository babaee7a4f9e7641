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
from glare_core.data.sql import encoding
from glare_core.data.sql.filters import QueryBuilder
from glare_core.data.sql.layout import COLUMN_KINDS, SqlLayout
from glare_core.data.sql.tables import CORE_LAYOUT
from glare_core.errors import ArtifactNotFound, Conflict, StartupError
from glare_core.types import versions

if TYPE_CHECKING:
    from glare_core.types.base import ArtifactType

BLOB_COLUMNS = ("url", "size", "md5", "sha1", "sha256", "external", "status", "content_type",
                "location", "previous")


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
        self.query = QueryBuilder(layout)
        self.art, self.props, self.blob_rows = layout.artifacts, layout.properties, layout.blobs

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
        self.create_many(type_name, [values])
        # The record as ``get`` would read it back, without reading: the columns as
        # written, each property decoded from the rows it was stored as, no blobs yet.
        columns = self.layout.columns
        record: dict[str, Any] = {name: values.get(name) for name in columns}
        record.update(type_name=type_name, revision=1)
        for spec in self.types[type_name].fields.values():
            if spec.is_blob:
                record[spec.name] = spec.empty_blob_value()
            elif spec.name not in columns:  # a property
                record[spec.name] = encoding.decode(
                    spec, encoding.encode(values["id"], spec, values.get(spec.name)))
        return record

    def create_many(self, type_name: str, many: Sequence[Mapping[str, Any]]) -> None:
        """Insert several new artifacts of one type in one transaction, as ``create``
        stores each (bulk loads and benchmarks; the engine creates one at a time)."""
        rows, prop_rows = [], []
        for values in many:
            row, props = self._rows(type_name, values)
            rows.append(row)
            prop_rows.extend(props)
        try:
            with self.db.write() as conn:
                conn.execute(self.art.insert(), rows)
                if prop_rows:
                    conn.execute(self.props.insert(), prop_rows)
        except IntegrityError as exc:
            raise _scope_conflict(exc) from None

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
                type_name = self._type_name(conn, artifact_id)
                artifact_type = self.types[type_name]
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
        except IntegrityError as exc:
            raise _scope_conflict(exc) from None
        return self._require(artifact_id)

    def delete(self, artifact_id: str) -> None:
        with self.db.write() as conn:
            # Children first: not every SQLite connection enforces foreign keys.
            conn.execute(self.props.delete().where(self.props.c.artifact_id == artifact_id))
            conn.execute(self.blob_rows.delete().where(self.blob_rows.c.artifact_id == artifact_id))
            conn.execute(self.art.delete().where(self.art.c.id == artifact_id))

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
            return self._assemble(conn, rows)

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
            return self._assemble(conn, [row])[0]

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
        where = self.query.where_clause(query)
        plan = self.query.sort_plan(query.sort)
        if query.latest:
            ranked = (
                sa.select(
                    self.art.c.id,
                    sa.func.rank()
                    .over(partition_by=self.art.c.name, order_by=self.art.c.version_key.desc())
                    .label("rank"),
                )
                .where(where)
                .subquery("ranked")
            )
            where = self.art.c.id.in_(sa.select(ranked.c.id).where(ranked.c.rank == 1))
        count_query = sa.select(sa.func.count()).select_from(self.art).where(where)
        page_query = sa.select(self.art).select_from(plan.apply_joins(self.art)).where(where)
        if query.marker is not None:
            page_query = page_query.where(plan.after_marker(query.marker))
        page_query = page_query.order_by(*plan.order_by()).limit(query.limit)
        with self.db.read() as conn:
            total = conn.execute(count_query).scalar_one()
            rows = conn.execute(page_query).mappings().all() if query.limit > 0 else []
            return ListResult(artifacts=self._assemble(conn, rows), total=total)

    # ---- helpers ------------------------------------------------------------------

    def _require(self, artifact_id: str) -> dict[str, Any]:
        record = self.get(artifact_id)
        if record is None:
            raise ArtifactNotFound(f"Artifact {artifact_id} was not found")
        return record

    def _type_name(self, conn: Connection, artifact_id: str) -> str:
        type_name = conn.execute(
            sa.select(self.art.c.type_name).where(self.art.c.id == artifact_id)
        ).scalar()
        if type_name is None:
            raise ArtifactNotFound(f"Artifact {artifact_id} was not found")
        return type_name

    def _assemble(self, conn: Connection, rows: list[Mapping[str, Any]]) -> list[dict]:
        """Records for artifact rows: base columns + decoded properties + blobs."""
        if not rows:
            return []
        ids = [row["id"] for row in rows]
        props: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        for prop in conn.execute(
            sa.select(self.props).where(self.props.c.artifact_id.in_(ids))
        ).mappings():
            props[prop["artifact_id"]][prop["name"]].append(prop)
        blob_rows: dict[str, list] = defaultdict(list)
        blob_query = sa.select(self.blob_rows).where(self.blob_rows.c.artifact_id.in_(ids))
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



def _scope_conflict(exc: IntegrityError) -> Conflict:
    text = str(exc.orig).lower()
    if "scope" in text or "unique" in text or "duplicate" in text:
        return Conflict("An artifact with this name and version already exists in this scope")
    return Conflict(f"The change conflicts with stored data: {exc.orig}")
