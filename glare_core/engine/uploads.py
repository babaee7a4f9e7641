"""``UploadService``: blob uploads, in three phases so that no lock is held while data
streams (contract §7.7):

1. in a write session (the artifact lock): checks, then the blob record is marked
   ``saving`` (the replaced blob, if any, is kept in the record's ``previous`` so a
   failure can restore it);
2. without the lock: the body goes through the ingest pipeline (``ingest.py``) into the
   store; a heartbeat thread keeps the record fresh (``heartbeat.py``), and an upload of
   unknown size grows its share of a folder or quota as its data arrives
   (``reservation.py``);
3. under the lock again: the record becomes ``active`` with size and checksums; only then
   is the replaced data deleted.

Any failure in 2-3 restores the previous record (unless another upload has taken the blob
over meanwhile) and discards the new data (``janitor.py``). A ``saving`` record without
heartbeat for ``stale_after`` seconds is an abandoned upload (a crashed server) and is
recovered the same way (``liveness.py``).
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from glare_core.auth.context import RequestContext
from glare_core.engine.allowance import UploadRoom, blob_limit_message, restorable_size
from glare_core.engine.blob_paths import blob_at, check_content_type
from glare_core.engine.context import EngineContext
from glare_core.engine.heartbeat import Heartbeat
from glare_core.engine.hooks import artifact_payload, coerce_hook_changes
from glare_core.engine.ingest import ingest
from glare_core.engine.janitor import BlobJanitor
from glare_core.engine.liveness import UploadLiveness
from glare_core.engine.locking import artifact_lock_key
from glare_core.engine.patch import check_change_allowed
from glare_core.engine.reservation import FIRST_RESERVATION, next_reservation
from glare_core.engine.session import Writes
from glare_core.errors import ArtifactNotFound, Conflict
from glare_core.types.base import ArtifactType
from glare_core.types.spec import FieldSpec

log = logging.getLogger(__name__)

FINISH_LOCK_WAIT = 30.0

# What undoing an upload found (UploadService._put_back).
RESTORED, GONE, TAKEN_OVER = "restored", "gone", "taken over"

#: Chooses the store of a type's blob field (the ``glare_choose_blob_store`` hook).
StoreChooser = Callable[[ArtifactType, str], Any]


class UploadService:
    def __init__(self, ctx: EngineContext, *, writes: Writes, janitor: BlobJanitor,
                 liveness: UploadLiveness, room: UploadRoom,
                 choose_store: StoreChooser) -> None:
        self.ctx = ctx
        self.writes = writes
        self.janitor = janitor
        self.liveness = liveness
        self.room = room
        self.choose_store = choose_store

    def upload(
        self,
        context: RequestContext,
        type_name: str,
        artifact_id: str,
        field_name: str,
        blob_key: str | None,
        body: Iterable[bytes],
        *,
        content_type: str,
        content_length: int | None,
    ) -> dict[str, Any]:
        """Stream ``body`` into the blob at field/key; return the saved artifact."""
        check_content_type(content_type)
        with self.writes.blob_session(context, type_name, artifact_id, field_name, blob_key,
                                      "artifact:upload") as target:
            artifact_type, data_api, artifact, spec = (
                target.artifact_type, target.data_api, target.artifact, target.checked)
            previous, abandoned = self._usable_current(artifact, spec, blob_key)
            check_change_allowed(artifact_type, artifact, field_name, blob_api=True)
            store = self.choose_store(artifact_type, field_name)
            location = store.location_for(uuid.uuid4().hex, namespace=type_name)
            # §21: the caller's own project's data quota applies (the owner's, for every
            # caller but an admin writing into another project's artifact).
            quota_project = context.project_id or artifact["owner"]
            with self.ctx.quotas.data_guard(quota_project, type_name):
                allowance = self.room.room_for(artifact_type, artifact, spec, blob_key,
                                               content_length or 0, quota_project)
                # The record's size is the upload's reservation while data streams, so
                # parallel uploads see it in their folder and quota checks (reservation.py).
                # It never holds less than the blob it replaces, which a failure restores.
                if content_length is not None:
                    reserved = max(content_length, restorable_size(previous))
                elif allowance.shared:
                    reserved = max(FIRST_RESERVATION, restorable_size(previous))
                else:
                    reserved = allowance.limit
                saving = {
                    "status": "saving", "external": False, "size": reserved,
                    "content_type": content_type, "location": location, "previous": previous,
                }
                data_api.set_blob(artifact_id, field_name, blob_key, saving, touch=False)
        if abandoned:
            self.janitor.delete_queued(abandoned)
        try:
            changes: dict[str, Any] = {}
            if allowance.shared:
                # The shared budgets are checked as the reservation grows; the stream
                # itself only enforces the blob's own limit.
                limit, why = spec.max_blob_size or 0, blob_limit_message(spec)
                reserve: Callable[[int], int] | None = functools.partial(
                    self._grow_reservation, artifact_type, data_api, artifact_id, spec,
                    blob_key, saving, quota_project)
            else:
                limit, why, reserve = allowance.limit, allowance.why, None
            beat = functools.partial(self._beat, data_api, artifact_id, spec, blob_key,
                                     location)
            # The heartbeat runs until the blob is active: waiting for the lock to finish
            # must not make a live upload look dead.
            with Heartbeat(beat, self.liveness.settings.heartbeat_every):
                stored, checksums = ingest(
                    self.ctx.hooks, context, artifact_type, artifact, spec, blob_key, body,
                    store, location, limit=limit, why=why, content_length=content_length,
                    changes=changes, reserved=reserved, reserve=reserve,
                )
                # Field values the upload hooks derived from the data (e.g. a package
                # manifest), validated before anything is committed.
                field_changes = coerce_hook_changes(artifact_type, changes)
                saved = self._finish(artifact_type, data_api, artifact_id, spec, blob_key, {
                    "status": "active", "external": False, "size": stored,
                    "content_type": content_type, "location": location,
                    "previous": None, **checksums,
                }, field_changes)
        except BaseException as exc:
            outcome = self._roll_back(type_name, data_api, artifact_id, spec, blob_key,
                                      location, previous, exc)
            # Whatever broke then (its data may have been deleted under it), the cause is
            # that the blob or the artifact moved on without this upload.
            if outcome == TAKEN_OVER and isinstance(exc, Exception):
                raise Conflict("Another upload took this blob over: this upload had been "
                               "silent for too long and was taken for dead") from exc
            if outcome == GONE and isinstance(exc, Exception):
                raise ArtifactNotFound("The artifact was deleted during the upload") from exc
            raise
        if previous is not None and previous.get("location"):
            self.janitor.discard(previous["location"], "replaced by a new upload")
        self.ctx.hooks.blob_post("upload", artifact_type, saved, field_name, blob_key, context)
        self.ctx.hooks.notify("upload", artifact_payload(type_name, saved), context)
        return saved

    def _finish(self, artifact_type: ArtifactType, data_api: Any, artifact_id: str,
                spec: FieldSpec, blob_key: str | None, blob: dict[str, Any],
                field_changes: dict[str, Any]) -> dict[str, Any]:
        """Phase 3: under the lock, the blob becomes active (with the fields the upload
        hooks derived); returns the saved record."""
        with self.ctx.locker.hold(artifact_lock_key(artifact_type.type_name, artifact_id),
                                  wait=FINISH_LOCK_WAIT):
            self._check_still_ours(data_api, artifact_id, spec, blob_key, blob["location"])
            data_api.set_blob(artifact_id, spec.name, blob_key, blob)
            if field_changes:
                current = data_api.get(artifact_id)
                data_api.update(artifact_id, {**field_changes, "updated_at": self.ctx.clock()},
                                revision=current["revision"])
            saved = self.ctx.find(artifact_id, artifact_type)
        assert saved is not None
        return saved

    def _roll_back(
        self, type_name: str, data_api: Any, artifact_id: str, spec: FieldSpec,
        blob_key: str | None, location: str, previous: dict | None, exc: BaseException,
    ) -> str | None:
        """Undo a failed upload: previous record back, new data gone (or queued). Returns
        what ``_put_back`` found (None if it could not look)."""
        for leftover in getattr(exc, "leftover", ()) or ():
            self.janitor.garbage.add(leftover, "left by a failed upload")
        outcome = None
        try:
            outcome = self._put_back(type_name, data_api, artifact_id, spec.name, blob_key,
                                     location, previous)
        except Exception:
            log.exception("cannot restore blob %s/%s of %s", spec.name, blob_key, artifact_id)
        self.janitor.discard(location, "left by a failed upload")
        return outcome

    def _put_back(
        self, type_name: str, data_api: Any, artifact_id: str, field_name: str,
        blob_key: str | None, location: str, previous: dict | None,
    ) -> str:
        """Restore ``previous`` in place of the upload writing to ``location``, under the
        artifact lock, if the blob is still that upload's.

        Returns RESTORED, GONE (no artifact, or one deleted and kept for the scrubber) or
        TAKEN_OVER: another request changed the blob (an upload that took over from this
        one, which looked dead), so nothing of this upload's is left to undo.
        """
        with self.ctx.locker.hold(artifact_lock_key(type_name, artifact_id),
                                  wait=FINISH_LOCK_WAIT):
            artifact = data_api.get(artifact_id)
            if artifact is None:
                return GONE
            # a delete (kept for the scrubber) may have undone this upload already
            gone = artifact.get("status") == "deleted"
            value = artifact.get(field_name)
            current = (value or {}).get(blob_key) if blob_key is not None else value
            if not current or current.get("location") != location:
                return GONE if gone else TAKEN_OVER
            try:
                data_api.set_blob(artifact_id, field_name, blob_key, previous, touch=False)
            except ArtifactNotFound:
                return GONE
            return GONE if gone else RESTORED

    def _check_still_ours(
        self, data_api: Any, artifact_id: str, spec: FieldSpec, blob_key: str | None,
        location: str,
    ) -> dict[str, Any]:
        """The artifact's record, if the blob is still this upload's and the upload was
        never taken for dead (else 404 or 409)."""
        artifact = data_api.get(artifact_id)
        if artifact is None or artifact["status"] == "deleted":
            raise ArtifactNotFound("The artifact was deleted during the upload")
        current = blob_at(artifact, spec, blob_key)
        if current is None or current.get("location") != location:
            raise Conflict("The blob was changed by another request during the upload")
        if self.liveness.is_abandoned(current):
            # Readers have been shown the blob it replaces, as its recovery will leave
            # it: a dead upload stays dead (read_view).
            raise Conflict("This upload was silent for longer than upload_stale_after and "
                           "was taken for dead; upload again")
        return artifact

    def _beat(self, data_api: Any, artifact_id: str, spec: FieldSpec, blob_key: str | None,
              location: str) -> None:
        """The heartbeat of the upload writing to ``location``: mark its record fresh,
        unless the blob is no longer its own or it was already taken for dead (a server
        that froze for ``stale_after``): reviving it would take back from readers the
        previous blob they were shown (read_view); the upload then fails as it ends."""
        artifact = data_api.get(artifact_id)
        current = blob_at(artifact, spec, blob_key) if artifact is not None else None
        if current is None or current.get("location") != location:
            return
        if self.liveness.is_abandoned(current):
            return
        data_api.touch_blob(artifact_id, spec.name, blob_key)

    def _grow_reservation(
        self, artifact_type: ArtifactType, data_api: Any, artifact_id: str, spec: FieldSpec,
        blob_key: str | None, saving: dict[str, Any], quota_project: str, needed: int,
    ) -> int:
        """Reserve room for ``needed`` bytes and a step more, checked against the folder
        and the quota as they are now; returns the new reservation (413 if no room)."""
        type_name = artifact_type.type_name
        with self.ctx.locker.hold(artifact_lock_key(type_name, artifact_id),
                                  wait=FINISH_LOCK_WAIT):
            artifact = self._check_still_ours(data_api, artifact_id, spec, blob_key,
                                            saving["location"])
            with self.ctx.quotas.data_guard(quota_project, type_name):
                allowance = self.room.room_for(artifact_type, artifact, spec, blob_key, needed,
                                               quota_project)
                reserved = max(next_reservation(needed, allowance.limit),
                               restorable_size(saving["previous"]))
                data_api.set_blob(artifact_id, spec.name, blob_key,
                                  {**saving, "size": reserved}, touch=False)
        return reserved

    def _usable_current(
        self, artifact: dict, spec: FieldSpec, blob_key: str | None
    ) -> tuple[dict | None, str | None]:
        """The blob being replaced, and the location of an abandoned upload's data to
        delete (queued here, under the lock; deleted once the lock is released); 409
        while another upload to the blob is alive."""
        current = blob_at(artifact, spec, blob_key)
        if current is None or current.get("status") != "saving":
            return current, None
        if not self.liveness.is_abandoned(current):
            raise Conflict("Another upload to this blob is in progress")
        # A crashed upload: its data goes, and what it was replacing is replaced now.
        abandoned = current.get("location")
        if abandoned:
            self.janitor.garbage.add(abandoned, "abandoned upload")
        return current.get("previous"), abandoned
