"""``SqlDataAPI``: the default DataAPI, every type in the same generic tables."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from glare_core.data.api import DataAPI
from glare_core.data.database import Database
from glare_core.data.query import ListQuery, ListResult
from glare_core.data.sql import encoding
from glare_core.data.sql.filters import SortPlan, where_clause
from glare_core.data.sql.tables import artifacts, blobs, properties
from glare_core.errors import ArtifactNotFound, Conflict
from glare_core.types import versions

if TYPE_CHECKING:
    from glare_core.types.base import ArtifactType

BLOB_COLUMNS = ("url", "size", "md5", "sha1", "sha256", "external", "status", "content_type",
                "location", "previous")


def key_hash(blob_key: str | None) -> str:
    return hashlib.sha256((blob_key or "").encode("utf-8")).hexdigest()


class SqlDataAPI(DataAPI):
    """Artifacts of any number of types in the core SQL tables."""

    def __init__(self, database: Database, types: Mapping[str, ArtifactType]) -> None:
        self.db = database
        self.types = types

    # ---- writes -------------------------------------------------------------------

    def create(self, type_name: str, values: Mapping[str, Any]) -> dict[str, Any]:
        artifact_type = self.types[type_name]
        row = {name: values.get(name) for name in encoding.BASE_COLUMNS}
        row["type_name"] = type_name
        row["version_key"] = versions.sort_key(values["version"])
        row["revision"] = 1
        prop_rows = []
        for spec in artifact_type.fields.values():
            if encoding.is_property(spec):
                prop_rows.extend(encoding.encode(values["id"], spec, values.get(spec.name)))
        try:
            with self.db.write() as conn:
                conn.execute(artifacts.insert().values(row))
                if prop_rows:
                    conn.execute(properties.insert(), prop_rows)
        except IntegrityError as exc:
            raise _scope_conflict(exc) from None
        return self._require(values["id"])

    def update(
        self, artifact_id: str, changes: Mapping[str, Any], *, revision: int
    ) -> dict[str, Any]:
        try:
            with self.db.write() as conn:
                type_name = self._type_name(conn, artifact_id)
                artifact_type = self.types[type_name]
                columns = {k: v for k, v in changes.items() if k in encoding.BASE_COLUMNS}
                if "version" in columns:
                    columns["version_key"] = versions.sort_key(columns["version"])
                result = conn.execute(
                    artifacts.update()
                    .where(artifacts.c.id == artifact_id, artifacts.c.revision == revision)
                    .values(**columns, revision=revision + 1)
                )
                if result.rowcount != 1:
                    raise Conflict(
                        "The artifact was changed by another request; reload and retry"
                    )
                for name, value in changes.items():
                    spec = artifact_type.fields.get(name)
                    if spec is None or not encoding.is_property(spec):
                        continue
                    conn.execute(
                        properties.delete().where(
                            properties.c.artifact_id == artifact_id, properties.c.name == name
                        )
                    )
                    rows = encoding.encode(artifact_id, spec, value)
                    if rows:
                        conn.execute(properties.insert(), rows)
        except IntegrityError as exc:
            raise _scope_conflict(exc) from None
        return self._require(artifact_id)

    def delete(self, artifact_id: str) -> None:
        with self.db.write() as conn:
            # Children first: not every SQLite connection enforces foreign keys.
            conn.execute(properties.delete().where(properties.c.artifact_id == artifact_id))
            conn.execute(blobs.delete().where(blobs.c.artifact_id == artifact_id))
            conn.execute(artifacts.delete().where(artifacts.c.id == artifact_id))

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
            blobs.c.artifact_id == artifact_id,
            blobs.c.field_name == field_name,
            blobs.c.key_hash == key_hash(blob_key),
        )
        now = _utcnow()
        with self.db.write() as conn:
            current = conn.execute(sa.select(blobs.c.status).where(target)).first()
            if expect_status is not None:
                found = current.status if current else "absent"
                if found != expect_status:
                    raise Conflict(f"Blob is {found}, expected {expect_status}")
            # A blob change is a change of the artifact: new revision, new updated_at.
            changes: dict[str, Any] = {"revision": artifacts.c.revision + 1}
            if touch:
                changes["updated_at"] = now
            bumped = conn.execute(
                artifacts.update().where(artifacts.c.id == artifact_id).values(**changes)
            )
            if bumped.rowcount != 1:
                raise ArtifactNotFound(f"Artifact {artifact_id} was not found")
            if blob is None:
                conn.execute(blobs.delete().where(target))
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
                    blobs.insert().values(
                        artifact_id=artifact_id,
                        field_name=field_name,
                        blob_key=blob_key or "",
                        key_hash=key_hash(blob_key),
                        **values,
                    )
                )
            else:
                conn.execute(blobs.update().where(target).values(**values))

    def count_artifacts(self, owner: str, type_names: tuple[str, ...]) -> int:
        with self.db.read() as conn:
            return conn.execute(
                sa.select(sa.func.count()).select_from(artifacts).where(
                    artifacts.c.owner == owner, artifacts.c.type_name.in_(list(type_names))
                )
            ).scalar_one()

    def uploaded_bytes(
        self,
        owner: str,
        type_names: tuple[str, ...],
        exclude: tuple[str, str, str | None] | None = None,
    ) -> int:
        query = (
            sa.select(sa.func.coalesce(sa.func.sum(blobs.c.size), 0))
            .select_from(blobs.join(artifacts, artifacts.c.id == blobs.c.artifact_id))
            .where(artifacts.c.owner == owner, artifacts.c.type_name.in_(list(type_names)),
                   blobs.c.external.is_(False))
        )
        if exclude is not None:
            artifact_id, field_name, blob_key = exclude
            query = query.where(sa.not_(sa.and_(
                blobs.c.artifact_id == artifact_id,
                blobs.c.field_name == field_name,
                blobs.c.key_hash == key_hash(blob_key),
            )))
        with self.db.read() as conn:
            return int(conn.execute(query).scalar_one())

    def artifacts_with_saving_blobs(self, type_name: str) -> list[dict[str, Any]]:
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(artifacts).where(
                    artifacts.c.type_name == type_name,
                    artifacts.c.id.in_(
                        sa.select(blobs.c.artifact_id).where(blobs.c.status == "saving")
                    ),
                )
            ).mappings().all()
            return self._assemble(conn, rows)

    def touch_blob(self, artifact_id: str, field_name: str, blob_key: str | None) -> None:
        with self.db.write() as conn:
            conn.execute(
                blobs.update()
                .where(
                    blobs.c.artifact_id == artifact_id,
                    blobs.c.field_name == field_name,
                    blobs.c.key_hash == key_hash(blob_key),
                )
                .values(updated_at=_utcnow())
            )

    # ---- reads --------------------------------------------------------------------

    def get(self, artifact_id: str) -> dict[str, Any] | None:
        with self.db.read() as conn:
            row = conn.execute(
                sa.select(artifacts).where(artifacts.c.id == artifact_id)
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
            artifacts.c.type_name == type_name,
            artifacts.c.name == name,
            artifacts.c.version == version,
            artifacts.c.visibility == visibility,
            artifacts.c.status != "deleted",
        ]
        if owner is not None:
            conditions.append(artifacts.c.owner == owner)
        if exclude_id is not None:
            conditions.append(artifacts.c.id != exclude_id)
        with self.db.read() as conn:
            found = conn.execute(sa.select(artifacts.c.id).where(*conditions).limit(1)).first()
        return found is not None

    def list(self, query: ListQuery) -> ListResult:
        where = where_clause(query)
        plan = SortPlan(query.sort)
        if query.latest:
            ranked = (
                sa.select(
                    artifacts.c.id,
                    sa.func.rank()
                    .over(partition_by=artifacts.c.name, order_by=artifacts.c.version_key.desc())
                    .label("rank"),
                )
                .where(where)
                .subquery("ranked")
            )
            where = artifacts.c.id.in_(sa.select(ranked.c.id).where(ranked.c.rank == 1))
        count_query = sa.select(sa.func.count()).select_from(artifacts).where(where)
        page_query = sa.select(artifacts).select_from(plan.apply_joins(artifacts)).where(where)
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
            sa.select(artifacts.c.type_name).where(artifacts.c.id == artifact_id)
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
            sa.select(properties).where(properties.c.artifact_id.in_(ids))
        ).mappings():
            props[prop["artifact_id"]][prop["name"]].append(prop)
        blob_rows: dict[str, list] = defaultdict(list)
        for blob in conn.execute(sa.select(blobs).where(blobs.c.artifact_id.in_(ids))).mappings():
            blob_rows[blob["artifact_id"]].append(blob)
        records = []
        for row in rows:
            artifact_type = self.types.get(row["type_name"])
            record: dict[str, Any] = {name: row[name] for name in encoding.BASE_COLUMNS}
            record["revision"] = row["revision"]
            if artifact_type is None:  # a type that is no longer enabled: base fields only
                records.append(record)
                continue
            own_props = props.get(row["id"], {})
            for spec in artifact_type.fields.values():
                if spec.kind == "Folder":
                    record[spec.name] = {}
                elif spec.is_blob:
                    record[spec.name] = None
                elif encoding.is_property(spec):
                    record[spec.name] = encoding.decode(spec, own_props.get(spec.name, ()))
            for blob in blob_rows.get(row["id"], ()):
                spec = artifact_type.fields.get(blob["field_name"])
                if spec is None or not spec.is_blob:
                    continue
                value = {k: blob[k] for k in BLOB_COLUMNS}
                value["external"] = bool(value["external"])
                value["previous"] = json.loads(blob["previous"]) if blob["previous"] else None
                value["updated_at"] = blob["updated_at"]
                if spec.kind == "Folder":
                    record[spec.name][blob["blob_key"]] = value
                else:
                    record[spec.name] = value
            records.append(record)
        return records


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _scope_conflict(exc: IntegrityError) -> Conflict:
    text = str(exc.orig).lower()
    if "scope" in text or "unique" in text or "duplicate" in text:
        return Conflict("An artifact with this name and version already exists in this scope")
    return Conflict(f"The change conflicts with stored data: {exc.orig}")
