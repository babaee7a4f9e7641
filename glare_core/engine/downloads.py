"""``DownloadService``: reading blob data (contract §7.9).

A download is checked at once (visibility, policy, the blob's state, the pre-download
hooks) and opened lazily: the API asks for the byte range it will send. On stores whose
reads stop when the data is deleted, the download holds a reader lease meanwhile, so a
replacement or deletion waits for it (the last reader deletes the data).
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from glare_core.auth.context import RequestContext
from glare_core.blobs.base import BlobStore, BlobWriteError
from glare_core.blobs.streams import LeasedChunks
from glare_core.engine import access
from glare_core.engine.blob_paths import blob_at, resolve_target
from glare_core.engine.context import EngineContext
from glare_core.engine.ingest import hook_errors_as_400
from glare_core.engine.janitor import BlobJanitor
from glare_core.engine.liveness import UploadLiveness
from glare_core.errors import BlobDataDamaged, BlobNotFound, Conflict, Forbidden, NotFound
from glare_core.types.base import ArtifactType
from glare_core.types.spec import FieldSpec

log = logging.getLogger(__name__)


@dataclass
class Download:
    """What the API needs to answer a download: a redirect or a readable blob."""

    artifact_type: ArtifactType
    artifact: dict[str, Any]
    field_name: str
    blob_key: str | None
    blob: dict[str, Any]
    redirect: str | None
    open: Callable[[int, int | None], Iterable[bytes]] | None = None
    #: Raises unless the store holds the data with its recorded size (for answers that
    #: send none: HEAD, empty blobs, unsatisfiable ranges).
    check_stored: Callable[[], None] | None = None

    @property
    def size(self) -> int | None:
        return self.blob.get("size")


class DownloadService:
    def __init__(self, ctx: EngineContext, *, janitor: BlobJanitor,
                 liveness: UploadLiveness) -> None:
        self.ctx = ctx
        self.janitor = janitor
        self.liveness = liveness

    def download(
        self,
        context: RequestContext,
        type_name: str,
        artifact_id: str,
        field_name: str,
        blob_key: str | None,
    ) -> Download:
        """Check access and return how to serve the blob (open it lazily, by range)."""
        artifact_type = self.ctx.readable_type(type_name)
        policy = self.ctx.policy
        see_all = policy.check("artifact:download_from_any_artifact", {}, context)
        artifact = self.ctx.find(artifact_id, artifact_type)
        access.require_visible(context, artifact, see_all=see_all)
        assert artifact is not None
        # §7.9's order: who may read (403) before what is read (400).
        if not see_all:
            policy.authorize("artifact:download", artifact, context)
        if artifact["status"] == "deleted":
            raise Forbidden("A deleted artifact cannot be downloaded")
        spec = resolve_target(artifact_type, field_name, blob_key)
        artifact = self.liveness.read_view(artifact_type, artifact)
        blob = blob_at(artifact, spec, blob_key)
        if blob is None:
            raise NotFound("No data was uploaded here")
        if blob["status"] == "saving":
            raise Conflict("The blob is being uploaded; retry later")
        self.ctx.hooks.blob_pre("download", artifact_type, artifact, field_name, blob_key,
                                context)
        if blob.get("external"):
            return Download(artifact_type, artifact, field_name, blob_key, blob, blob["url"])
        location = blob["location"]
        store = self.janitor.stores.for_location(location)
        where = f"{type_name} {artifact_id}, field {field_name}" + (
            f", key {blob_key!r}" if blob_key is not None else "")

        def open_range(offset: int, length: int | None) -> Iterable[bytes]:
            lease = self._lease_for_reading(store, location, artifact_type, artifact, spec,
                                            blob_key)
            try:
                data = store.read(location, offset=offset, length=length)
                try:
                    self._check_stored_size(store, blob, where, data)
                except BaseException:
                    _close(data)
                    raise
                if self.liveness.settings.verify_on_read and offset == 0 and length is None:
                    data = _verified(data, blob)
                wrapped = self.ctx.hooks.blob_stream(
                    "post_download", "data", data, artifact_type, artifact, field_name,
                    blob_key, context)
                chunks = hook_errors_as_400(wrapped) if wrapped is not data else data
            except BaseException:
                self._done_reading(location, lease)
                raise
            if lease is None:
                return chunks
            readers = self.janitor.readers
            assert readers is not None
            return LeasedChunks(chunks, renew=lambda: readers.renew(lease),
                                renew_every=readers.ttl / 3,
                                on_close=lambda: self._done_reading(location, lease))

        return Download(artifact_type, artifact, field_name, blob_key, blob, None, open_range,
                        functools.partial(self._check_stored_size, store, blob, where))

    def _check_stored_size(self, store: BlobStore, blob: Mapping[str, Any], where: str,
                           reading: Iterable[bytes] | None = None) -> None:
        """Before a download answers: the store must hold the blob's data (BlobNotFound,
        404) with the size recorded at upload, as far as the store can tell cheaply
        (``stored_size``; ``reading`` is the opened data, whose own size is checked).

        Data cut short or grown outside Glare (a truncated file, an object overwritten)
        would otherwise go out under the recorded Content-Length and the connection be
        cut midway, or be silently wrong. It is answered like data missing from the
        store: the client cannot get the blob from here, and retrying will not change
        that (no 5xx); the operator gets an error line naming the blob.
        """
        location = blob["location"]
        size = store.stored_size(location, reading)
        if size is None:
            if reading is None and not store.exists(location):
                raise BlobNotFound(f"No data at {location}")
            return
        expected = blob.get("size")
        if expected is not None and size != expected:
            log.error("blob data of %s at %s holds %d bytes where %d were recorded at "
                      "upload: not sent", where, location, size, expected)
            raise BlobDataDamaged()

    def _lease_for_reading(
        self, store: BlobStore, location: str, artifact_type: ArtifactType, artifact: dict,
        spec: FieldSpec, blob_key: str | None,
    ) -> int | None:
        """A reader lease on the blob's data for stores whose reads stop when it is deleted
        (None for the others): replacing or deleting the blob then waits for this download.
        """
        readers = self.janitor.readers
        if readers is None or store.readers_survive_delete:
            return None
        lease = readers.take(location)
        # Replaced or deleted before the lease was taken: the data may be gone already.
        current = self.ctx.find(artifact["id"], artifact_type)
        current_blob = None
        if current is not None and current["status"] != "deleted":
            current_blob = blob_at(self.liveness.read_view(artifact_type, current), spec,
                                   blob_key)
        if current_blob is None or current_blob.get("location") != location:
            readers.give_back(lease)
            raise Conflict("The blob was replaced or deleted as its download started; retry")
        return lease

    def _done_reading(self, location: str, lease: int | None) -> None:
        """Give the lease back; the last reader of data already discarded deletes it."""
        readers = self.janitor.readers
        if lease is None or readers is None:
            return
        try:
            readers.give_back(lease)
        except Exception:
            log.exception("cannot give back the reader lease of %s; it expires", location)
            return
        self.janitor.delete_queued(location)


def _close(data: Iterable[bytes]) -> None:
    """Close data a store opened for reading (an open file, a Swift response)."""
    close = getattr(data, "close", None)
    if close is not None:
        close()


def _verified(data: Iterable[bytes], blob: Mapping[str, Any]) -> Iterator[bytes]:
    """Recompute SHA-256 while sending. The last chunk is held back until the digest is
    known, so on a mismatch the response ends short and the client sees the failure."""
    digest = hashlib.sha256()
    held: bytes | None = None
    for chunk in data:
        digest.update(chunk)
        if held is not None:
            yield held
        held = chunk
    expected = blob.get("sha256")
    if expected and digest.hexdigest() != expected:
        log.error("checksum mismatch reading %s", blob.get("location"))
        raise BlobWriteError("The stored data does not match its checksum", status=500)
    if held is not None:
        yield held
