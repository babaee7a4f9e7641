"""OpenAPI documentation of the generic routes (request bodies, parameters, responses).

Artifact bodies depend on the type, so each enabled type's marshmallow schema is
registered as a component (``<type>Artifact``) and the generic ``Artifact`` body is any
one of them. Callers authenticate with headers, described as security schemes so that
the browsable UI (``/-/api/docs``) can send them.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_smorest import Api

from glare_core.types.registry import TypeRegistry


class ErrorDetailSchema(ma.Schema):
    message = ma.fields.String(metadata={"description": "What went wrong."})
    type = ma.fields.String(metadata={"description": "The error's class, e.g. BadRequest."})


class GlareErrorSchema(ma.Schema):
    """The error envelope every failed request returns (documented as ``GlareError``)."""

    code = ma.fields.Integer(required=True, metadata={"description": "The HTTP status."})
    title = ma.fields.String(required=True, metadata={"description": "The status phrase."})
    explanation = ma.fields.String(required=True, metadata={"description": "The message."})
    error = ma.fields.Nested(ErrorDetailSchema, required=True)


class GlareApi(Api):
    """flask-smorest's Api documenting Glare's error envelope as every default response."""

    ERROR_SCHEMA = GlareErrorSchema


# Identity: a token (Keystone, or "user:project:roles" with trusted-auth), or the headers
# an authenticating proxy sets (noauth). All four headers together make one requirement.
IDENTITY_HEADERS = {
    "identityStatus": ("X-Identity-Status", "'Confirmed' (noauth: set by the proxy)."),
    "projectId": ("X-Project-Id", "The caller's project (noauth)."),
    "userId": ("X-User-Id", "The caller's user id (noauth)."),
    "roles": ("X-Roles", "Comma-separated roles, e.g. member or admin (noauth)."),
}
SECURITY_SCHEMES = {
    "authToken": {"type": "apiKey", "in": "header", "name": "X-Auth-Token",
                  "description": "Keystone token, or user:project:roles with trusted-auth."},
    **{name: {"type": "apiKey", "in": "header", "name": header, "description": text}
       for name, (header, text) in IDENTITY_HEADERS.items()},
}
SECURITY = [{"authToken": []}, {name: [] for name in IDENTITY_HEADERS}]
PATCH_SCHEMA = {
    "type": "array",
    "description": "RFC 6902 operations; status and visibility change the lifecycle.",
    "items": {
        "type": "object",
        "properties": {
            "op": {"type": "string",
                   "enum": ["add", "remove", "replace", "move", "copy", "test"]},
            "path": {"type": "string"},
            "from": {"type": "string"},
            "value": {},
        },
        "required": ["op", "path"],
    },
}
LIST_SCHEMA = {
    "type": "object",
    "properties": {
        "type_name": {"type": "string"},
        "artifacts": {"type": "array", "items": {"$ref": "#/components/schemas/Artifact"}},
        "first": {"type": "string"},
        "next": {"type": "string"},
        "schema": {"type": "string"},
        "total_count": {"type": "integer"},
    },
}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], media: str = "application/json") -> dict[str, Any]:
    return {"content": {media: {"schema": schema}}}


def _header(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "header", "required": False, "schema": {"type": "string"},
            "description": description}


IF_NONE_MATCH = _header("If-None-Match", "ETags held by the client: 304 when one matches.")
IF_MATCH_BLOB = _header("If-Match", "The blob's ETag (or *): 412 when it does not match.")


def _errors(*codes: int) -> dict[str, Any]:
    return {str(code): {"description": "Error", **_json(_ref("GlareError"))} for code in codes}


def list_doc() -> dict[str, Any]:
    return {
        "parameters": [
            {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 0}},
            {"name": "marker", "in": "query", "schema": {"type": "string"}},
            {"name": "sort", "in": "query", "schema": {"type": "string"},
             "description": "key[:asc|desc],... (default direction desc)"},
            {"name": "filters", "in": "query", "style": "form", "explode": True,
             "schema": {"type": "object", "additionalProperties": {"type": "string"}},
             "description": "<field>[.<key>]=[and:|or:][op:]value; version=latest; "
                            "tags / tags-any"},
        ],
        "responses": {"200": {"description": "One page", **_json(_ref("ArtifactList"))},
                      **_errors(400, 401, 404)},
    }


def create_doc() -> dict[str, Any]:
    return {
        "requestBody": {"required": True, **_json(_ref("Artifact"))},
        "responses": {"201": {"description": "Created", **_json(_ref("Artifact"))},
                      **_errors(400, 401, 403, 404, 409, 415)},
    }


def show_doc() -> dict[str, Any]:
    return {"parameters": [IF_NONE_MATCH],
            "responses": {"200": {"description": "The artifact", **_json(_ref("Artifact"))},
                          "304": {"description": "Not modified (If-None-Match)"},
                          **_errors(400, 401, 404)}}


def update_doc() -> dict[str, Any]:
    return {
        "requestBody": {"required": True,
                        **_json(_ref("ArtifactPatch"), "application/json-patch+json")},
        "responses": {"200": {"description": "Updated", **_json(_ref("Artifact"))},
                      **_errors(400, 401, 403, 404, 409, 412, 415)},
    }


def delete_doc() -> dict[str, Any]:
    return {"responses": {"204": {"description": "Deleted"}, **_errors(400, 401, 403, 404, 409)}}


def upload_doc() -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                "application/vnd+openstack.glare-custom-location+json": {
                    "schema": {"type": "object", "properties": {
                        "url": {"type": "string"},
                        "location_type": {"type": "string", "enum": ["external", "internal"]},
                        "md5": {"type": "string"}, "sha1": {"type": "string"},
                        "sha256": {"type": "string"}}, "required": ["url"]}},
            },
        },
        "responses": {"200": {"description": "The artifact", **_json(_ref("Artifact"))},
                      **_errors(400, 401, 403, 404, 408, 409, 413, 503, 507)},
    }


def download_doc() -> dict[str, Any]:
    return {"parameters": [
        _header("Range", "One byte range, bytes=first-[last] or bytes=-suffix: 206 or 416."),
        IF_NONE_MATCH,
        IF_MATCH_BLOB,
    ],
        "responses": {
        "200": {"description": "The data",
                "content": {"application/octet-stream": {"schema": {"type": "string",
                                                                    "format": "binary"}}}},
        "206": {"description": "A byte range of the data"},
        "301": {"description": "External location (see the Location header)"},
        "304": {"description": "Not modified (If-None-Match)"},
        **_errors(400, 401, 403, 404, 409, 412, 416, 503)}}


def delete_blob_doc() -> dict[str, Any]:
    return {"responses": {"200": {"description": "The artifact", **_json(_ref("Artifact"))},
                          **_errors(400, 401, 403, 404)}}


QUOTA_LIST_SCHEMA = {
    "type": "array",
    "items": {"type": "object", "properties": {
        "project_id": {"type": "string"},
        "project_quotas": {"type": "array", "items": {"type": "object", "properties": {
            "quota_name": {"type": "string"}, "quota_value": {"type": "integer", "minimum": -1},
        }}},
    }},
}


def quotas_doc() -> dict[str, Any]:
    return {"responses": {"200": {"description": "Stored and configured quotas", **_json({
        "type": "object", "properties": {"quotas": QUOTA_LIST_SCHEMA,
                                         "global_quotas": {"type": "object"}}})},
        **_errors(400, 401, 403)}}


def set_quotas_doc() -> dict[str, Any]:
    return {"requestBody": {"required": True, **_json(QUOTA_LIST_SCHEMA)},
            "responses": {"200": {"description": "The stored quotas", **_json(QUOTA_LIST_SCHEMA)},
                          **_errors(400, 401, 403, 415)}}


def project_quotas_doc() -> dict[str, Any]:
    return {"responses": {"200": {"description": "Effective quotas", **_json(QUOTA_LIST_SCHEMA)},
                          **_errors(400, 401, 403)}}


def schemas_doc() -> dict[str, Any]:
    return {"responses": {"200": {"description": "JSON-Schemas",
                                  **_json({"type": "object"}, "application/schema+json")},
                          **_errors(401, 403, 404)}}


BLOB_PATH = {
    "in": "path", "name": "blob_path", "required": True, "schema": {"type": "string"},
    "description": "A blob field's name, or a folder field's name, '/', and a key; "
                   "keys may themselves contain '/' (they are sent as they are, not "
                   "percent-encoded).",
}


def register_components(api: Api, registry: TypeRegistry) -> None:
    """Add the shared schemas, one component per enabled type and the security schemes."""
    api.ma_plugin.converter.add_attribute_function(_no_null_default_unless_nullable)
    spec = api.spec
    for name, scheme in SECURITY_SCHEMES.items():
        spec.components.security_scheme(name, scheme)
    spec.options["security"] = SECURITY
    type_refs = []
    seen: set[type] = set()
    for artifact_type in [*registry.values(), registry.all_type]:
        schema = type(artifact_type).schema
        if schema not in seen:  # types may share a schema class; apispec wants it once
            seen.add(schema)
            name = f"{artifact_type.type_name}Artifact"
            spec.components.schema(name, schema=schema)
            # A type's output hook may add keys of its own (the sample type does), so the
            # component describes the fields without closing the object.
            spec.components.schemas[name]["additionalProperties"] = True
            type_refs.append(_ref(name))
    spec.components.schema("Artifact", {
        "description": "An artifact: the base fields plus the fields of its type "
                       "(GET /schemas/{type_name} has each type's JSON-Schema).",
        "anyOf": type_refs,
    })
    spec.components.schema("ArtifactPatch", PATCH_SCHEMA)
    spec.components.schema("ArtifactList", LIST_SCHEMA)


def _no_null_default_unless_nullable(converter: Any, field: ma.fields.Field,
                                     ret: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Field metadata carries Glare's ``default``; ``null`` is no default for a field
    that cannot be null (the server fills it in), and OpenAPI 3.0 refuses it there."""
    if ret.get("default", ...) is None and not ret.get("nullable"):
        del ret["default"]
    return {}
