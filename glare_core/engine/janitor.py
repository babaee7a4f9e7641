"""``BlobJanitor``: stored data that must go, and uploads that died with their server.

* ``discard`` deletes data now, or queues it (garbage queue) for the downloads still
  reading it (the last one deletes it) or for the scrubber when the store fails;
* ``collect_garbage`` retries the queue (the scrubber);
* ``recover_abandoned_in`` / ``recover_abandoned_uploads`` put back, under the artifact's
  lock, the blob each dead upload was replacing and discard what it wrote.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from glare_core.blobs.base import BlobStore
from glare_core.blobs.registry import StoreRegistry
from glare_core.data.ports import GarbageQueue, ReaderLeases
from glare_core.engine.blob_paths import blob_entries
from glare_core.engine.context import EngineContext
from glare_core.engine.liveness import UploadLiveness
from glare_core.engine.locking import artifact_lock_key
from glare_core.errors import Conflict
from glare_core.types.base import ArtifactType

log = logging.getLogger(__name__)


class BlobJanitor:
    def __init__(self, ctx: EngineContext, *, stores: StoreRegistry, garbage: GarbageQueue,
                 readers: ReaderLeases | None, liveness: UploadLiveness) -> None:
        self.ctx = ctx
        self.stores = stores
        self.garbage = garbage
        self.readers = readers
        self.liveness = liveness

    # ---- data that must go ----------------------------------------------------------

    def discard(self, location: str, reason: str) -> None:
        """Delete stored data now, or queue it: for the downloads still reading it (the
        last one deletes it), or for the scrubber if the store fails."""
        try:
            store = self.stores.for_location(location)
            if not store.writable:
                return
            if self.still_read(store, location):
                self.garbage.add(location, f"{reason}, after its downloads")
                return
            store.delete(location)
        except Exception as exc:
            log.warning("cannot delete %s now (%s); queued for the scrubber", location, exc)
            self.garbage.add(location, reason)

    def delete_queued(self, location: str) -> None:
        """Delete data queued in the garbage queue now, with its queue entries, unless a
        download still reads it; on failure the scrubber retries."""
        try:
            store = self.stores.for_location(location)
            waiting = self.garbage.for_location(location)
            if not waiting or not store.writable or self.still_read(store, location):
                return
            store.delete(location)
            for item in waiting:
                self.garbage.done(item.id)
        except Exception:
            log.exception("cannot delete %s now; the scrubber will", location)

    def still_read(self, store: BlobStore, location: str) -> bool:
        return (self.readers is not None and not store.readers_survive_delete
                and self.readers.held(location))

    def discard_artifact_blobs(self, artifact_type: ArtifactType, artifact: Mapping) -> None:
        """Delete the data of every non-external blob of an artifact being purged."""
        for _, _, blob in blob_entries(artifact_type, artifact):
            if blob and not blob.get("external") and blob.get("location"):
                self.discard(blob["location"], "artifact deleted")
            if blob and blob.get("previous") and blob["previous"].get("location"):
                self.discard(blob["previous"]["location"], "artifact deleted")

    def collect_garbage(self, batch: int = 100) -> int:
        """Retry queued deletions; return how many locations were removed."""
        if self.readers is not None:
            self.readers.drop_expired()  # leases of downloads whose server died
        removed = 0
        for item in self.garbage.pending(batch):
            try:
                store = self.stores.for_location(item.location)
                if self.still_read(store, item.location):
                    continue  # its last download deletes it (or its lease expires)
                if store.writable:
                    store.delete(item.location)
            except Exception as exc:
                self.garbage.failed(item.id, str(exc))
                continue
            self.garbage.done(item.id)
            removed += 1
        return removed

    # ---- uploads that died ----------------------------------------------------------

    def recover_abandoned_uploads(self, *, owner: str | None = None, skip: str | None = None,
                                  lock_wait: float | None = None) -> int:
        """Restore blobs whose upload died with their server (no heartbeat); return count.

        ``owner`` limits this to one project's artifacts and ``skip`` leaves one out. An
        artifact whose lock stays busy for ``lock_wait`` seconds (the locker's default when
        None) is left to the request holding it: every write undoes such uploads first.
        """
        recovered = 0
        for type_name, artifact_type in self.ctx.registry.items():
            if not artifact_type.blob_fields:
                continue
            data_api = self.ctx.data_apis[type_name]
            for found in data_api.artifacts_with_saving_blobs(type_name):
                if (owner is not None and found["owner"] != owner) or found["id"] == skip:
                    continue
                try:
                    with self.ctx.locker.hold(artifact_lock_key(type_name, found["id"]),
                                              wait=lock_wait):
                        # Read again under the lock: an upload may have beaten since.
                        artifact = data_api.get(found["id"])
                        if artifact is not None:
                            recovered += self.recover_abandoned_in(artifact_type, artifact)
                except Conflict:
                    continue
        return recovered

    def recover_abandoned_in(self, artifact_type: ArtifactType,
                             artifact: Mapping[str, Any]) -> int:
        """Put back, in one artifact whose lock the caller holds, the blob every upload
        that died with its server (no heartbeat for ``stale_after``) was replacing, and
        discard what it wrote; return how many there were."""
        data_api = self.ctx.data_api(artifact_type)
        recovered = 0
        for spec, key, blob in list(blob_entries(artifact_type, artifact)):
            if blob and self.liveness.still_abandoned(blob):
                data_api.set_blob(artifact["id"], spec.name, key, blob.get("previous"),
                                  touch=False)
                if blob.get("location"):
                    self.discard(blob["location"], "abandoned upload")
                recovered += 1
        return recovered
