"""Glare field kinds as marshmallow fields: the names type authors declare fields with.

A type declares its fields with these classes on a schema that extends
``BaseArtifactSchema`` (plugins import this module as ``glare_core.plugin.fields``). Each
kind implements the contract's JSON coercion (§9.2) in ``_deserialize``; marshmallow then
runs the field's validators. The classes live in modules by family; this module gathers
them with the limits and helpers that go with them:

* field_base.py: ``GlareField`` and the Glare attributes every field takes;
* scalar_fields.py: String, Integer, Float, Boolean, DateTime, Version, Link;
* container_fields.py: List and Dict of scalars;
* blob_fields.py: Blob and Folder;
* limits.py and text.py: size limits and text checks (re-exported here);
* kinds.py: ``FieldKind``, the kind each class declares (``FieldSpec.kind``).
"""

from __future__ import annotations

from glare_core.types.blob_fields import Blob, Folder
from glare_core.types.container_fields import Dict, List
from glare_core.types.field_base import ALL_OPS, GLARE_ATTRIBUTES, ORDERED_OPS, UNSET, GlareField
from glare_core.types.limits import (
    DEFAULT_MAX_BLOB_SIZE,
    DEFAULT_MAX_FOLDER_SIZE,
    DEFAULT_MAX_ITEMS,
    DEFAULT_MAX_STRING,
    GIB,
    INT64_MAX,
    INT64_MIN,
    KIB,
    MAX_FOLDER_KEY_LENGTH,
    MAX_LINK_LENGTH,
    MIB,
)
from glare_core.types.scalar_fields import (
    Boolean,
    DateTime,
    Float,
    Integer,
    Link,
    String,
    Version,
    parse_internal_link,
)
from glare_core.types.text import flatten_messages, plain_number_text, unstorable_text

__all__ = [
    "ALL_OPS",
    "DEFAULT_MAX_BLOB_SIZE",
    "DEFAULT_MAX_FOLDER_SIZE",
    "DEFAULT_MAX_ITEMS",
    "DEFAULT_MAX_STRING",
    "GIB",
    "GLARE_ATTRIBUTES",
    "INT64_MAX",
    "INT64_MIN",
    "KIB",
    "MAX_FOLDER_KEY_LENGTH",
    "MAX_LINK_LENGTH",
    "MIB",
    "ORDERED_OPS",
    "UNSET",
    "Blob",
    "Boolean",
    "DateTime",
    "Dict",
    "Float",
    "Folder",
    "GlareField",
    "Integer",
    "Link",
    "List",
    "String",
    "Version",
    "flatten_messages",
    "parse_internal_link",
    "plain_number_text",
    "unstorable_text",
]
