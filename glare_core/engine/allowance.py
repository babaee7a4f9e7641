"""How many bytes an upload may store: the field's limit, its folder's room and the
project's data quota, whichever is smallest (with the message its 413 gives)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from glare_core.engine.janitor import BlobJanitor
from glare_core.engine.quotas import QuotaService
from glare_core.errors import BadRequest, RequestTooLarge
from glare_core.types.base import ArtifactType
from glare_core.types.spec import FieldSpec


class Allowance(NamedTuple):
    """What an upload may store now: ``limit`` bytes, ``why`` as the 413 message beyond,
    and whether a shared budget (the folder, a data quota) is part of the limit."""

    limit: int
    why: str
    shared: bool
    by_quota: bool = False  # a project quota, not the field or folder, sets the limit


def restorable_size(previous: Mapping[str, Any] | None) -> int:
    """What the blob an upload replaces holds of the shared budgets: a failed upload puts
    it back, so the upload's reservation never goes below it."""
    return (previous or {}).get("size") or 0


def blob_limit_message(spec: FieldSpec) -> str:
    return f"The blob is larger than the {spec.max_blob_size} bytes allowed for '{spec.name}'"


class UploadRoom:
    def __init__(self, quotas: QuotaService, janitor: BlobJanitor) -> None:
        self.quotas = quotas
        self.janitor = janitor

    def allowed(
        self, artifact_type: ArtifactType, artifact: dict, spec: FieldSpec, blob_key: str | None,
        quota_project: str,
    ) -> Allowance:
        """The most bytes this upload may store, and the message when it stores more
        (``quota_project``: the project whose data quota applies)."""
        limit = spec.max_blob_size
        assert limit is not None  # resolve_target only accepts blob fields
        why = blob_limit_message(spec)
        if spec.is_folder:
            assert spec.max_keys is not None and spec.max_folder_size is not None
            folder = artifact.get(spec.name) or {}
            if blob_key not in folder and len(folder) >= spec.max_keys:
                raise BadRequest(f"Folder '{spec.name}' already holds the maximum of "
                                 f"{spec.max_keys} entries")
            used = sum(
                (blob.get("size") or 0) for key, blob in folder.items() if key != blob_key
            )
            left = max(0, spec.max_folder_size - used)
            if left < limit:
                limit = left
                capacity = spec.max_folder_size
                why = (f"Folder '{spec.name}' has only {left} bytes left of {capacity} "
                       f"(its other entries hold {used})")
        quota = self.quotas.data_allowance(
            quota_project, artifact_type.type_name, exclude=(artifact["id"], spec.name, blob_key)
        )
        by_quota = False
        if quota is not None and quota[0] < limit:
            (limit, why), by_quota = quota, True
        return Allowance(limit, why, shared=spec.is_folder or quota is not None,
                         by_quota=by_quota)

    def room_for(
        self, artifact_type: ArtifactType, artifact: dict, spec: FieldSpec, blob_key: str | None,
        needed: int, quota_project: str,
    ) -> Allowance:
        """The allowance, after undoing the project's dead uploads if only they stand in
        the way (the caller holds the artifact and quota locks); 413 if ``needed`` does not
        fit even then."""
        allowance = self.allowed(artifact_type, artifact, spec, blob_key, quota_project)
        if needed > allowance.limit and allowance.by_quota and (
                self.janitor.recover_abandoned_uploads(
                    owner=quota_project, skip=artifact["id"], lock_wait=0)):
            allowance = self.allowed(artifact_type, artifact, spec, blob_key, quota_project)
        if needed > allowance.limit:
            raise RequestTooLarge(allowance.why)
        return allowance
