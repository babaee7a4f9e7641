"""Upload liveness: when a ``saving`` blob counts as abandoned, and what readers see then.

A live upload's heartbeat refreshes its blob record at least three times per
``stale_after``; a record silent for longer belongs to an upload that died with its
server. Such an upload stays dead: a heartbeat never revives a stale record and an upload
found stale as it finishes fails, so readers may be shown at once what its recovery will
leave (``read_view``), without writing anything.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from glare_core.data.ports import Clock
from glare_core.engine.blob_paths import has_saving_blobs
from glare_core.types.base import ArtifactType


@dataclass(frozen=True)
class BlobSettings:
    stale_after: float = 300.0
    verify_on_read: bool = False

    @property
    def heartbeat_every(self) -> float:
        """How often a live upload marks its record fresh: at least three times per
        ``stale_after``, so that a live upload never looks abandoned."""
        return min(30.0, self.stale_after / 3)


class UploadLiveness:
    """Shared by every blob operation: one place holds the settings (tests replace them)."""

    def __init__(self, settings: BlobSettings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock

    def is_abandoned(self, blob: Mapping[str, Any]) -> bool:
        """The blob record had no heartbeat for ``stale_after`` seconds."""
        updated = blob.get("updated_at")
        if updated is None:
            return False
        return self.clock() - updated > dt.timedelta(seconds=self.settings.stale_after)

    def still_abandoned(self, blob: Mapping[str, Any]) -> bool:
        """A ``saving`` blob whose upload died with its server."""
        return blob.get("status") == "saving" and self.is_abandoned(blob)

    def read_view(self, artifact_type: ArtifactType, artifact: dict[str, Any]) -> dict[str, Any]:
        """``artifact`` as readers see it: a blob or folder entry whose upload died with its
        server shows the blob that upload was replacing, or no blob if there was none,
        exactly as its recovery will leave it.

        Reads only present this; they never recover. A GET (of an artifact, a list page,
        a blob) stays a read: it takes no lock, writes nothing and deletes no store data,
        and it answers the same in every process, since the view depends only on the
        record and the clock (servers' clocks must agree to well within ``stale_after``).
        The next write to the artifact, or the scrubber, recovers for real and changes
        nothing a reader saw. The revision counts the recoveries to come (each one bumps
        it once), so the artifact's ETag names what is shown: it differs from the
        ``saving`` view's, and it is the one the recovered record has.
        """
        if not has_saving_blobs(artifact_type, artifact):
            return artifact
        view, recoveries = dict(artifact), 0
        for name, spec in artifact_type.blob_fields.items():
            value = artifact.get(name)
            if spec.is_folder:
                folder = {}
                for key, blob in (value or {}).items():
                    if blob and self.still_abandoned(blob):
                        recoveries += 1
                        if blob.get("previous") is None:
                            continue
                        blob = blob["previous"]
                    folder[key] = blob
                view[name] = folder
            elif value and self.still_abandoned(value):
                recoveries += 1
                view[name] = value.get("previous")
        if not recoveries:
            return artifact
        view["revision"] = artifact["revision"] + recoveries
        return view
