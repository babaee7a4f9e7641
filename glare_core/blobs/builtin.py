"""Builtin plugin: the blob stores that ship with the core, and the default store choice.

``file`` (always, under ``GLARE_BLOB_DIR``), ``database`` (always, on the app's database
engine), ``swift`` (when ``GLARE_SWIFT`` names an ``auth_url``; it needs python-swiftclient)
and the read-only ``http`` store for internal locations.
"""

from __future__ import annotations

from typing import Any

from glare_core.blobs.database import DatabaseStore
from glare_core.blobs.filesystem import FilesystemStore
from glare_core.blobs.http import HttpReadStore
from glare_core.blobs.swift import SwiftStore
from glare_core.plugins.hookspecs import hookimpl


@hookimpl
def glare_register_blob_stores(app: Any) -> list[Any]:
    config = app.config
    write_cache = config["GLARE_BLOB_WRITE_CACHE"]  # -1: no limit
    stores: list[Any] = [
        FilesystemStore(config["GLARE_BLOB_DIR"],
                        write_cache=None if write_cache == -1 else write_cache),
        # The store gets the engine only: it creates and uses its own table there.
        DatabaseStore(app.extensions["glare"].database.engine),
        HttpReadStore(),
    ]
    if (config.get("GLARE_SWIFT") or {}).get("auth_url"):
        stores.append(SwiftStore(config["GLARE_SWIFT"]))
    return stores


@hookimpl(trylast=True)
def glare_choose_blob_store(artifact_type: Any, field_name: str, app: Any) -> str:
    spec = artifact_type.fields[field_name]
    configured = (app.config.get("GLARE_TYPES") or {}).get(artifact_type.type_name, {})
    return (
        getattr(spec.field, "store", None)
        or configured.get("default_store")
        or type(artifact_type).default_store
        or app.config["GLARE_DEFAULT_STORE"]
    )
