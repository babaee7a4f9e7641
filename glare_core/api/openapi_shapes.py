"""The JSON shapes the OpenAPI document describes: media types, request and response
bodies, headers and the blob path parameter (``api/docs.py`` puts them together into
operations, ``api/openapi_components.py`` registers the shared ones as components)."""

from __future__ import annotations

from typing import Any

from glare_core.api.versions import SERVICE, VERSIONS

JSON = "application/json"
PATCH_MEDIA_TYPE = "application/json-patch+json"
LOCATION_MEDIA_TYPE = "application/vnd+openstack.glare-custom-location+json"
SCHEMA_MEDIA_TYPE = "application/schema+json"
MAX_PATCH_OPERATIONS = 1000

_PATCH_PATH = {"type": "string", "pattern": "^/",
               "description": "A JSON pointer: /<field>[/<index or key>...]."}
PATCH_SCHEMA = {
    "type": "array",
    "description": "RFC 6902 operations, applied in order; replace /status and "
                   "/visibility change the lifecycle.",
    "maxItems": MAX_PATCH_OPERATIONS,
    "items": {"oneOf": [
        {"type": "object", "required": ["op", "path", "value"],
         "properties": {"op": {"type": "string", "enum": ["add", "replace", "test"]},
                        "path": _PATCH_PATH, "value": {"nullable": True}}},
        {"type": "object", "required": ["op", "path"],
         "properties": {"op": {"type": "string", "enum": ["remove"]}, "path": _PATCH_PATH}},
        {"type": "object", "required": ["op", "path", "from"],
         "properties": {"op": {"type": "string", "enum": ["move", "copy"]},
                        "path": _PATCH_PATH, "from": _PATCH_PATH}},
    ]},
}
LIST_SCHEMA = {
    "type": "object",
    "required": ["type_name", "artifacts", "first", "schema", "total_count"],
    "properties": {
        "type_name": {"type": "string"},
        "artifacts": {"type": "array", "items": {"$ref": "#/components/schemas/Artifact"}},
        "first": {"type": "string"},
        "next": {"type": "string"},
        "schema": {"type": "string"},
        "total_count": {"type": "integer"},
    },
}
VERSIONS_SCHEMA = {
    "type": "object",
    "required": ["versions"],
    "properties": {"versions": {"type": "array", "items": {
        "type": "object",
        "required": ["version", "status", "media-type", "links"],
        "properties": {
            "version": {"type": "string", "enum": [v for v, _ in VERSIONS]},
            "status": {"type": "string", "enum": sorted({s for _, s in VERSIONS})},
            "media-type": {"type": "string"},
            "links": {"type": "array", "items": {
                "type": "object", "required": ["rel", "href"],
                "properties": {"rel": {"type": "string"}, "type": {"type": "string"},
                               "href": {"type": "string"}}}},
        },
    }}},
}
PLUGINS_SCHEMA = {
    "type": "object",
    "required": ["plugins", "types"],
    "properties": {
        "plugins": {"type": "array", "items": {
            "type": "object", "required": ["name", "distribution", "version", "builtin"],
            "properties": {"name": {"type": "string"},
                           "distribution": {"type": "string", "nullable": True},
                           "version": {"type": "string", "nullable": True},
                           "builtin": {"type": "boolean"}}}},
        "types": {"type": "array", "items": {
            "type": "object", "required": ["name", "display_name", "version", "plugin"],
            "properties": {"name": {"type": "string"}, "display_name": {"type": "string"},
                           "version": {"type": "string"},
                           "plugin": {"type": "string", "nullable": True}}}},
    },
}
SCHEMAS_SCHEMA = {
    "type": "object",
    "required": ["schemas"],
    "properties": {"schemas": {
        "type": "object", "additionalProperties": {"type": "object"},
        "description": "type name → JSON-Schema (Draft 4) of the type, with Glare's "
                       "annotations (contract §19)."}},
}
LOCATION_BODY = {
    "type": "object",
    "required": ["url"],
    "properties": {
        "url": {"type": "string", "maxLength": 2048,
                "description": "external: an http(s) URL; internal: a URI of a "
                               "configured store (admin)."},
        "location_type": {"type": "string", "enum": ["external", "internal"],
                          "default": "external"},
        "md5": {"type": "string", "pattern": "^[0-9a-fA-F]{1,32}$",
                "description": "Required for external locations."},
        "sha1": {"type": "string", "pattern": "^[0-9a-fA-F]{1,40}$"},
        "sha256": {"type": "string", "pattern": "^[0-9a-fA-F]{1,64}$"},
    },
}
BINARY = {"type": "string", "format": "binary"}


def ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def content(schema: dict[str, Any], media: str = JSON) -> dict[str, Any]:
    return {"content": {media: {"schema": schema}}}


def header(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "header", "required": False, "schema": {"type": "string"},
            "description": description}


def response_header(description: str, schema: dict[str, Any] | None = None,
                     required: bool = True) -> dict[str, Any]:
    return {"description": description, "required": required,
            "schema": schema or {"type": "string"}}


REQUEST_ID = response_header("The request's id (the client's own if it sent a UUID).",
                              {"type": "string", "pattern": "^req-"})
API_VERSION = response_header("The API version that served the request.", {
    "type": "string", "enum": [f"{SERVICE} {version}" for version, _ in VERSIONS]})
ETAG = response_header("The artifact's revision: If-None-Match and If-Match take it.")
BLOB_ETAG = response_header("The blob's SHA-256 (or MD5), quoted.", required=False)
CHECKSUM_HEADERS = {
    "Content-MD5": response_header("MD5 of the blob, hex.", required=False),
    "X-Openstack-Glare-Content-SHA1": response_header("SHA-1 of the blob.", required=False),
    "X-Openstack-Glare-Content-SHA256": response_header("SHA-256 of the blob.",
                                                         required=False),
}


QUOTA_ITEMS = {
    "type": "object", "required": ["project_id", "project_quotas"],
    "properties": {
        "project_id": {"type": "string", "minLength": 1, "maxLength": 255},
        "project_quotas": {"type": "array", "items": {
            "type": "object", "required": ["quota_name", "quota_value"],
            "properties": {"quota_name": {"type": "string"},
                           "quota_value": {"type": "integer", "format": "int64",
                                           "minimum": -1}}}},
    },
}


BLOB_PATH = {
    "in": "path", "name": "blob_path", "required": True, "schema": {"type": "string"},
    "description": "A blob field's name, or a folder field's name, '/', and a key; "
                   "keys may themselves contain '/' (they are sent as they are, not "
                   "percent-encoded).",
}
