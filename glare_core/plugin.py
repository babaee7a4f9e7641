"""The public plugin API of Glare: import plugin-facing names from here only.

Everything a type plugin needs is re-exported below; other ``glare_core`` modules are
internal and may change without notice. ``PLUGIN_API_VERSION`` follows semantic versioning:
a new minor version adds names or hook arguments, a new major version removes or changes
them (after one minor release of deprecation).
"""

from typing import Any

from marshmallow.validate import Length, OneOf, Range, Regexp

from glare_core.auth.context import RequestContext
from glare_core.blobs.base import (
    BLOB_STORE_API_VERSION,
    BlobNotFound,
    BlobStore,
    BlobWriteError,
    FileRange,
    StoredBlob,
)
from glare_core.blobs.stream_checks import parse_yaml, spool_then_check, validate_after_stream
from glare_core.data.api import DATA_API_VERSION, DataAPI
from glare_core.data.query import Filter, ListQuery, ListResult, Scope, SortKey
from glare_core.data.sql.layout import LAYOUT_REVISION, SqlLayout, make_layout, new_metadata
from glare_core.data.sql.layout_ddl import (
    change_layout_tables,
    create_layout_tables,
    create_trigram_index,
    drop_layout_tables,
    drop_trigram_index,
)
from glare_core.data.sql.store import SqlDataAPI
from glare_core.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    GlareError,
    NotFound,
    RequestTooLarge,
)
from glare_core.plugins.hookspecs import hookimpl
from glare_core.types import fields
from glare_core.types.base import ArtifactType, BaseArtifactSchema
from glare_core.types.fields import GIB, KIB, MIB
from glare_core.types.spec import FieldSpec
from glare_core.types.validators import (
    AllowedDictKeys,
    DictKeyLength,
    ForbiddenChars,
    LinksTo,
    RequiredDictKeys,
    UniqueItems,
)

PLUGIN_API_VERSION = "1.3"


def sql_data_api(app: Any, layout: SqlLayout, key: str | None = None) -> SqlDataAPI:
    """The core's SQL data API over a plugin's own tables (built with ``make_layout``).

    Several types of one plugin can share the returned instance: pass the same ``key``.
    The tables are created by the plugin's migrations (``glare_migration_locations``),
    from the same layout: ``create_layout_tables(op, layout)``.
    """
    state = app.extensions["glare"]
    cache = app.extensions.setdefault("glare_sql_data_apis", {})
    cache_key = key or layout.artifacts.name
    if cache_key not in cache:
        cache[cache_key] = SqlDataAPI(state.database, state.registry, layout)
    return cache[cache_key]

__all__ = [
    "PLUGIN_API_VERSION",
    "DATA_API_VERSION",
    "hookimpl",
    "ArtifactType",
    "BaseArtifactSchema",
    "fields",
    "FieldSpec",
    "RequestContext",
    "DataAPI",
    "BLOB_STORE_API_VERSION",
    "BlobStore",
    "StoredBlob",
    "FileRange",
    "BlobNotFound",
    "BlobWriteError",
    "SqlDataAPI",
    "SqlLayout",
    "make_layout",
    "new_metadata",
    "create_layout_tables",
    "drop_layout_tables",
    "change_layout_tables",
    "create_trigram_index",
    "drop_trigram_index",
    "LAYOUT_REVISION",
    "sql_data_api",
    "Filter",
    "ListQuery",
    "ListResult",
    "Scope",
    "SortKey",
    "Length",
    "OneOf",
    "Range",
    "Regexp",
    "AllowedDictKeys",
    "DictKeyLength",
    "ForbiddenChars",
    "LinksTo",
    "RequiredDictKeys",
    "UniqueItems",
    "validate_after_stream",
    "parse_yaml",
    "spool_then_check",
    "GlareError",
    "BadRequest",
    "Conflict",
    "Forbidden",
    "NotFound",
    "RequestTooLarge",
    "KIB",
    "MIB",
    "GIB",
]
