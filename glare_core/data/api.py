"""The DataAPI interface: how the engine stores and finds artifact metadata.

The engine is the only caller. A data API stores artifacts of one or more types; each
record is a plain dict holding every field of the type plus ``type_name`` and
``revision`` (an integer that changes on every write, for optimistic concurrency).
Values are already coerced and validated; a data API never enforces lifecycle rules,
visibility or policy beyond what a query asks for.

A plugin that brings its own storage implements this class and returns it from its type's
``data_api_factory``; it must pass the contract suite in ``glare_core.testing``.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import Any

from glare_core.data.query import ListQuery, ListResult

#: Semantic versioning like the plugin API's: 1.1 added ``check_types`` (with a default).
DATA_API_VERSION = "1.1"


class DataAPI(abc.ABC):
    """Storage of artifact metadata (not blob bytes)."""

    @abc.abstractmethod
    def create(self, type_name: str, values: Mapping[str, Any]) -> dict[str, Any]:
        """Insert a new artifact; ``values`` holds every field. Return the stored record.

        Raise ``glare_core.errors.Conflict`` if the name/version scope is taken.
        """

    @abc.abstractmethod
    def get(self, artifact_id: str) -> dict[str, Any] | None:
        """Return the record with that id (of any type this API stores), or None."""

    @abc.abstractmethod
    def update(
        self, artifact_id: str, changes: Mapping[str, Any], *, revision: int
    ) -> dict[str, Any]:
        """Write ``changes`` (field → new value) if the record is still at ``revision``.

        Return the new record. Raise ``Conflict`` when the revision moved on (someone else
        wrote in between) or the name/version scope is taken; ``ArtifactNotFound`` when
        the record is gone.
        """

    @abc.abstractmethod
    def delete(self, artifact_id: str) -> None:
        """Remove the record and everything stored with it (no error if it is gone)."""

    @abc.abstractmethod
    def list(self, query: ListQuery) -> ListResult:
        """Return one page of records matching ``query`` and the total number of matches."""

    @abc.abstractmethod
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
        """True if another non-deleted artifact holds this name/version scope.

        Private scope: same type, name, version, ``owner`` and visibility private.
        Public scope (``owner`` None): same type, name, version among public artifacts.
        """

    # ---- usage (quotas) -----------------------------------------------------------

    @abc.abstractmethod
    def count_artifacts(self, owner: str, type_names: tuple[str, ...]) -> int:
        """Artifacts of these types owned by ``owner``, in any status (deleted included)."""

    @abc.abstractmethod
    def uploaded_bytes(
        self,
        owner: str,
        type_names: tuple[str, ...],
        exclude: tuple[str, str, str | None] | None = None,
    ) -> int:
        """Sum of blob sizes (saving blobs count their reserved size; locations count 0) of
        ``owner``'s artifacts of these types, without the blob ``exclude`` names as
        (artifact id, field name, folder key or None)."""

    # ---- blobs --------------------------------------------------------------------

    @abc.abstractmethod
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
        """Create, replace (``blob``) or remove (None) one blob record.

        A blob is a dict with ``url, size, md5, sha1, sha256, external, status,
        content_type, location, previous``; records returned by ``get`` carry it under the
        field name (folders: a dict key → blob) plus its ``updated_at``. Every call also
        moves the artifact to a new revision and, with ``touch``, refreshes the artifact's
        ``updated_at`` (an upload's temporary states and its rollback do not). With
        ``expect_status``, only act if the current record has that status (or, for
        ``"absent"``, if there is none), else raise ``Conflict``.
        """

    @abc.abstractmethod
    def artifacts_with_saving_blobs(self, type_name: str) -> list[dict[str, Any]]:
        """Records of ``type_name`` that have at least one blob in status ``saving``."""

    @abc.abstractmethod
    def touch_blob(self, artifact_id: str, field_name: str, blob_key: str | None) -> None:
        """Refresh the blob record's ``updated_at`` (heartbeat of a running upload).

        Called on a timer from a helper thread of the upload, so concurrently with the
        other calls the upload makes; it must not move the artifact to a new revision.
        """

    def check_types(self, type_names: tuple[str, ...]) -> None:  # noqa: B027 (optional)
        """Called at start-up with the types this data API will store: raise
        ``glare_core.errors.StartupError`` if it cannot store one (e.g. a table column that
        is no field of the type). The default accepts every type."""

    def close(self) -> None:  # noqa: B027 (optional hook, deliberately not abstract)
        """Release resources (connections); called when the app shuts down."""
