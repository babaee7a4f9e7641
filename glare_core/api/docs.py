"""OpenAPI documentation of the generic routes (request bodies, parameters, responses).

Artifact bodies depend on the type, so each enabled type's marshmallow schema is
registered as a component (``<type>Artifact``) and the generic routes refer to them.
"""

from __future__ import annotations

from typing import Any

from flask_smorest import Api

from glare_core.types.registry import TypeRegistry

ERROR_SCHEMA = {
    "type": "object",
    "description": "The error envelope every failed request returns.",
    "properties": {
        "code": {"type": "integer"},
        "title": {"type": "string"},
        "explanation": {"type": "string"},
        "error": {
            "type": "object",
            "properties": {"message": {"type": "string"}, "type": {"type": "string"}},
        },
    },
    "required": ["code", "title", "explanation", "error"],
}
ARTIFACT_SCHEMA = {
    "type": "object",
    "description": "An artifact: the base fields plus the fields of its type.",
    "additionalProperties": True,
}
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
    return {"responses": {"200": {"description": "The artifact", **_json(_ref("Artifact"))},
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
                      **_errors(400, 401, 403, 404, 409, 413, 503, 507)},
    }


def download_doc() -> dict[str, Any]:
    return {"responses": {
        "200": {"description": "The data",
                "content": {"application/octet-stream": {"schema": {"type": "string",
                                                                    "format": "binary"}}}},
        "206": {"description": "A byte range of the data"},
        "301": {"description": "External location (see the Location header)"},
        "304": {"description": "Not modified (If-None-Match)"},
        **_errors(400, 401, 403, 404, 409, 416, 503)}}


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


def register_components(api: Api, registry: TypeRegistry) -> None:
    """Add the shared schemas and one component per enabled type to the OpenAPI spec."""
    components = api.spec.components
    components.schema("GlareError", ERROR_SCHEMA)
    components.schema("Artifact", ARTIFACT_SCHEMA)
    components.schema("ArtifactPatch", PATCH_SCHEMA)
    components.schema("ArtifactList", LIST_SCHEMA)
    seen: set[type] = set()
    for artifact_type in [*registry.values(), registry.all_type]:
        schema = type(artifact_type).schema
        if schema not in seen:  # types may share a schema class; apispec wants it once
            seen.add(schema)
            components.schema(f"{artifact_type.type_name}Artifact", schema=schema)
