"""The OpenAPI document's shared parts: flask-smorest's ``Api`` as Glare uses it, the error
envelope, the security schemes of the server's authentication strategy, the shared error
responses and one schema component per enabled artifact type.

Artifact bodies depend on the type, so each enabled type's marshmallow schema is
registered as a component (``<type>Artifact``) and the generic ``Artifact`` body is any
one of them. Callers authenticate with headers, described as security schemes so that
the browsable UI (``/-/api/docs``) can send them.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_smorest import Api

from glare_core.api import openapi_types
from glare_core.api.openapi_shapes import (
    LIST_SCHEMA,
    PATCH_SCHEMA,
    REQUEST_ID,
    content,
    ref,
    response_header,
)
from glare_core.engine.quotas import MAX_QUOTA_VALUE, QUOTA_NAMES
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
    """flask-smorest's Api without a catch-all ``default`` response: every operation lists
    the statuses it really answers, so a client (or a fuzzer) can rely on the list."""

    ERROR_SCHEMA = GlareErrorSchema
    DEFAULT_ERROR_RESPONSE_NAME = None


# Identity: a token (Keystone, or "user:project:roles" with trusted-auth), or the headers
# an authenticating proxy sets (noauth). All four headers together make one requirement.
IDENTITY_HEADERS = {
    "identityStatus": ("X-Identity-Status", "'Confirmed' (noauth: set by the proxy)."),
    "projectId": ("X-Project-Id", "The caller's project (noauth)."),
    "userId": ("X-User-Id", "The caller's user id (noauth)."),
    "roles": ("X-Roles", "Comma-separated roles, e.g. member or admin (noauth)."),
}
TOKEN_SCHEMES = {
    "keystone": {"authToken": {"type": "apiKey", "in": "header", "name": "X-Auth-Token",
                               "description": "A Keystone token."}},
    "trusted-auth": {"authToken": {"type": "apiKey", "in": "header", "name": "X-Auth-Token",
                                   "description": "user:project:role1,role2"}},
}
NOAUTH_SCHEMES = {name: {"type": "apiKey", "in": "header", "name": header, "description": text}
                  for name, (header, text) in IDENTITY_HEADERS.items()}


def security_schemes(strategy: str) -> dict[str, dict[str, Any]]:
    """The schemes of the server's authentication strategy: the identity headers with
    ``noauth``, a token otherwise (the server reads nothing else)."""
    return TOKEN_SCHEMES.get(strategy, NOAUTH_SCHEMES)


def security_requirement(strategy: str, allow_anonymous: bool) -> list[dict[str, list]]:
    """The requirements of the strategy. With noauth, the identity headers together, or
    X-Identity-Status alone (the others are optional: a caller without them has no
    project, user or roles). With anonymous access, no identity at all is allowed too."""
    schemes = list(security_schemes(strategy))
    requirements = [{name: [] for name in schemes}]
    if len(schemes) > 1:
        requirements.append({"identityStatus": []})
    return [*requirements, {}] if allow_anonymous else requirements


ERROR_RESPONSES = {
    400: ("BadRequest", "Malformed request: a bad parameter, body, header or API version."),
    401: ("Unauthorized", "No valid identity."),
    403: ("Forbidden", "Not allowed: policy, lifecycle rules, a read-only field, or the "
                       "artifact-count quota."),
    404: ("NotFound", "No such type, artifact, blob or marker (or not visible to the caller)."),
    406: ("NotAcceptable", "The requested API version is not supported."),
    408: ("RequestTimeout", "The client stopped sending the body for client_timeout seconds."),
    409: ("Conflict", "Name and version taken, artifact locked, or blob being uploaded."),
    412: ("PreconditionFailed", "If-Match does not name the current revision or blob."),
    413: ("RequestEntityTooLarge", "Body over its limit: a JSON body over 1 MiB, a patch of "
                                   "more than 1000 operations, a blob over its field's, "
                                   "folder's or quota's limit."),
    415: ("UnsupportedMediaType", "The Content-Type is not the one this operation takes."),
    416: ("RangeNotSatisfiable", "The Range lies outside the blob."),
    501: ("NotImplemented", "A Transfer-Encoding other than chunked."),
    503: ("ServiceUnavailable", "The blob store is unavailable."),
    507: ("InsufficientStorage", "The blob store is full."),
}


def register_components(api: Api, registry: TypeRegistry, *, auth_strategy: str,
                        allow_anonymous: bool) -> None:
    """Add the shared schemas and responses, one component per enabled type and the
    security schemes of the server's authentication strategy."""
    api.ma_plugin.converter.add_attribute_function(_no_null_default_unless_nullable)
    spec = api.spec
    for name, scheme in security_schemes(auth_strategy).items():
        spec.components.security_scheme(name, scheme)
    spec.options["security"] = security_requirement(auth_strategy, allow_anonymous)
    for code, (name, description) in ERROR_RESPONSES.items():
        response = {"description": description, **content(ref("GlareError")),
                    "headers": {"x-openstack-request-id": REQUEST_ID}}
        if code == 416:
            response["headers"]["Content-Range"] = response_header("bytes */size")
        spec.components.response(name, response)
    type_refs, create_refs = [], []
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
            type_refs.append(ref(name))
        if not artifact_type.is_pseudo:
            name = f"{artifact_type.type_name}ArtifactCreate"
            spec.components.schema(name, openapi_types.create_schema(artifact_type))
            create_refs.append(ref(name))
    spec.components.schema("Artifact", {
        "description": "An artifact: the base fields plus the fields of its type "
                       "(GET /schemas/{type_name} has each type's JSON-Schema).",
        "anyOf": type_refs,
    })
    spec.components.schema("ArtifactCreate", {
        "description": "The body of a create: the fields of the type in the path that a "
                       "client may set.",
        "anyOf": create_refs,
    })
    spec.components.schema("ArtifactPatch", PATCH_SCHEMA)
    spec.components.schema("ArtifactList", LIST_SCHEMA)
    spec.components.schema("QuotasUpdate", quotas_update_schema(registry))


def quotas_update_schema(registry: TypeRegistry) -> dict[str, Any]:
    """The body of ``PUT /quotas``: the known quota names, globally or for an enabled type
    (a name at most once per project)."""
    names = [*QUOTA_NAMES, *(f"{name}:{type_name}" for name in QUOTA_NAMES
                             for type_name in registry)]
    return {"type": "array", "items": {
        "type": "object", "required": ["project_id", "project_quotas"],
        "additionalProperties": False,
        "properties": {
            "project_id": {"type": "string", "minLength": 1, "maxLength": 255,
                           "pattern": openapi_types.STORABLE_TEXT},
            "project_quotas": {"type": "array", "items": {
                "type": "object", "required": ["quota_name", "quota_value"],
                "additionalProperties": False,
                "properties": {
                    "quota_name": {"type": "string", "enum": names},
                    "quota_value": {"type": "integer", "format": "int64", "minimum": -1,
                                    "maximum": MAX_QUOTA_VALUE,
                                    "description": "-1: unlimited"}}}}}}}


def _no_null_default_unless_nullable(converter: Any, field: ma.fields.Field,
                                     ret: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Field metadata carries Glare's ``default``; ``null`` is no default for a field
    that cannot be null (the server fills it in), and OpenAPI 3.0 refuses it there."""
    if ret.get("default", ...) is None and not ret.get("nullable"):
        del ret["default"]
    return {}
