"""``ArtifactService``: every artifact operation, in the contract's order of checks.

Each public method is one named action: it authorizes once by policy, takes the artifact
lock for writes, validates, runs the type's and plugins' pre-hooks, persists through the
type's DataAPI, then runs post-hooks and emits the notification.
"""

from __future__ import annotations

import copy
import functools
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from glare_core.auth.context import RequestContext
from glare_core.auth.policy import Policy
from glare_core.data.api import DataAPI
from glare_core.data.database import utcnow
from glare_core.data.query import ListQuery, ListResult, SortKey
from glare_core.engine import access
from glare_core.engine.hooks import HookRunner, artifact_payload
from glare_core.engine.links import LinkChecker
from glare_core.engine.listing import parse_list_params
from glare_core.engine.locking import Locker, artifact_lock_key
from glare_core.engine.patch import field_spec, plan_patch, validate_operations
from glare_core.engine.quotas import QuotaService
from glare_core.errors import (
    ArtifactNotFound,
    BadRequest,
    Conflict,
    Forbidden,
    PreconditionFailed,
)
from glare_core.types import versions
from glare_core.types.base import CREATE_FORBIDDEN, DEFAULT_VERSION, ArtifactType
from glare_core.types.registry import TypeRegistry


def revision_tag(record: Mapping[str, Any]) -> str:
    """The entity tag of an artifact: changes whenever the artifact changes."""
    return f'"{record["id"]}-{record["revision"]}"'


@dataclass(frozen=True)
class EngineSettings:
    default_limit: int = 25
    max_limit: int = 1000
    delayed_delete: bool = False
    type_settings: Mapping[str, Mapping[str, Any]] | None = None

    def delayed_delete_for(self, artifact_type: ArtifactType) -> bool:
        configured = (self.type_settings or {}).get(artifact_type.type_name, {})
        if configured.get("delayed_delete") is not None:
            return bool(configured["delayed_delete"])
        if type(artifact_type).delayed_delete is not None:
            return bool(type(artifact_type).delayed_delete)
        return self.delayed_delete


@dataclass
class ListPage:
    artifact_type: Any
    artifacts: list[dict[str, Any]]
    total: int
    limit: int


class ArtifactService:
    def __init__(
        self,
        *,
        registry: TypeRegistry,
        data_apis: Mapping[str, DataAPI],
        policy: Policy,
        hooks: HookRunner,
        locker: Locker,
        links: LinkChecker,
        quotas: QuotaService,
        settings: EngineSettings,
    ) -> None:
        self.registry = registry
        self.data_apis = data_apis
        self.policy = policy
        self.hooks = hooks
        self.locker = locker
        self.links = links
        self.quotas = quotas
        self.settings = settings
        # Set by the blob service: removes an artifact's blob data when it is purged.
        self.blob_cleaner: Callable[[ArtifactType, Mapping[str, Any]], None] | None = None
        # Set by the blob service: under the artifact's lock, undoes the uploads of an
        # artifact that died with their server; returns how many it undid.
        self.upload_recovery: Callable[[ArtifactType, Mapping[str, Any]], int] | None = None
        # Set by the blob service: an artifact as readers see it (the blobs of uploads that
        # died with their server shown as their recovery will leave them).
        self.read_view: Callable[[ArtifactType, dict[str, Any]], dict[str, Any]] | None = None

    # ---- reads ----------------------------------------------------------------------

    def list(
        self, context: RequestContext, type_name: str, params: Iterable[tuple[str, str]]
    ) -> ListPage:
        """List/filter/sort/paginate artifacts of one type (or of every type for ``all``)."""
        artifact_type = self.registry.resolve(type_name)
        self.policy.authorize("artifact:list", {}, context)
        see_all = self.policy.check("artifact:list_all_artifacts", {}, context)
        parsed = parse_list_params(
            artifact_type,
            params,
            default_limit=self.settings.default_limit,
            max_limit=self.settings.max_limit,
        )
        marker = None
        if parsed.marker is not None:
            marker = self.find(parsed.marker)
            if marker is None or not access.is_visible(context, marker, see_all=see_all):
                raise ArtifactNotFound(f"Marker artifact {parsed.marker} was not found")
        type_names = tuple(artifact_type.types) if artifact_type.is_pseudo else (type_name,)
        query = ListQuery(
            type_names=type_names,
            scope=access.list_scope(context, see_all=see_all),
            filters=parsed.filters,
            sort=parsed.sort,
            limit=parsed.limit,
            marker=marker,
            latest=parsed.latest,
        )
        result = self.run_list(query)
        # Blob fields are neither filterable nor sortable, and an upload leaves the
        # artifact's updated_at alone: what read_view changes never moves an artifact
        # in or out of a page, or within one.
        artifacts = [self.as_read(record) for record in result.artifacts]
        return ListPage(artifact_type, artifacts, result.total, parsed.limit)

    def get(
        self, context: RequestContext, type_name: str, artifact_id: str
    ) -> tuple[Any, dict[str, Any]]:
        """Show one artifact; returns (type it is shown as, record)."""
        artifact_type = self.registry.resolve(type_name)
        self.policy.authorize("artifact:get", {}, context)
        see_all = self.policy.check("artifact:get_any_artifact", {}, context)
        record = self.find(artifact_id, artifact_type)
        access.require_visible(context, record, see_all=see_all)
        assert record is not None
        return artifact_type, self.as_read(record)

    def as_read(self, record: dict[str, Any]) -> dict[str, Any]:
        """``record`` as a reader sees it: uploads that died with their server show the
        blob they were replacing (``read_view``)."""
        artifact_type = self.registry.get(record["type_name"])
        if self.read_view is None or artifact_type is None:
            return record
        return self.read_view(artifact_type, record)

    def find(self, artifact_id: str, artifact_type: Any = None) -> dict[str, Any] | None:
        """The record with this id, of the given type (None or ``all``: any type)."""
        if artifact_type is not None and not artifact_type.is_pseudo:
            record = self.data_apis[artifact_type.type_name].get(artifact_id)
            if record is None or record["type_name"] != artifact_type.type_name:
                return None
            return record
        for data_api in self._distinct_apis():
            record = data_api.get(artifact_id)
            if record is not None and record["type_name"] in self.registry:
                return record
        return None

    # ---- create ---------------------------------------------------------------------

    def create(
        self, context: RequestContext, type_name: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Create a drafted, private artifact owned by the caller's project."""
        if context.read_only or context.project_id is None:
            raise Forbidden("Anonymous users may not create artifacts")
        if not body.get("name"):
            raise BadRequest("The artifact 'name' is required")
        forbidden = sorted(CREATE_FORBIDDEN & set(body))
        if forbidden:
            raise BadRequest(f"{', '.join(forbidden)} cannot be set when creating an artifact")
        artifact_type = self.registry.resolve(type_name)
        if artifact_type.is_pseudo:
            raise Forbidden("The 'all' type is read-only")
        self.policy.authorize("artifact:create", dict(body), context)

        supplied: dict[str, Any] = {}
        for name, value in body.items():
            spec = artifact_type.fields.get(name)
            if spec is not None and not spec.system:
                supplied[name] = spec.coerce(value)
        name = supplied["name"]
        version = supplied.get("version") or DEFAULT_VERSION
        data_api = self.data_apis[type_name]
        if data_api.scope_taken(
            type_name, name, version, owner=context.project_id, visibility="private"
        ):
            raise Conflict(
                f"Artifact with name '{name}' and version '{version}' already exists"
            )
        self.quotas.check_count(context.project_id, type_name)
        for key in body:
            spec = field_spec(artifact_type, key)
            if spec.is_blob:  # even null: binary data only goes through the blob API
                raise BadRequest(f"Field '{key}' holds binary data; use the blob API to set it")
            if spec.system:
                raise Forbidden(f"Field '{key}' is read-only")

        values = self._new_artifact_values(artifact_type, context, supplied)
        edited = self.hooks.pre("create", artifact_type, values, copy.deepcopy(values), context)
        values.update(self._coerced(
            artifact_type, {k: v for k, v in edited.items() if values.get(k) != v}))
        self.links.check(context, artifact_type, values)
        with self.quotas.count_guard(context.project_id, type_name):
            record = data_api.create(type_name, values)
        self.hooks.post("create", artifact_type, record, context)
        self.hooks.notify("create", artifact_payload(type_name, record), context)
        return record

    def _new_artifact_values(
        self, artifact_type: ArtifactType, context: RequestContext, supplied: dict[str, Any]
    ) -> dict[str, Any]:
        now = utcnow()
        values: dict[str, Any] = {}
        for name, spec in artifact_type.fields.items():
            if spec.is_blob:
                values[name] = {} if spec.kind == "Folder" else None
            elif name in supplied:
                values[name] = supplied[name]
            else:
                values[name] = spec.default_value()
                if values[name] is None and not spec.nullable and not spec.is_base:
                    raise BadRequest(f"Field '{name}' is required")
        values.update(
            id=str(uuid.uuid4()),
            owner=context.project_id,
            created_at=now,
            updated_at=now,
            activated_at=None,
            status="drafted",
            visibility="private",
            display_type_name=artifact_type.title,
        )
        values["version"] = values.get("version") or DEFAULT_VERSION
        return values

    # ---- update ---------------------------------------------------------------------

    def update(
        self,
        context: RequestContext,
        type_name: str,
        artifact_id: str,
        operations: Any,
        *,
        if_match: str | None = None,
    ) -> dict[str, Any]:
        """Apply a JSON-patch: field changes, lifecycle transitions and publishing."""
        ops = validate_operations(operations)
        artifact_type = self.registry.resolve(type_name)
        if artifact_type.is_pseudo:
            raise Forbidden("The 'all' type is read-only")
        data_api = self.data_apis[type_name]
        with self.locker.hold(artifact_lock_key(type_name, artifact_id)):
            record = self.load_recovered(context, artifact_type, artifact_id)
            if record["status"] == "deleted":
                raise Forbidden("A deleted artifact cannot be changed")
            self.policy.authorize("artifact:update", record, context)
            if if_match is not None and if_match != "*" and if_match != revision_tag(record):
                raise PreconditionFailed("The artifact changed since the given ETag")
            start = copy.deepcopy(record)
            start.update(self._coerced(artifact_type, self.hooks.pre(
                "update", artifact_type, record, {}, context, patch=copy.deepcopy(ops))))
            plan = plan_patch(artifact_type, start, ops)
            for step in plan.steps:
                if step.action is None:
                    continue
                self.policy.authorize(f"artifact:{step.action.value}", step.image, context)
                extra = self.hooks.pre(step.action.value, artifact_type, step.image, {}, context)
                plan.image.update(self._coerced(artifact_type, extra))
            changes = plan.changes(record)
            if not changes:
                return record
            if "status" in changes and self.has_saving_blobs(artifact_type, record):
                raise Conflict("A blob of this artifact is being uploaded; retry later")
            self._check_scope(data_api, artifact_type, record, plan.image, changes)
            self.links.check(context, artifact_type, changes)
            now = utcnow()
            changes["updated_at"] = now
            if any(
                s.action is not None and s.action.value in ("activate", "reactivate")
                and not s.transition.is_noop
                for s in plan.steps
            ):
                changes["activated_at"] = now
            saved = data_api.update(artifact_id, changes, revision=record["revision"])
        self.hooks.post("update", artifact_type, saved, context)
        payload = artifact_payload(type_name, saved)
        self.hooks.notify("update", payload, context)
        for step in plan.steps:
            if step.action is not None:
                self.hooks.post(step.action.value, artifact_type, saved, context)
                self.hooks.notify(step.action.value, payload, context)
        return saved

    def _check_scope(
        self,
        data_api: DataAPI,
        artifact_type: ArtifactType,
        record: Mapping[str, Any],
        image: Mapping[str, Any],
        changes: Mapping[str, Any],
    ) -> None:
        if not {"name", "version", "visibility"} & set(changes):
            return
        public = image["visibility"] == "public"
        if data_api.scope_taken(
            artifact_type.type_name,
            image["name"],
            image["version"],
            owner=None if public else record["owner"],
            visibility=image["visibility"],
            exclude_id=record["id"],
        ):
            scope = "public" if public else "the owner's private"
            raise Conflict(
                f"An artifact named '{image['name']}' with version '{image['version']}' "
                f"already exists in {scope} scope"
            )

    # ---- delete ---------------------------------------------------------------------

    def delete(self, context: RequestContext, type_name: str, artifact_id: str) -> None:
        """Delete an artifact (or mark it ``deleted`` when delayed delete is on)."""
        artifact_type = self.registry.resolve(type_name)
        if artifact_type.is_pseudo:
            raise Forbidden("The 'all' type is read-only")
        data_api = self.data_apis[type_name]
        with self.locker.hold(artifact_lock_key(type_name, artifact_id)):
            record = self.load_recovered(context, artifact_type, artifact_id)
            self.policy.authorize("artifact:delete", record, context)
            extra = self._coerced(artifact_type,
                                  self.hooks.pre("delete", artifact_type, record, {}, context))
            if self.has_saving_blobs(artifact_type, record):
                raise Conflict("A blob of this artifact is being uploaded; retry later")
            delayed = self.settings.delayed_delete_for(artifact_type)
            if record["status"] != "deleted" or extra:
                # Fields the pre-delete hooks set are saved with the deletion (they stay
                # visible while delayed delete keeps the record).
                record = data_api.update(
                    artifact_id,
                    {**extra, "status": "deleted", "updated_at": utcnow()},
                    revision=record["revision"],
                )
            if not delayed:
                self.purge(artifact_type, record)
        self.hooks.post("delete", artifact_type, record, context)
        self.hooks.notify("delete", artifact_payload(type_name, record), context)

    def purge(self, artifact_type: ArtifactType, record: Mapping[str, Any]) -> None:
        """Remove a deleted artifact's stored data and its record (scrubber and delete)."""
        if self.blob_cleaner is not None:
            self.blob_cleaner(artifact_type, record)
        self.data_apis[artifact_type.type_name].delete(record["id"])

    def records_with_saving_blobs(self, type_name: str) -> list[dict[str, Any]]:
        return self.data_apis[type_name].artifacts_with_saving_blobs(type_name)

    # ---- helpers --------------------------------------------------------------------

    def load_for_write(
        self, context: RequestContext, artifact_type: ArtifactType, artifact_id: str
    ) -> dict[str, Any]:
        record = self.find(artifact_id, artifact_type)
        access.require_visible(context, record)
        assert record is not None
        access.require_writable(context, record)
        return record

    def load_recovered(
        self, context: RequestContext, artifact_type: ArtifactType, artifact_id: str
    ) -> dict[str, Any]:
        """``load_for_write`` (the caller holds the artifact lock), after undoing uploads
        that died with their server: they would keep the artifact from being deleted or
        changing status (409), and hold their share of its folders, until the scrubber
        ran."""
        record = self.load_for_write(context, artifact_type, artifact_id)
        if (self.upload_recovery is not None and self.has_saving_blobs(artifact_type, record)
                and self.upload_recovery(artifact_type, record)):
            record = self.load_for_write(context, artifact_type, artifact_id)
        return record

    @staticmethod
    def has_saving_blobs(artifact_type: ArtifactType, record: Mapping[str, Any]) -> bool:
        for name, spec in artifact_type.blob_fields.items():
            value = record.get(name)
            blobs = value.values() if spec.kind == "Folder" and value else [value]
            if any(b and b.get("status") == "saving" for b in blobs):
                return True
        return False

    def coerce_hook_changes(
        self, artifact_type: ArtifactType, changes: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Validate field values a hook wants saved (hooks may set any non-blob field)."""
        return self._coerced(artifact_type, changes)

    @staticmethod
    def _coerced(artifact_type: ArtifactType, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Validate values a hook put into ``changes`` like client input."""
        out = {}
        for name, value in changes.items():
            spec = artifact_type.fields.get(name)
            if spec is None or spec.is_blob:
                raise BadRequest(f"A hook set '{name}', which is not a field it may set")
            # Hooks may set system fields, but their values are validated like any other.
            out[name] = value if spec.kind == "DateTime" else spec.coerce(value)
        return out

    def _distinct_apis(self) -> list[DataAPI]:
        seen: dict[int, DataAPI] = {}
        for data_api in self.data_apis.values():
            seen.setdefault(id(data_api), data_api)
        return list(seen.values())

    def run_list(self, query: ListQuery) -> ListResult:
        groups: dict[int, tuple[DataAPI, list[str]]] = {}
        for name in query.type_names:
            data_api = self.data_apis[name]
            groups.setdefault(id(data_api), (data_api, []))[1].append(name)
        if len(groups) == 1:
            (data_api, _), = groups.values()
            return data_api.list(query)
        if query.latest:
            return self._latest_across_data_apis(query, list(groups.values()))
        # Types stored by different data APIs: merge their sorted pages.
        results = [
            data_api.list(replace(query, type_names=tuple(names)))
            for data_api, names in groups.values()
        ]
        merged = sorted(
            (record for result in results for record in result.artifacts),
            key=functools.cmp_to_key(functools.partial(compare_records, query.sort)),
        )
        return ListResult(merged[: query.limit], sum(r.total for r in results))


    def _latest_across_data_apis(
        self, query: ListQuery, groups: list[tuple[DataAPI, list[str]]]
    ) -> ListResult:
        """``version=latest`` over types that different data APIs keep (``all``).

        The newest version of a name is decided across every type (§13.4: ``all`` groups
        by name only), which no single data API can do, so each one's newest-per-name
        records are gathered whole (one or a few per name) and filtered, sorted and paged
        here.
        """
        candidates = [
            record
            for data_api, names in groups
            for record in _every_page(data_api, replace(query, type_names=tuple(names)))
        ]
        keys = [versions.sort_key(record["version"]) for record in candidates]
        newest: dict[str, str] = {}
        for record, key in zip(candidates, keys, strict=True):
            newest[record["name"]] = max(newest.get(record["name"], key), key)
        latest = sorted(
            (r for r, key in zip(candidates, keys, strict=True) if key == newest[r["name"]]),
            key=functools.cmp_to_key(functools.partial(compare_records, query.sort)),
        )
        total = len(latest)
        if query.marker is not None:
            latest = [r for r in latest if compare_records(query.sort, r, query.marker) > 0]
        return ListResult(latest[: query.limit], total)


def _every_page(data_api: DataAPI, query: ListQuery, page_size: int = 1000) -> list[dict]:
    """Every record matching ``query`` (whatever its marker and limit), a page at a time."""
    records: list[dict] = []
    page = replace(query, limit=page_size, marker=None)
    while True:
        found = data_api.list(page).artifacts
        records.extend(found)
        if len(found) < page_size:
            return records
        page = replace(page, marker=found[-1])


def compare_records(sort: Iterable[SortKey], left: Mapping, right: Mapping) -> int:
    """Compare two records in a sort order (NULL largest), as the SQL store orders them."""
    for key in sort:
        name = key.field.name
        a, b = left.get(name), right.get(name)
        if name == "version":
            a = (versions.sort_key(a), a) if a is not None else None
            b = (versions.sort_key(b), b) if b is not None else None
        if a == b:
            continue
        if a is None or b is None:
            order = 1 if a is None else -1
        else:
            order = -1 if a < b else 1
        return order if key.direction == "asc" else -order
    return 0
