"""``Engine``: every engine service of one application, as the composition root
(``glare_core.assembly``) wired them. The API's views and the management commands reach
the engine through it."""

from __future__ import annotations

from dataclasses import dataclass

from glare_core.engine.artifacts import ArtifactService
from glare_core.engine.context import EngineContext
from glare_core.engine.downloads import DownloadService
from glare_core.engine.janitor import BlobJanitor
from glare_core.engine.liveness import UploadLiveness
from glare_core.engine.locations import LocationService
from glare_core.engine.quota_admin import QuotaAdmin
from glare_core.engine.reads import ArtifactReader
from glare_core.engine.type_catalog import TypeCatalog
from glare_core.engine.uploads import UploadService


@dataclass(frozen=True)
class Engine:
    context: EngineContext
    reader: ArtifactReader
    artifacts: ArtifactService
    uploads: UploadService
    downloads: DownloadService
    locations: LocationService
    janitor: BlobJanitor
    liveness: UploadLiveness
    quota_admin: QuotaAdmin
    catalog: TypeCatalog
