"""The write session: the preamble every write to an existing artifact shares, in one place.

``Writes.session`` resolves the type (the read-only ``all`` is refused), takes the
artifact's lock, loads the artifact for writing (404 if the caller cannot see it, 403 if
they may not change it), undoes uploads that died with their server (they would keep the
artifact from being deleted or changing status, and hold their share of its folders, until
the scrubber ran), runs the operation's own ``check`` and authorizes its policy actions,
then yields a ``WriteTarget`` while the lock is held.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from glare_core.auth.context import RequestContext
from glare_core.data.api import DataAPI
from glare_core.engine import access
from glare_core.engine.blob_paths import has_saving_blobs, resolve_target
from glare_core.engine.context import EngineContext
from glare_core.engine.janitor import BlobJanitor
from glare_core.engine.locking import artifact_lock_key
from glare_core.types.base import ArtifactType


@dataclass
class WriteTarget:
    """What a write works on while it holds the artifact's lock."""

    artifact_type: ArtifactType
    data_api: DataAPI
    artifact: dict[str, Any]
    #: What the operation's ``check`` returned (e.g. the blob field a path names).
    checked: Any = None


class Writes:
    def __init__(self, ctx: EngineContext, janitor: BlobJanitor) -> None:
        self.ctx = ctx
        self.janitor = janitor

    @contextlib.contextmanager
    def session(
        self, context: RequestContext, type_name: str, artifact_id: str, *,
        actions: Sequence[str], check: Callable[[ArtifactType, dict[str, Any]], Any] | None = None,
    ) -> Iterator[WriteTarget]:
        """Hold the artifact's lock around the ``with`` block, after the preamble.

        ``check`` runs on the type and the loaded record before the policy checks (its errors come
        first, e.g. a path naming no blob is a 400 before a 403); ``actions`` are the
        policy actions authorized on the record, in order.
        """
        artifact_type = self.ctx.writable_type(type_name)
        with self.ctx.locker.hold(artifact_lock_key(type_name, artifact_id)):
            artifact = self.load_recovered(context, artifact_type, artifact_id)
            checked = check(artifact_type, artifact) if check is not None else None
            for action in actions:
                self.ctx.policy.authorize(action, artifact, context)
            yield WriteTarget(artifact_type, self.ctx.data_api(artifact_type), artifact, checked)

    @contextlib.contextmanager
    def blob_session(
        self, context: RequestContext, type_name: str, artifact_id: str, field_name: str,
        blob_key: str | None, action: str,
    ) -> Iterator[WriteTarget]:
        """``session`` for a write to one blob: the path must name a blob or folder entry
        (400, before any 403; ``checked`` is its field), and besides ``action`` the caller
        needs ``artifact:update``: public artifacts are changed by admins only, blobs
        included (contract Q28)."""
        with self.session(
                context, type_name, artifact_id, actions=(action, "artifact:update"),
                check=lambda artifact_type, _: resolve_target(artifact_type, field_name,
                                                              blob_key)) as target:
            yield target

    def load_recovered(self, context: RequestContext, artifact_type: ArtifactType,
                       artifact_id: str) -> dict[str, Any]:
        """The artifact, loaded for writing by ``context`` (the caller holds its lock),
        after undoing its uploads that died with their server."""
        artifact = self._load(context, artifact_type, artifact_id)
        if (has_saving_blobs(artifact_type, artifact)
                and self.janitor.recover_abandoned_in(artifact_type, artifact)):
            artifact = self._load(context, artifact_type, artifact_id)
        return artifact

    def _load(self, context: RequestContext, artifact_type: ArtifactType,
              artifact_id: str) -> dict[str, Any]:
        artifact = self.ctx.find(artifact_id, artifact_type)
        access.require_visible(context, artifact)
        assert artifact is not None
        access.require_writable(context, artifact)
        return artifact
