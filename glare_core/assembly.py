"""The engine's composition root: the only module that names the SQL implementations of
the engine's ports (``glare_core.data.ports``) and wires every engine service once, in
dependency order, with no callback set after construction."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from glare_core.auth.policy import Policy
from glare_core.blobs.registry import StoreRegistry
from glare_core.data.api import DataAPI
from glare_core.data.clock import utcnow
from glare_core.data.database import Database
from glare_core.data.sql.garbage import GarbageQueue
from glare_core.data.sql.locks import lock_store
from glare_core.data.sql.quotas import QuotaStore
from glare_core.data.sql.reader_leases import ReaderLeases
from glare_core.engine.allowance import UploadRoom
from glare_core.engine.artifacts import ArtifactService
from glare_core.engine.context import EngineContext, EngineSettings
from glare_core.engine.downloads import DownloadService
from glare_core.engine.hooks import EngineHooks
from glare_core.engine.janitor import BlobJanitor
from glare_core.engine.links import LinkChecker
from glare_core.engine.liveness import BlobSettings, UploadLiveness
from glare_core.engine.locations import LocationService
from glare_core.engine.locking import Locker
from glare_core.engine.quota_admin import QuotaAdmin
from glare_core.engine.quotas import QuotaService, QuotaSettings, Usage
from glare_core.engine.reads import ArtifactReader
from glare_core.engine.services import Engine
from glare_core.engine.session import Writes
from glare_core.engine.type_catalog import TypeCatalog
from glare_core.engine.uploads import StoreChooser, UploadService
from glare_core.plugins.manager import PluginInfo
from glare_core.plugins.runner import HookRunner
from glare_core.types.registry import TypeRegistry


def build_engine(
    settings: Mapping[str, Any], *, database: Database, registry: TypeRegistry,
    data_apis: Mapping[str, DataAPI], policy: Policy, hooks: HookRunner,
    stores: StoreRegistry, choose_store: StoreChooser, plugins: Sequence[PluginInfo],
    type_plugins: Mapping[str, str], schemas: Mapping[str, Any],
    clock: Callable[[], Any] = utcnow,
) -> Engine:
    """Every engine service of one application, over ``database`` (``GLARE_*`` settings)."""
    locker = Locker(lock_store(database, stale_after=settings["GLARE_LOCK_STALE_AFTER"]),
                    wait=settings["GLARE_LOCK_WAIT"])
    quotas = QuotaService(
        store=QuotaStore(database),
        settings=QuotaSettings(
            max_artifact_number=settings["GLARE_MAX_ARTIFACT_NUMBER"],
            max_uploaded_data=settings["GLARE_MAX_UPLOADED_DATA"],
            per_type=settings["GLARE_TYPES"],
        ),
        type_names=lambda: tuple(registry),
        usage=Usage(data_apis),
        locker=locker,
    )
    engine_hooks = EngineHooks(hooks)
    ctx = EngineContext(
        registry=registry, data_apis=data_apis, policy=policy, hooks=engine_hooks,
        locker=locker, quotas=quotas, clock=clock,
        settings=EngineSettings(
            default_limit=settings["GLARE_DEFAULT_API_LIMIT"],
            max_limit=settings["GLARE_MAX_API_LIMIT"],
            delayed_delete=settings["GLARE_DELAYED_DELETE"],
            type_settings=settings["GLARE_TYPES"],
        ),
    )
    # Stored times come from the database layer's clock: liveness compares with them.
    liveness = UploadLiveness(
        BlobSettings(stale_after=settings["GLARE_UPLOAD_STALE_AFTER"],
                     verify_on_read=settings["GLARE_VERIFY_ON_READ"]),
        clock=utcnow,
    )
    janitor = BlobJanitor(ctx, stores=stores, garbage=GarbageQueue(database),
                          readers=ReaderLeases(database), liveness=liveness)
    writes = Writes(ctx, janitor)
    links = LinkChecker(find=ctx.find, type_names=lambda: registry,
                        check_external=settings["GLARE_CHECK_EXTERNAL_LINKS"])
    return Engine(
        context=ctx,
        reader=ArtifactReader(ctx, liveness),
        artifacts=ArtifactService(ctx, writes=writes, janitor=janitor, links=links),
        uploads=UploadService(ctx, writes=writes, janitor=janitor, liveness=liveness,
                              room=UploadRoom(quotas, janitor), choose_store=choose_store),
        downloads=DownloadService(ctx, janitor=janitor, liveness=liveness),
        locations=LocationService(ctx, writes=writes, stores=stores),
        janitor=janitor,
        liveness=liveness,
        quota_admin=QuotaAdmin(quotas, policy=policy, hooks=engine_hooks),
        catalog=TypeCatalog(registry=registry, policy=policy, plugins=plugins,
                            type_plugins=type_plugins, schemas=schemas),
    )
