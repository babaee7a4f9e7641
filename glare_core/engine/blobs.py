"""``BlobService``: upload, download, locations and removal of blob data (contract §7.7-§7.10).

An upload has three phases so that no lock is held while data streams:

1. under the artifact lock: checks, then the blob record is marked ``saving`` (the replaced
   blob, if any, is kept in the record's ``previous`` so a failure can restore it);
2. without the lock: the body streams through the pre-upload hook and a hashing, size-
   limiting wrapper into the store; a heartbeat thread keeps the record fresh
   (``heartbeat``), and an upload of unknown size grows its share of a folder or quota
   as its data arrives (``reservation``);
3. under the lock again: the record becomes ``active`` with size and checksums; only then
   is the replaced data deleted.

Any failure in 2-3 restores the previous record (unless another upload has taken the blob
over meanwhile) and removes the new data; data that cannot
be removed right away (store down) goes to the garbage queue, which the scrubber empties.
A ``saving`` record without heartbeat for ``stale_after`` seconds is an abandoned upload
(a crashed server) and is recovered the same way.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import functools
import hashlib
import logging
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from werkzeug.urls import iri_to_uri

from glare_core.auth.context import RequestContext
from glare_core.blobs.base import BlobStore, BlobWriteError
from glare_core.blobs.pipeline import write_behind
from glare_core.blobs.registry import StoreRegistry
from glare_core.blobs.streams import DIGEST_HEX_LENGTHS, LeasedChunks, MeteredStream
from glare_core.data.database import utcnow
from glare_core.data.sql.garbage import GarbageQueue
from glare_core.data.sql.reader_leases import ReaderLeases
from glare_core.engine import access
from glare_core.engine.heartbeat import Heartbeat
from glare_core.engine.hooks import artifact_payload
from glare_core.engine.locking import artifact_lock_key
from glare_core.engine.patch import check_change_allowed
from glare_core.engine.reservation import FIRST_RESERVATION, next_reservation
from glare_core.engine.service import ArtifactService
from glare_core.errors import (
    ArtifactNotFound,
    BadRequest,
    BlobDataDamaged,
    BlobNotFound,
    Conflict,
    Forbidden,
    GlareError,
    NotFound,
    RequestTooLarge,
)
from glare_core.types.base import ArtifactType
from glare_core.types.fields import unstorable_text
from glare_core.types.spec import FieldSpec

log = logging.getLogger(__name__)

MAX_URL_LENGTH = 2048
URL_FORBIDDEN = re.compile(r"[\x00-\x20\x7f]")
MAX_CONTENT_TYPE_LENGTH = 255
# type "/" subtype, each an HTTP token (RFC 9110 §8.3.1): what the download sends back.
MEDIA_TYPE_SYNTAX = re.compile(r"[!#$%&'*+.^_`|~0-9a-z-]+/[!#$%&'*+.^_`|~0-9a-z-]+",
                               re.IGNORECASE)
FINISH_LOCK_WAIT = 30.0

# What undoing an upload found (BlobService._put_back).
RESTORED, GONE, TAKEN_OVER = "restored", "gone", "taken over"


@dataclass(frozen=True)
class BlobSettings:
    stale_after: float = 300.0
    verify_on_read: bool = False

    @property
    def heartbeat_every(self) -> float:
        """How often a live upload marks its record fresh: at least three times per
        ``stale_after``, so that a live upload never looks abandoned."""
        return min(30.0, self.stale_after / 3)


class BlobTarget(NamedTuple):
    artifact_type: ArtifactType
    data_api: Any
    record: dict[str, Any]
    spec: FieldSpec


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


def resolve_target(artifact_type: Any, field_name: str, blob_key: str | None) -> FieldSpec:
    """The blob or folder field a blob path names (400 when it names anything else)."""
    spec = artifact_type.fields.get(field_name)
    if spec is None or not spec.is_blob:
        raise BadRequest(f"Artifact type {artifact_type.type_name} has no blob field "
                         f"'{field_name}'")
    if blob_key is None and spec.kind != "Blob":
        raise BadRequest(f"'{field_name}' is a folder: name a key (/{field_name}/<key>)")
    if blob_key is not None and spec.kind != "Folder":
        raise BadRequest(f"'{field_name}' is a single blob: it has no keys")
    if blob_key is not None:
        max_length = spec.field.max_key_length  # type: ignore[attr-defined]
        if not 1 <= len(blob_key) <= max_length:
            raise BadRequest(f"Folder keys must be 1 to {max_length} characters long")
        if problem := unstorable_text(blob_key):
            raise BadRequest(f"Invalid folder key: {problem}")
    return spec


def check_external_url(url: str) -> None:
    """An external location is sent back as the ``Location`` of a 301, so it must be an
    http(s) URL that parses, with a host: a port that is not a number, an unclosed
    ``[`` or a missing host would otherwise fail every later download of the blob. The
    contract asks for a URL that starts with ``http``; the scheme is compared as a scheme
    (case-insensitively, and ``httpx:`` or ``https-evil:`` are not http)."""
    scheme, colon, _ = url.partition(":")
    if not colon or scheme.lower() not in ("http", "https"):
        raise BadRequest("An external location must be an http(s) URL")
    if "\\" in url:
        raise BadRequest("A location URL must not contain backslashes")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsing the port is the check
        iri_to_uri(url)  # how the Location header will be built
    except ValueError as exc:
        raise BadRequest(f"Malformed location URL: {exc}") from None
    if not parts.hostname:
        raise BadRequest("An external location URL must name a host (http://host/...)")


def check_content_type(content_type: str) -> None:
    """The blob's content type is stored and sent back as the download's Content-Type: a
    ``type/subtype`` of at most 255 characters (the database column), or 400."""
    if len(content_type) > MAX_CONTENT_TYPE_LENGTH:
        raise BadRequest(f"The content type may be at most {MAX_CONTENT_TYPE_LENGTH} "
                         "characters long")
    if not MEDIA_TYPE_SYNTAX.fullmatch(content_type):
        raise BadRequest(f"Content-Type {content_type!r} is not a media type "
                         "(type/subtype, e.g. application/octet-stream)")


def blob_at(record: Mapping[str, Any], spec: FieldSpec, blob_key: str | None) -> dict | None:
    value = record.get(spec.name)
    if spec.kind == "Folder":
        return (value or {}).get(blob_key)
    return value


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


class BlobService:
    def __init__(
        self,
        *,
        service: ArtifactService,
        stores: StoreRegistry,
        garbage: GarbageQueue,
        choose_store: Callable[[ArtifactType, str], BlobStore],
        pm: Any,
        settings: BlobSettings,
        readers: ReaderLeases | None = None,
    ) -> None:
        self.service = service
        self.stores = stores
        self.garbage = garbage
        self.choose_store = choose_store
        self.pm = pm
        self.settings = settings
        self.readers = readers

    # ---- upload ---------------------------------------------------------------------

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
        with self._locked_target(context, type_name, artifact_id, field_name, blob_key,
                                 "artifact:upload") as target:
            artifact_type, data_api, record, spec = target
            previous, abandoned = self._usable_current(record, spec, blob_key)
            check_change_allowed(artifact_type, record, field_name, blob_api=True)
            store = self.choose_store(artifact_type, field_name)
            location = store.location_for(uuid.uuid4().hex, namespace=type_name)
            # §21: the caller's own project's data quota applies (the owner's, for every
            # caller but an admin writing into another project's artifact).
            quota_project = context.project_id or record["owner"]
            with self.service.quotas.data_guard(quota_project, type_name):
                allowance = self._room_for(artifact_type, record, spec, blob_key,
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
            self._delete_queued(abandoned)
        lock_key = artifact_lock_key(type_name, artifact_id)
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
            with Heartbeat(beat, self.settings.heartbeat_every):
                stored, checksums = self._stream(
                    context, artifact_type, record, spec, blob_key, body, store, location,
                    limit=limit, why=why, content_length=content_length, changes=changes,
                    reserved=reserved, reserve=reserve,
                )
                # Field values the upload hooks derived from the data (e.g. a package
                # manifest), validated before anything is committed.
                field_changes = self.service.coerce_hook_changes(artifact_type, changes)
                with self.service.locker.hold(lock_key, wait=FINISH_LOCK_WAIT):
                    self._check_still_ours(data_api, artifact_id, spec, blob_key, location)
                    data_api.set_blob(artifact_id, field_name, blob_key, {
                        "status": "active", "external": False, "size": stored,
                        "content_type": content_type, "location": location,
                        "previous": None, **checksums,
                    })
                    if field_changes:
                        current = data_api.get(artifact_id)
                        data_api.update(artifact_id,
                                        {**field_changes, "updated_at": utcnow()},
                                        revision=current["revision"])
                    saved = self.service.find(artifact_id, artifact_type)
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
            self.discard(previous["location"], "replaced by a new upload")
        assert saved is not None
        self._call_post("glare_blob_post_upload", artifact_type, saved, field_name, blob_key,
                   context)
        self.service.hooks.notify("upload", artifact_payload(type_name, saved), context)
        return saved

    def _stream(
        self, context: RequestContext, artifact_type: ArtifactType, record: dict,
        spec: FieldSpec, blob_key: str | None, body: Iterable[bytes], store: BlobStore,
        location: str, *, limit: int, why: str, content_length: int | None,
        changes: dict[str, Any], reserved: int, reserve: Callable[[int], int] | None,
    ) -> tuple[int, dict[str, str]]:
        """Run the body through the pre-upload hooks, the meter and into the store;
        returns the stored size and the three checksums."""
        try:
            replaced = self._chain(
                "glare_blob_pre_upload", "stream", body, artifact_type=artifact_type,
                artifact=copy.deepcopy(record), field_name=spec.name, blob_key=blob_key,
                changes=changes, context=context,
            )
        except GlareError:
            raise
        except Exception as exc:
            raise BadRequest(f"The upload was refused: {exc}") from None
        if replaced is body:
            replaced = None
        size_hint = content_length if replaced is None else None
        by_store = frozenset(store.digests_while_writing(size_hint) & DIGEST_HEX_LENGTHS.keys())
        metered = MeteredStream(
            _hook_errors_as_400(replaced if replaced is not None else body),
            limit=limit,
            limit_message=why,
            skip_digests=by_store,
            reserved=reserved,
            reserve=reserve,
        )
        stored = write_behind(
            lambda chunks: store.write(location, chunks, size=size_hint), metered
        )
        checksums = {**metered.checksums,
                     **{name: stored.checksums.get(name, "") for name in by_store}}
        broken = sorted(name for name in by_store if not _is_hex_digest(name, checksums[name]))
        if broken:
            raise BlobWriteError(
                f"The {store.name} store did not return the {', '.join(broken)} it promised")
        return stored.size, checksums

    def _roll_back(
        self, type_name: str, data_api: Any, artifact_id: str, spec: FieldSpec,
        blob_key: str | None, location: str, previous: dict | None, exc: BaseException,
    ) -> str | None:
        """Undo a failed upload: previous record back, new data gone (or queued). Returns
        what ``_put_back`` found (None if it could not look)."""
        for leftover in getattr(exc, "leftover", ()) or ():
            self.garbage.add(leftover, "left by a failed upload")
        outcome = None
        try:
            outcome = self._put_back(type_name, data_api, artifact_id, spec.name, blob_key,
                                     location, previous)
        except Exception:
            log.exception("cannot restore blob %s/%s of %s", spec.name, blob_key, artifact_id)
        self.discard(location, "left by a failed upload")
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
        with self.service.locker.hold(artifact_lock_key(type_name, artifact_id),
                                      wait=FINISH_LOCK_WAIT):
            record = data_api.get(artifact_id)
            if record is None:
                return GONE
            # a delete (kept for the scrubber) may have undone this upload already
            gone = record.get("status") == "deleted"
            value = record.get(field_name)
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
        record = data_api.get(artifact_id)
        if record is None or record["status"] == "deleted":
            raise ArtifactNotFound("The artifact was deleted during the upload")
        current = blob_at(record, spec, blob_key)
        if current is None or current.get("location") != location:
            raise Conflict("The blob was changed by another request during the upload")
        if self._is_abandoned(current):
            # Readers have been shown the blob it replaces, as its recovery will leave
            # it: a dead upload stays dead (read_view).
            raise Conflict("This upload was silent for longer than upload_stale_after and "
                           "was taken for dead; upload again")
        return record

    def _beat(self, data_api: Any, artifact_id: str, spec: FieldSpec, blob_key: str | None,
              location: str) -> None:
        """The heartbeat of the upload writing to ``location``: mark its record fresh,
        unless the blob is no longer its own or it was already taken for dead (a server
        that froze for ``stale_after``): reviving it would take back from readers the
        previous blob they were shown (read_view); the upload then fails as it ends."""
        record = data_api.get(artifact_id)
        current = blob_at(record, spec, blob_key) if record is not None else None
        if current is None or current.get("location") != location:
            return
        if self._is_abandoned(current):
            return
        data_api.touch_blob(artifact_id, spec.name, blob_key)

    def _grow_reservation(
        self, artifact_type: ArtifactType, data_api: Any, artifact_id: str, spec: FieldSpec,
        blob_key: str | None, saving: dict[str, Any], quota_project: str, needed: int,
    ) -> int:
        """Reserve room for ``needed`` bytes and a step more, checked against the folder
        and the quota as they are now; returns the new reservation (413 if no room)."""
        type_name = artifact_type.type_name
        with self.service.locker.hold(artifact_lock_key(type_name, artifact_id),
                                      wait=FINISH_LOCK_WAIT):
            record = self._check_still_ours(data_api, artifact_id, spec, blob_key,
                                            saving["location"])
            with self.service.quotas.data_guard(quota_project, type_name):
                allowance = self._room_for(artifact_type, record, spec, blob_key, needed,
                                           quota_project)
                reserved = max(next_reservation(needed, allowance.limit),
                               restorable_size(saving["previous"]))
                data_api.set_blob(artifact_id, spec.name, blob_key,
                                  {**saving, "size": reserved}, touch=False)
        return reserved

    def _usable_current(
        self, record: dict, spec: FieldSpec, blob_key: str | None
    ) -> tuple[dict | None, str | None]:
        """The blob being replaced, and the location of an abandoned upload's data to
        delete (queued here, under the lock; deleted once the lock is released); 409
        while another upload to the blob is alive."""
        current = blob_at(record, spec, blob_key)
        if current is None or current.get("status") != "saving":
            return current, None
        if not self._is_abandoned(current):
            raise Conflict("Another upload to this blob is in progress")
        # A crashed upload: its data goes, and what it was replacing is replaced now.
        abandoned = current.get("location")
        if abandoned:
            self.garbage.add(abandoned, "abandoned upload")
        return current.get("previous"), abandoned

    # ---- reads of uploads that died ------------------------------------------------

    def read_view(self, artifact_type: ArtifactType, record: dict[str, Any]) -> dict[str, Any]:
        """``record`` as readers see it: a blob or folder entry whose upload died with its
        server (``saving``, silent for ``stale_after``) shows the blob that upload was
        replacing, or no blob if there was none, exactly as its recovery will leave it.

        Reads only present this; they never recover. A GET (of an artifact, a list page,
        a blob) stays a read: it takes no lock, so it never waits for a writer or delays
        one, it writes nothing to the database nor deletes store data (a list page could
        otherwise hold dozens of recoveries, and anonymous readers could trigger them), and
        it answers the same in every process, since the view depends only on the record
        and the clock (servers' clocks must agree to well within ``stale_after``). The
        next write to the artifact, or the scrubber, recovers for real and changes nothing
        a reader saw. This holds because a dead upload stays dead: a live one's heartbeat
        (which runs until its blob is active) keeps it fresh, a heartbeat never revives a
        stale record, and an upload found stale as it finishes fails (``_beat``,
        ``_check_still_ours``). The revision counts the recoveries to
        come (each one bumps it once), so the artifact's ETag names what is shown: it
        differs from the ``saving`` view's, and it is the one the recovered record has.
        """
        if not self.service.has_saving_blobs(artifact_type, record):
            return record
        view, recoveries = dict(record), 0
        for name, spec in artifact_type.blob_fields.items():
            value = record.get(name)
            if spec.kind == "Folder":
                folder = {}
                for key, blob in (value or {}).items():
                    if blob and self._still_abandoned(blob):
                        recoveries += 1
                        if blob.get("previous") is None:
                            continue
                        blob = blob["previous"]
                    folder[key] = blob
                view[name] = folder
            elif value and self._still_abandoned(value):
                recoveries += 1
                view[name] = value.get("previous")
        if not recoveries:
            return record
        view["revision"] = record["revision"] + recoveries
        return view

    def _still_abandoned(self, blob: Mapping[str, Any]) -> bool:
        return blob.get("status") == "saving" and self._is_abandoned(blob)

    def _is_abandoned(self, blob: Mapping[str, Any]) -> bool:
        updated = blob.get("updated_at")
        if updated is None:
            return False
        return utcnow() - updated > dt.timedelta(seconds=self.settings.stale_after)

    def _allowed_size(
        self, artifact_type: ArtifactType, record: dict, spec: FieldSpec, blob_key: str | None,
        quota_project: str,
    ) -> Allowance:
        """The most bytes this upload may store, and the message when it stores more
        (``quota_project``: the project whose data quota applies)."""
        field = spec.field
        limit = spec.max_blob_size
        assert limit is not None  # resolve_target only accepts blob fields
        why = blob_limit_message(spec)
        if spec.kind == "Folder":
            folder = record.get(spec.name) or {}
            if blob_key not in folder and len(folder) >= field.max_keys:  # type: ignore[attr-defined]
                raise BadRequest(f"Folder '{spec.name}' already holds the maximum of "
                                 f"{field.max_keys} entries")  # type: ignore[attr-defined]
            used = sum(
                (blob.get("size") or 0) for key, blob in folder.items() if key != blob_key
            )
            left = max(0, field.max_folder_size - used)  # type: ignore[attr-defined]
            if left < limit:
                limit = left
                capacity = field.max_folder_size  # type: ignore[attr-defined]
                why = (f"Folder '{spec.name}' has only {left} bytes left of {capacity} "
                       f"(its other entries hold {used})")
        quota = self.service.quotas.data_allowance(
            quota_project, artifact_type.type_name, exclude=(record["id"], spec.name, blob_key)
        )
        by_quota = False
        if quota is not None and quota[0] < limit:
            (limit, why), by_quota = quota, True
        return Allowance(limit, why, shared=spec.kind == "Folder" or quota is not None,
                         by_quota=by_quota)

    def _room_for(
        self, artifact_type: ArtifactType, record: dict, spec: FieldSpec, blob_key: str | None,
        needed: int, quota_project: str,
    ) -> Allowance:
        """The allowance, after undoing the project's dead uploads if only they stand in
        the way (the caller holds the artifact and quota locks); 413 if ``needed`` does not
        fit even then."""
        allowance = self._allowed_size(artifact_type, record, spec, blob_key, quota_project)
        if needed > allowance.limit and allowance.by_quota and self.recover_abandoned_uploads(
                owner=quota_project, skip=record["id"], lock_wait=0):
            allowance = self._allowed_size(artifact_type, record, spec, blob_key, quota_project)
        if needed > allowance.limit:
            raise RequestTooLarge(allowance.why)
        return allowance

    # ---- locations ------------------------------------------------------------------

    def add_location(
        self,
        context: RequestContext,
        type_name: str,
        artifact_id: str,
        field_name: str,
        blob_key: str | None,
        body: Any,
    ) -> dict[str, Any]:
        """Attach an external URL or an internal store location to a blob (no data copy)."""
        url, internal, checksums = self._parse_location_body(body)
        action = "artifact:set_internal_location" if internal else "artifact:set_location"
        with self._locked_target(context, type_name, artifact_id, field_name, blob_key,
                                 action) as target:
            artifact_type, data_api, record, spec = target
            if blob_at(record, spec, blob_key) is not None:
                raise Conflict("This blob already has data or a location")
            check_change_allowed(artifact_type, record, field_name, blob_api=True)
            if spec.kind == "Folder":
                folder = record.get(spec.name) or {}
                if len(folder) >= spec.field.max_keys:  # type: ignore[attr-defined]
                    raise BadRequest(f"Folder '{spec.name}' is full")
            self._call("glare_blob_pre_add_location", artifact_type, record, field_name,
                       blob_key, context, url=url)
            data_api.set_blob(artifact_id, field_name, blob_key, {
                "status": "active", "external": not internal, "size": None,
                "content_type": None, "url": None if internal else url,
                "location": url if internal else None, "previous": None, **checksums,
            })
            saved = self.service.find(artifact_id, artifact_type)
        assert saved is not None
        self._call_post("glare_blob_post_add_location", artifact_type, saved, field_name,
                        blob_key,
                   context)
        event = "set_internal_location" if internal else "set_location"
        self.service.hooks.notify(event, artifact_payload(type_name, saved), context)
        return saved

    def _parse_location_body(self, body: Any) -> tuple[str, bool, dict[str, Any]]:
        if not isinstance(body, dict):
            raise BadRequest("A location body must be a JSON object")
        url = body.get("url")
        if not isinstance(url, str) or not url:
            raise BadRequest("A location needs a 'url'")
        if len(url) > MAX_URL_LENGTH:
            raise BadRequest(f"A location URL may be at most {MAX_URL_LENGTH} characters")
        if URL_FORBIDDEN.search(url):
            # It goes back out in a Location header, where a line break would end the header.
            raise BadRequest("A location URL must not contain spaces or control characters")
        location_type = body.get("location_type", "external")
        if location_type not in ("external", "internal"):
            raise BadRequest("location_type must be 'external' or 'internal'")
        checksums = {}
        for name in ("md5", "sha1", "sha256"):
            value = body.get(name)
            if value is not None and not isinstance(value, str):
                raise BadRequest(f"'{name}' must be a string")
            if value is not None and len(value) > DIGEST_HEX_LENGTHS[name]:
                raise BadRequest(f"'{name}' may be at most {DIGEST_HEX_LENGTHS[name]} characters "
                                 "long (a hex digest)")
            checksums[name] = value
        if location_type == "external":
            check_external_url(url)
            if not checksums["md5"]:
                raise BadRequest("An external location needs its 'md5' checksum")
            return url, False, checksums
        self.stores.check_internal_location(url)
        return url, True, checksums

    def delete_location(
        self,
        context: RequestContext,
        type_name: str,
        artifact_id: str,
        field_name: str,
        blob_key: str | None,
    ) -> dict[str, Any]:
        """Remove a blob that is an external location (uploaded data cannot be removed)."""
        with self._locked_target(context, type_name, artifact_id, field_name, blob_key,
                                 "artifact:delete_blob") as target:
            artifact_type, data_api, record, spec = target
            blob = blob_at(record, spec, blob_key)
            if blob is None:
                raise NotFound("There is no blob here")
            if not blob.get("external"):
                raise Forbidden("Only external locations can be deleted; uploaded data stays")
            check_change_allowed(artifact_type, record, field_name, blob_api=True)
            data_api.set_blob(artifact_id, field_name, blob_key, None)
            saved = self.service.find(artifact_id, artifact_type)
        assert saved is not None
        self.service.hooks.notify("delete_blob", artifact_payload(type_name, saved), context)
        return saved

    # ---- download -------------------------------------------------------------------

    def download(
        self,
        context: RequestContext,
        type_name: str,
        artifact_id: str,
        field_name: str,
        blob_key: str | None,
    ) -> Download:
        """Check access and return how to serve the blob (open it lazily, by range)."""
        artifact_type = self.service.registry.resolve(type_name)
        policy = self.service.policy
        see_all = policy.check("artifact:download_from_any_artifact", {}, context)
        record = self.service.find(artifact_id, artifact_type)
        access.require_visible(context, record, see_all=see_all)
        assert record is not None
        # §7.9's order: who may read (403) before what is read (400).
        if not see_all:
            policy.authorize("artifact:download", record, context)
        if record["status"] == "deleted":
            raise Forbidden("A deleted artifact cannot be downloaded")
        spec = resolve_target(artifact_type, field_name, blob_key)
        record = self.read_view(artifact_type, record)
        blob = blob_at(record, spec, blob_key)
        if blob is None:
            raise NotFound("No data was uploaded here")
        if blob["status"] == "saving":
            raise Conflict("The blob is being uploaded; retry later")
        self._call("glare_blob_pre_download", artifact_type, record, field_name, blob_key,
                   context)
        if blob.get("external"):
            return Download(artifact_type, record, field_name, blob_key, blob, blob["url"])
        location = blob["location"]
        store = self.stores.for_location(location)
        where = f"{type_name} {artifact_id}, field {field_name}" + (
            f", key {blob_key!r}" if blob_key is not None else "")

        def open_range(offset: int, length: int | None) -> Iterable[bytes]:
            lease = self._lease_for_reading(store, location, artifact_type, record, spec,
                                            blob_key)
            try:
                data = store.read(location, offset=offset, length=length)
                try:
                    self._check_stored_size(store, blob, where, data)
                except BaseException:
                    _close(data)
                    raise
                if self.settings.verify_on_read and offset == 0 and length is None:
                    data = _verified(data, blob)
                try:
                    wrapped = self._chain(
                        "glare_blob_post_download", "data", data, artifact_type=artifact_type,
                        artifact=copy.deepcopy(record), field_name=field_name,
                        blob_key=blob_key, context=context,
                    )
                except GlareError:
                    raise
                except Exception as exc:
                    raise BadRequest(f"The download was refused: {exc}") from None
                chunks = _hook_errors_as_400(wrapped) if wrapped is not data else data
            except BaseException:
                self._done_reading(location, lease)
                raise
            if lease is None:
                return chunks
            assert self.readers is not None
            return LeasedChunks(chunks, renew=lambda: self.readers.renew(lease),
                                renew_every=self.readers.ttl / 3,
                                on_close=lambda: self._done_reading(location, lease))

        return Download(artifact_type, record, field_name, blob_key, blob, None, open_range,
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
        self, store: BlobStore, location: str, artifact_type: ArtifactType, record: dict,
        spec: FieldSpec, blob_key: str | None,
    ) -> int | None:
        """A reader lease on the blob's data for stores whose reads stop when it is deleted
        (None for the others): replacing or deleting the blob then waits for this download.
        """
        if self.readers is None or store.readers_survive_delete:
            return None
        lease = self.readers.take(location)
        # Replaced or deleted before the lease was taken: the data may be gone already.
        current = self.service.find(record["id"], artifact_type)
        current_blob = None
        if current is not None and current["status"] != "deleted":
            current_blob = blob_at(self.read_view(artifact_type, current), spec, blob_key)
        if current_blob is None or current_blob.get("location") != location:
            self.readers.give_back(lease)
            raise Conflict("The blob was replaced or deleted as its download started; retry")
        return lease

    def _done_reading(self, location: str, lease: int | None) -> None:
        """Give the lease back; the last reader of data already discarded deletes it."""
        if lease is None or self.readers is None:
            return
        try:
            self.readers.give_back(lease)
        except Exception:
            log.exception("cannot give back the reader lease of %s; it expires", location)
            return
        self._delete_queued(location)

    def _delete_queued(self, location: str) -> None:
        """Delete data queued in the garbage queue now, with its queue entries, unless a
        download still reads it; on failure the scrubber retries."""
        try:
            store = self.stores.for_location(location)
            waiting = self.garbage.for_location(location)
            if not waiting or not store.writable or self._still_read(store, location):
                return
            store.delete(location)
            for item in waiting:
                self.garbage.done(item.id)
        except Exception:
            log.exception("cannot delete %s now; the scrubber will", location)

    def _still_read(self, store: BlobStore, location: str) -> bool:
        return (self.readers is not None and not store.readers_survive_delete
                and self.readers.held(location))

    # ---- removal --------------------------------------------------------------------

    def discard(self, location: str, reason: str) -> None:
        """Delete stored data now, or queue it: for the downloads still reading it (the
        last one deletes it), or for the scrubber if the store fails."""
        try:
            store = self.stores.for_location(location)
            if not store.writable:
                return
            if self._still_read(store, location):
                self.garbage.add(location, f"{reason}, after its downloads")
                return
            store.delete(location)
        except Exception as exc:
            log.warning("cannot delete %s now (%s); queued for the scrubber", location, exc)
            self.garbage.add(location, reason)

    def discard_artifact_blobs(self, artifact_type: ArtifactType, record: Mapping) -> None:
        """Delete the data of every non-external blob of an artifact being purged."""
        for name, spec in artifact_type.blob_fields.items():
            value = record.get(name)
            blobs = list((value or {}).values()) if spec.kind == "Folder" else [value]
            for blob in blobs:
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
                if self._still_read(store, item.location):
                    continue  # its last download deletes it (or its lease expires)
                if store.writable:
                    store.delete(item.location)
            except Exception as exc:
                self.garbage.failed(item.id, str(exc))
                continue
            self.garbage.done(item.id)
            removed += 1
        return removed

    def recover_abandoned_uploads(self, *, owner: str | None = None, skip: str | None = None,
                                  lock_wait: float | None = None) -> int:
        """Restore blobs whose upload died with their server (no heartbeat); return count.

        ``owner`` limits this to one project's artifacts and ``skip`` leaves one out. An
        artifact whose lock stays busy for ``lock_wait`` seconds (the locker's default when
        None) is left to the request holding it: every write undoes such uploads first.
        """
        recovered = 0
        service = self.service
        for type_name, artifact_type in service.registry.items():
            if not artifact_type.blob_fields:
                continue
            data_api = service.data_apis[type_name]
            for found in service.records_with_saving_blobs(type_name):
                if (owner is not None and found["owner"] != owner) or found["id"] == skip:
                    continue
                try:
                    with service.locker.hold(artifact_lock_key(type_name, found["id"]),
                                             wait=lock_wait):
                        # Read again under the lock: an upload may have beaten since.
                        record = data_api.get(found["id"])
                        if record is not None:
                            recovered += self.recover_abandoned_in(artifact_type, record)
                except Conflict:
                    continue
        return recovered

    def recover_abandoned_in(self, artifact_type: ArtifactType, record: Mapping[str, Any]) -> int:
        """Put back, in one artifact whose lock the caller holds, the blob every upload
        that died with its server (no heartbeat for ``stale_after``) was replacing, and
        discard what it wrote; return how many there were."""
        data_api = self.service.data_apis[artifact_type.type_name]
        recovered = 0
        for name, spec in artifact_type.blob_fields.items():
            value = record.get(name)
            items = list((value or {}).items()) if spec.kind == "Folder" else [(None, value)]
            for key, blob in items:
                if blob and self._still_abandoned(blob):
                    data_api.set_blob(record["id"], name, key, blob.get("previous"),
                                      touch=False)
                    if blob.get("location"):
                        self.discard(blob["location"], "abandoned upload")
                    recovered += 1
        return recovered

    # ---- helpers --------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked_target(
        self, context: RequestContext, type_name: str, artifact_id: str, field_name: str,
        blob_key: str | None, action: str,
    ) -> Iterator[BlobTarget]:
        """Under the artifact lock: load it for writing (undoing its uploads that died
        with their server), resolve the blob, authorize."""
        artifact_type = self._writable_type(type_name)
        with self.service.locker.hold(artifact_lock_key(type_name, artifact_id)):
            record = self.service.load_recovered(context, artifact_type, artifact_id)
            spec = resolve_target(artifact_type, field_name, blob_key)
            self._authorize_blob_write(context, record, action)
            yield BlobTarget(artifact_type, self.service.data_apis[type_name], record, spec)

    def _writable_type(self, type_name: str) -> ArtifactType:
        artifact_type = self.service.registry.resolve(type_name)
        if artifact_type.is_pseudo:
            raise Forbidden("The 'all' type is read-only")
        return artifact_type

    def _authorize_blob_write(self, context: RequestContext, record: dict, action: str) -> None:
        policy = self.service.policy
        policy.authorize(action, record, context)
        # Public artifacts are changed by admins only, blobs included (contract Q28).
        policy.authorize("artifact:update", record, context)

    def _chain(self, hook: str, name: str, value: Any, **kwargs: Any) -> Any:
        """Call every implementation in hook order, each on the previous one's result."""
        for impl in reversed(getattr(self.pm.hook, hook).get_hookimpls()):
            arguments = {**kwargs, name: value}
            result = impl.function(*(arguments[arg] for arg in impl.argnames))
            if result is not None:
                value = result
        return value

    def _call_post(self, hook: str, artifact_type: ArtifactType, record: dict,
                   field_name: str, blob_key: str | None, context: RequestContext) -> None:
        """Post-hooks run after the commit: their errors are logged, never returned."""
        try:
            self._call(hook, artifact_type, record, field_name, blob_key, context)
        except Exception:
            log.exception("%s failed for %s/%s of %s", hook, field_name, blob_key,
                          record.get("id"))

    def _call(self, hook: str, artifact_type: ArtifactType, record: dict, field_name: str,
              blob_key: str | None, context: RequestContext, **extra: Any) -> None:
        getattr(self.pm.hook, hook)(
            artifact_type=artifact_type, artifact=copy.deepcopy(record),
            field_name=field_name, blob_key=blob_key, context=context, **extra,
        )


def _hook_errors_as_400(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Errors of a hook's replacement stream: Glare errors keep their status, others → 400."""
    try:
        yield from chunks
    except GlareError:
        raise
    except (OSError, MemoryError):
        raise
    except Exception as exc:
        raise BadRequest(f"The blob data was refused: {exc}") from None


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


def _is_hex_digest(name: str, value: str) -> bool:
    return len(value) == DIGEST_HEX_LENGTHS[name] and all(c in "0123456789abcdef" for c in value)
