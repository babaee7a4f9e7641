"""``ArtifactService``: the writes of artifact metadata, in the contract's order of checks.

Each public method is one named action: create, update (a JSON-patch: field changes,
lifecycle transitions, publishing), delete, and purge. Writes to an existing artifact run
in a write session (``session.py``: lock, load, recover, authorize); every write validates,
runs the type's and plugins' pre-hooks, persists through the type's DataAPI, then runs the
post-hooks and notifications (``hooks.py``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from glare_core.auth.context import RequestContext
from glare_core.data.api import DataAPI
from glare_core.engine.blob_paths import has_saving_blobs
from glare_core.engine.context import EngineContext
from glare_core.engine.copies import detached
from glare_core.engine.hooks import coerce_hook_changes
from glare_core.engine.janitor import BlobJanitor
from glare_core.engine.links import LinkChecker
from glare_core.engine.patch import field_spec, plan_patch, validate_operations
from glare_core.engine.session import Writes
from glare_core.errors import BadRequest, Conflict, Forbidden, PreconditionFailed
from glare_core.types.base import CREATE_FORBIDDEN, DEFAULT_VERSION, ArtifactType


def revision_tag(artifact: Mapping[str, Any]) -> str:
    """The entity tag of an artifact: changes whenever the artifact changes."""
    return f'"{artifact["id"]}-{artifact["revision"]}"'


def _refuse_deleted(artifact_type: ArtifactType, artifact: Mapping[str, Any]) -> None:
    if artifact["status"] == "deleted":
        raise Forbidden("A deleted artifact cannot be changed")


class ArtifactService:
    def __init__(self, ctx: EngineContext, *, writes: Writes, janitor: BlobJanitor,
                 links: LinkChecker) -> None:
        self.ctx = ctx
        self.writes = writes
        self.janitor = janitor
        self.links = links

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
        artifact_type = self.ctx.writable_type(type_name)
        self.ctx.policy.authorize("artifact:create", dict(body), context)

        supplied: dict[str, Any] = {}
        for name, value in body.items():
            spec = artifact_type.fields.get(name)
            if spec is not None and not spec.system:
                supplied[name] = spec.coerce(value)
        name = supplied["name"]
        version = supplied.get("version") or DEFAULT_VERSION
        data_api = self.ctx.data_api(artifact_type)

        def refuse_taken_scope() -> None:
            if data_api.scope_taken(
                type_name, name, version, owner=context.project_id, visibility="private"
            ):
                raise Conflict(
                    f"Artifact with name '{name}' and version '{version}' already exists"
                ) from None

        # A taken name/version is a 409 before any other error (the contract's order), and
        # every DataAPI refuses to insert into a taken scope. Looking the scope up ahead
        # is needed only where a step before the insert acts outside this request (a
        # pre-create hook, a link fetched from the network): otherwise it is looked up
        # only if a later step fails or the insert is refused, and a create that
        # succeeds (nearly all) makes one query less.
        look_ahead = (not self.ctx.hooks.pre_is_noop("create", artifact_type)
                      or self.links.check_external)
        if look_ahead:
            refuse_taken_scope()
        try:
            artifact = self._insert(context, artifact_type, data_api, body, supplied)
        except Exception:
            if not look_ahead:
                refuse_taken_scope()
            raise
        self.ctx.hooks.done("create", artifact_type, artifact, context)
        return artifact

    def _insert(self, context: RequestContext, artifact_type: ArtifactType, data_api: DataAPI,
                body: Mapping[str, Any], supplied: dict[str, Any]) -> dict[str, Any]:
        """The create's checks after the scope, its pre-hooks, and the insert."""
        owner, type_name = context.project_id, artifact_type.type_name
        assert owner is not None
        # The project's artifact limits, looked up once: checked now (the contract's
        # order of errors), and again under the quota lock while creating.
        count_limits = self.ctx.quotas.count_limits(owner, type_name)
        self.ctx.quotas.check_count(owner, type_name, count_limits)
        for key in body:
            spec = field_spec(artifact_type, key)
            if spec.is_blob:  # even null: binary data only goes through the blob API
                raise BadRequest(f"Field '{key}' holds binary data; use the blob API to set it")
            if spec.system:
                raise Forbidden(f"Field '{key}' is read-only")

        values = self._new_artifact_values(artifact_type, context, supplied)
        edited = self.ctx.hooks.pre("create", artifact_type, values, detached(values),
                                    context)
        values.update(coerce_hook_changes(
            artifact_type, {k: v for k, v in edited.items() if values.get(k) != v}))
        self.links.check(context, artifact_type, values)
        with self.ctx.quotas.count_guard(owner, type_name, count_limits):
            return data_api.create(type_name, values)

    def _new_artifact_values(
        self, artifact_type: ArtifactType, context: RequestContext, supplied: dict[str, Any]
    ) -> dict[str, Any]:
        now = self.ctx.clock()
        values: dict[str, Any] = {}
        for name, spec in artifact_type.fields.items():
            if spec.is_blob:
                values[name] = spec.empty_blob_value()
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
            display_type_name=artifact_type.display_name,
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
        hooks = self.ctx.hooks
        with self.writes.session(context, type_name, artifact_id, actions=("artifact:update",),
                                 check=_refuse_deleted) as target:
            artifact_type, data_api, artifact = (target.artifact_type, target.data_api,
                                               target.artifact)
            if if_match is not None and if_match != "*" and if_match != revision_tag(artifact):
                raise PreconditionFailed("The artifact changed since the given ETag")
            plan = plan_patch(artifact_type, artifact, ops)
            # pre_update sees what the patch will change; values it sets are applied
            # before the patch (which wins on the fields it names), so the plan is made
            # again from them.
            extra = coerce_hook_changes(artifact_type, hooks.pre(
                "update", artifact_type, artifact, {}, context, patch=detached(ops),
                planned=detached(plan.changes(artifact))))
            if extra:
                plan = plan_patch(artifact_type, {**detached(artifact), **extra}, ops)
            for step in plan.steps:
                if step.action is None:
                    continue
                self.ctx.policy.authorize(f"artifact:{step.action.value}", step.image, context)
                extra = hooks.pre(step.action.value, artifact_type, step.image, {}, context)
                plan.image.update(coerce_hook_changes(artifact_type, extra))
            changes = plan.changes(artifact)
            if not changes:
                return artifact
            if "status" in changes and has_saving_blobs(artifact_type, artifact):
                raise Conflict("A blob of this artifact is being uploaded; retry later")
            self._check_scope(data_api, artifact_type, artifact, plan.image, changes)
            self.links.check(context, artifact_type, changes)
            now = self.ctx.clock()
            changes["updated_at"] = now
            if any(
                s.action is not None and s.action.value in ("activate", "reactivate")
                and not s.transition.is_noop
                for s in plan.steps
            ):
                changes["activated_at"] = now
            saved = data_api.update(artifact_id, changes, revision=artifact["revision"])
        hooks.done("update", artifact_type, saved, context)
        for step in plan.steps:
            if step.action is not None:
                hooks.done(step.action.value, artifact_type, saved, context)
        return saved

    def _check_scope(
        self,
        data_api: DataAPI,
        artifact_type: ArtifactType,
        artifact: Mapping[str, Any],
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
            owner=None if public else artifact["owner"],
            visibility=image["visibility"],
            exclude_id=artifact["id"],
        ):
            scope = "public" if public else "the owner's private"
            raise Conflict(
                f"An artifact named '{image['name']}' with version '{image['version']}' "
                f"already exists in {scope} scope"
            )

    # ---- delete ---------------------------------------------------------------------

    def delete(self, context: RequestContext, type_name: str, artifact_id: str) -> None:
        """Delete an artifact (or mark it ``deleted`` when delayed delete is on)."""
        with self.writes.session(context, type_name, artifact_id,
                                 actions=("artifact:delete",)) as target:
            artifact_type, data_api, artifact = (target.artifact_type, target.data_api,
                                               target.artifact)
            extra = coerce_hook_changes(
                artifact_type, self.ctx.hooks.pre("delete", artifact_type, artifact, {}, context))
            if has_saving_blobs(artifact_type, artifact):
                raise Conflict("A blob of this artifact is being uploaded; retry later")
            if artifact["status"] != "deleted" or extra:
                # Fields the pre-delete hooks set are saved with the deletion (they stay
                # visible while delayed delete keeps the record).
                artifact = data_api.update(
                    artifact_id,
                    {**extra, "status": "deleted", "updated_at": self.ctx.clock()},
                    revision=artifact["revision"],
                )
            if not self.ctx.settings.delayed_delete_for(artifact_type):
                self.purge(artifact_type, artifact)
        self.ctx.hooks.done("delete", artifact_type, artifact, context)

    def purge(self, artifact_type: ArtifactType, artifact: Mapping[str, Any]) -> None:
        """Remove a deleted artifact's stored data and its record (scrubber and delete)."""
        self.janitor.discard_artifact_blobs(artifact_type, artifact)
        self.ctx.data_api(artifact_type).delete(artifact["id"])

