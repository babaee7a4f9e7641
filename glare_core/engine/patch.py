"""Turn a JSON-patch into explicit intents: field changes plus lifecycle transitions.

Pure: no I/O, no policy, no hooks. Operations are applied one by one, in order, to a JSON
image of the artifact (RFC 6902 through ``jsonpatch``). Each operation touches one
top-level field (``move`` touches two); ``status`` and ``visibility`` go through the
lifecycle table, every other field through the change rules, and the resulting value is
coerced and validated as the whole field. The service then authorizes and runs hooks for
the returned plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import jsonpatch
import jsonpointer

from glare_core.engine.copies import detached
from glare_core.engine.lifecycle import EDITABLE_STATUSES, Action, Transition, transition
from glare_core.errors import BadRequest, Forbidden, InvalidTransition, RequestTooLarge
from glare_core.types.base import ArtifactType
from glare_core.types.spec import FieldSpec

PATCH_OPS = ("add", "remove", "replace", "move", "copy", "test")
#: Each operation is validated against its whole field, so a patch of many operations
#: on a large field costs seconds of CPU (15,000 copies within a 255-key dict: about 8 s).
#: No real update needs this many: a field is replaced whole with one operation.
MAX_PATCH_OPERATIONS = 1000
LIFECYCLE_FIELDS = ("status", "visibility")


@dataclass
class LifecycleStep:
    """A status/visibility operation and the artifact image right after it."""

    transition: Transition
    image: dict[str, Any]

    @property
    def action(self) -> Action | None:
        return self.transition.action


@dataclass
class PatchPlan:
    image: dict[str, Any]
    steps: list[LifecycleStep] = field(default_factory=list)

    def changes(self, original: dict[str, Any]) -> dict[str, Any]:
        """Fields whose final value differs from ``original``."""
        return {
            name: value for name, value in self.image.items() if original.get(name) != value
        }


def plan_patch(
    artifact_type: ArtifactType, artifact: dict[str, Any], operations: Any
) -> PatchPlan:
    """Validate and apply ``operations`` to a copy of ``artifact``; return the plan.

    Raises BadRequest (malformed patch, unknown field, invalid value), Forbidden (system
    or immutable field, artifact not editable) or InvalidTransition.
    """
    ops = validate_operations(operations)
    image = {name: detached(artifact.get(name)) for name in artifact_type.fields}
    plan = PatchPlan(image=image)
    for op in ops:
        target = top_level_field(op["path"])
        if op["op"] == "test":
            # A test changes nothing, so no change rule applies: it only compares, on
            # the image as the earlier operations left it (400 when it fails, §17).
            field_spec(artifact_type, target)
            _apply(plan.image, op)
            continue
        touched = [target]
        if op["op"] == "move":
            source = top_level_field(op["from"])
            if source != target:
                touched.insert(0, source)
            if op["from"].count("/") == 1:
                raise BadRequest("Top-level fields cannot be moved away; use replace with null")
        if target in LIFECYCLE_FIELDS:
            plan.steps.append(_lifecycle_op(artifact_type, plan.image, op, target))
            continue
        for name in touched:
            check_change_allowed(artifact_type, plan.image, name)
        if op["op"] == "remove" and op["path"].count("/") == 1:
            raise BadRequest(
                f"Field '{target}' cannot be removed; use replace with null to clear it"
            )
        _apply(plan.image, op)
        for name in touched:
            plan.image[name] = artifact_type.fields[name].coerce(plan.image.get(name))
    return plan


def field_spec(artifact_type: ArtifactType, name: str) -> FieldSpec:
    """The type's field ``name``; 400 if the type has no such field."""
    spec = artifact_type.fields.get(name)
    if spec is None:
        raise BadRequest(f"Artifact type {artifact_type.type_name} has no field '{name}'")
    return spec


def validate_operations(operations: Any) -> list[dict[str, Any]]:
    """Check the RFC 6902 shape of every operation (400 on the first malformed one) and
    their number (413 past ``MAX_PATCH_OPERATIONS``)."""
    if not isinstance(operations, list):
        raise BadRequest("A JSON-patch body must be a JSON array of operations")
    if len(operations) > MAX_PATCH_OPERATIONS:
        raise RequestTooLarge(f"A patch may hold at most {MAX_PATCH_OPERATIONS} operations, "
                              f"not {len(operations)}")
    for index, op in enumerate(operations):
        where = f"Patch operation {index}"
        if not isinstance(op, dict):
            raise BadRequest(f"{where} must be a JSON object")
        if op.get("op") not in PATCH_OPS:
            raise BadRequest(f"{where}: unknown op {op.get('op')!r}")
        if not isinstance(op.get("path"), str) or not op["path"].startswith("/"):
            raise BadRequest(f"{where}: 'path' must be a string starting with '/'")
        if op["op"] in ("add", "replace", "test") and "value" not in op:
            raise BadRequest(f"{where}: '{op['op']}' needs a 'value'")
        if op["op"] in ("move", "copy") and (
            not isinstance(op.get("from"), str) or not op["from"].startswith("/")
        ):
            raise BadRequest(f"{where}: '{op['op']}' needs a 'from' path starting with '/'")
    return operations


def top_level_field(path: str) -> str:
    """The first segment of a JSON pointer (unescaped): the field an operation touches."""
    segment = path.split("/")[1]
    segment = segment.replace("~1", "/").replace("~0", "~")
    if not segment:
        raise BadRequest(f"Invalid path {path!r}: empty field name")
    return segment


def check_change_allowed(
    artifact_type: ArtifactType, image: dict[str, Any], name: str, *, blob_api: bool = False
) -> None:
    """The contract's change rules for a field, in their order of precedence.

    ``blob_api``: the change comes through the blob endpoints (blob fields are expected).
    """
    spec = field_spec(artifact_type, name)
    if spec.is_blob and not blob_api:
        raise BadRequest(f"Field '{name}' holds binary data; use the blob API to change it")
    status = image["status"]
    if status not in EDITABLE_STATUSES:
        raise Forbidden(f"Fields of a {status} artifact cannot be changed")
    if spec.system:
        raise Forbidden(f"Field '{name}' is read-only")
    if status == "active" and not spec.mutable:
        raise Forbidden(f"Field '{name}' cannot be changed once the artifact is active")


def missing_on_activate(artifact_type: ArtifactType, image: dict[str, Any]) -> list[str]:
    """Fields that must be set before activation but are null in ``image``."""
    return [
        name
        for name, spec in artifact_type.fields.items()
        if spec.required_on_activate and image.get(name) is None
    ]


def _lifecycle_op(
    artifact_type: ArtifactType, image: dict[str, Any], op: dict[str, Any], name: str
) -> LifecycleStep:
    if op["op"] not in ("add", "replace") or op["path"] != f"/{name}":
        raise BadRequest(f"'{name}' can only be changed with 'replace /{name}' "
                         f"(or 'add /{name}')")
    step = transition(name, image[name], op["value"], status=image["status"])
    image[name] = step.new
    if step.action is Action.ACTIVATE and not step.is_noop:
        missing = missing_on_activate(artifact_type, image)
        if missing:
            raise InvalidTransition(
                "Cannot activate: these fields must be set first: " + ", ".join(missing)
            )
    return LifecycleStep(transition=step, image=detached(image))


def _apply(image: dict[str, Any], op: dict[str, Any]) -> None:
    try:
        patched = jsonpatch.JsonPatch([op]).apply(image, in_place=True)
    except (
        jsonpatch.JsonPatchException,
        jsonpointer.JsonPointerException,
        TypeError,
        ValueError,
        KeyError,
        IndexError,
    ) as exc:
        raise BadRequest(
            f"Cannot apply patch operation {op.get('op')} {op.get('path')}: {exc}"
        ) from None
    if patched is not image:  # in_place keeps identity; be safe with library changes
        image.clear()
        image.update(patched)
