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

from glare_core.api import openapi_types
from glare_core.api.versions import SERVICE, VERSIONS
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
_LOCATION_BODY = {
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


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _content(schema: dict[str, Any], media: str = JSON) -> dict[str, Any]:
    return {"content": {media: {"schema": schema}}}


def _header(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "header", "required": False, "schema": {"type": "string"},
            "description": description}


def _response_header(description: str, schema: dict[str, Any] | None = None,
                     required: bool = True) -> dict[str, Any]:
    return {"description": description, "required": required,
            "schema": schema or {"type": "string"}}


REQUEST_ID = _response_header("The request's id (the client's own if it sent a UUID).",
                              {"type": "string", "pattern": "^req-"})
API_VERSION = _response_header("The API version that served the request.", {
    "type": "string", "enum": [f"{SERVICE} {version}" for version, _ in VERSIONS]})
ETAG = _response_header("The artifact's revision: If-None-Match and If-Match take it.")
BLOB_ETAG = _response_header("The blob's SHA-256 (or MD5), quoted.", required=False)
CHECKSUM_HEADERS = {
    "Content-MD5": _response_header("MD5 of the blob, hex.", required=False),
    "X-Openstack-Glare-Content-SHA1": _response_header("SHA-1 of the blob.", required=False),
    "X-Openstack-Glare-Content-SHA256": _response_header("SHA-256 of the blob.",
                                                         required=False),
}


def ok(description: str, schema: dict[str, Any] | None = None, *, media: str = JSON,
       versioned: bool = True, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    """A success response: its body (if any) and the headers it always carries."""
    all_headers = {"x-openstack-request-id": REQUEST_ID}
    if versioned:
        all_headers["OpenStack-API-Version"] = API_VERSION
    all_headers.update(headers or {})
    response: dict[str, Any] = {"description": description, "headers": all_headers}
    if schema is not None:
        response.update(_content(schema, media))
    return response


def errors(*codes: int) -> dict[str, Any]:
    """References to the shared error responses (every one is the §5.1 envelope)."""
    return {str(code): {"$ref": f"#/components/responses/{ERROR_RESPONSES[code][0]}"}
            for code in codes}


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
# Statuses any versioned, authenticated request may get.
COMMON = (400, 401, 406)
# And those of requests with a body.
WITH_BODY = (*COMMON, 408, 413, 415, 501)


def versions_doc() -> dict[str, Any]:
    return {"responses": {"300": ok("The supported API versions", VERSIONS_SCHEMA,
                                    versioned=False)}}


def healthcheck_doc() -> dict[str, Any]:
    return {"responses": {
        "200": ok("Serving", {"type": "string", "enum": ["OK"]}, media="text/plain",
                  versioned=False),
        "503": ok("Disabled by the operator's disable file",
                  {"type": "string", "enum": ["DISABLED BY FILE"]}, media="text/plain",
                  versioned=False)}}


def plugins_doc() -> dict[str, Any]:
    return {"responses": {"200": ok("Plugins and types", PLUGINS_SCHEMA),
                          **errors(*COMMON, 403)}}


def schemas_doc() -> dict[str, Any]:
    return {"responses": {"200": ok("JSON-Schemas", SCHEMAS_SCHEMA, media=SCHEMA_MEDIA_TYPE),
                          **errors(*COMMON, 403, 404)}}


def list_doc() -> dict[str, Any]:
    return {
        "parameters": [
            {"name": "limit", "in": "query",
             "schema": {"type": "integer", "minimum": 0},
             "description": "Page size (default 25, at most 1000)."},
            {"name": "marker", "in": "query", "schema": {"type": "string"},
             "description": "The id of the last artifact of the previous page."},
            {"name": "sort", "in": "query", "schema": {"type": "string"},
             "description": "key[:asc|desc],... (default direction desc)"},
        ],
        "description": "Every other query parameter is a filter "
                       "<field>[.<key>]=[and:|or:][op:]value; version=latest; tags / tags-any.",
        "responses": {"200": ok("One page", _ref("ArtifactList")),
                      **errors(*COMMON, 403, 404)},
    }


def create_doc() -> dict[str, Any]:
    return {
        "requestBody": {"required": True, **_content(_ref("ArtifactCreate"))},
        "responses": {"201": ok("Created", _ref("Artifact"), headers={"ETag": ETAG}),
                      **errors(*WITH_BODY, 403, 404, 409)},
    }


def show_doc() -> dict[str, Any]:
    return {"parameters": [_header("If-None-Match", "ETags held by the client: 304 when "
                                                    "one matches.")],
            "responses": {"200": ok("The artifact", _ref("Artifact"), headers={"ETag": ETAG}),
                          "304": ok("Not modified (If-None-Match)", headers={"ETag": ETAG}),
                          **errors(*COMMON, 404)}}


def update_doc() -> dict[str, Any]:
    return {
        "parameters": [_header("If-Match", "The artifact's ETag: 412 when it changed.")],
        "requestBody": {"required": True, **_content(_ref("ArtifactPatch"), PATCH_MEDIA_TYPE)},
        "responses": {"200": ok("Updated", _ref("Artifact"), headers={"ETag": ETAG}),
                      **errors(*WITH_BODY, 403, 404, 409, 412)},
    }


def delete_doc() -> dict[str, Any]:
    return {"responses": {"204": ok("Deleted"), **errors(*COMMON, 403, 404, 409, 503)}}


def upload_doc() -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "description": "The blob's data, stored with its Content-Type (any but the "
                           "location type); or, with the location type, a location.",
            "content": {LOCATION_MEDIA_TYPE: {"schema": _LOCATION_BODY},
                        "*/*": {"schema": BINARY}},
        },
        "responses": {"200": ok("The artifact", _ref("Artifact"), headers={"ETag": ETAG}),
                      **errors(*WITH_BODY, 403, 404, 409, 503, 507)},
    }


_BLOB_HEADERS = {**CHECKSUM_HEADERS, "ETag": BLOB_ETAG}


def download_doc(*, head: bool = False) -> dict[str, Any]:
    """GET (the data) or HEAD (the same headers, no body)."""
    data = None if head else BINARY
    media = "*/*"
    content_range = _response_header("bytes first-last/size")
    return {
        "parameters": [
            _header("Range", "One byte range, bytes=first-[last] or bytes=-suffix: 206 or "
                             "416."),
            _header("If-Range", "The blob's ETag: the Range applies only while it matches."),
            _header("If-None-Match", "ETags held by the client: 304 when one matches."),
            _header("If-Match", "The blob's ETag (or *): 412 when it does not match."),
        ],
        "responses": {
            "200": ok("The data, with the blob's own Content-Type", data, media=media,
                      headers=_BLOB_HEADERS),
            "206": ok("A byte range of the data", data, media=media,
                      headers={**_BLOB_HEADERS, "Content-Range": content_range}),
            "301": ok("An external location: the Location header has its URL",
                      headers={**CHECKSUM_HEADERS, "Location": _response_header("The URL.")}),
            "304": ok("Not modified (If-None-Match)", headers=_BLOB_HEADERS),
            **errors(*COMMON, 403, 404, 409, 412, 503),
            "416": {**errors(416)["416"]},
        }}


def delete_blob_doc() -> dict[str, Any]:
    return {"responses": {"200": ok("The artifact", _ref("Artifact"), headers={"ETag": ETAG}),
                          **errors(*COMMON, 403, 404, 409)}}


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


def quotas_doc() -> dict[str, Any]:
    return {"responses": {
        "200": ok("Stored and configured quotas", {
            "type": "object", "required": ["quotas", "global_quotas"],
            "properties": {"quotas": {"type": "array", "items": QUOTA_ITEMS},
                           "global_quotas": {"type": "object", "additionalProperties": {
                               "type": "integer"}}}}),
        **errors(*COMMON, 403)}}


def set_quotas_doc() -> dict[str, Any]:
    return {"requestBody": {"required": True, **_content(_ref("QuotasUpdate"))},
            "responses": {"200": ok("The stored quotas of those projects",
                                    {"type": "array", "items": QUOTA_ITEMS}),
                          **errors(*WITH_BODY, 403)}}


def project_quotas_doc() -> dict[str, Any]:
    return {"responses": {"200": ok("Effective quotas", {"type": "array", "items": QUOTA_ITEMS,
                                                         "minItems": 1, "maxItems": 1}),
                          **errors(*COMMON, 403)}}


BLOB_PATH = {
    "in": "path", "name": "blob_path", "required": True, "schema": {"type": "string"},
    "description": "A blob field's name, or a folder field's name, '/', and a key; "
                   "keys may themselves contain '/' (they are sent as they are, not "
                   "percent-encoded).",
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
        response = {"description": description, **_content(_ref("GlareError")),
                    "headers": {"x-openstack-request-id": REQUEST_ID}}
        if code == 416:
            response["headers"]["Content-Range"] = _response_header("bytes */size")
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
            type_refs.append(_ref(name))
        if not artifact_type.is_pseudo:
            name = f"{artifact_type.type_name}ArtifactCreate"
            spec.components.schema(name, openapi_types.create_schema(artifact_type))
            create_refs.append(_ref(name))
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


OPERATION_IDS = {
    ("/", "get"): "root", ("/versions", "get"): "listVersions",
    ("/healthcheck", "get"): "healthcheck", ("/-/plugins", "get"): "listPlugins",
    ("/schemas", "get"): "listSchemas", ("/schemas/{type_name}", "get"): "showSchema",
    ("/artifacts/{type_name}", "get"): "listArtifacts",
    ("/artifacts/{type_name}", "post"): "createArtifact",
    ("/artifacts/{type_name}/{artifact_id}", "get"): "showArtifact",
    ("/artifacts/{type_name}/{artifact_id}", "patch"): "updateArtifact",
    ("/artifacts/{type_name}/{artifact_id}", "delete"): "deleteArtifact",
    ("/artifacts/{type_name}/{artifact_id}/{blob_path}", "get"): "downloadBlob",
    ("/artifacts/{type_name}/{artifact_id}/{blob_path}", "head"): "blobHeaders",
    ("/artifacts/{type_name}/{artifact_id}/{blob_path}", "put"): "uploadBlob",
    ("/artifacts/{type_name}/{artifact_id}/{blob_path}", "delete"): "deleteBlob",
    ("/quotas", "get"): "listQuotas", ("/quotas", "put"): "setQuotas",
    ("/project-quotas", "get"): "showOwnProjectQuotas",
    ("/project-quotas/{project_id}", "get"): "showProjectQuotas",
}
# What a created artifact's id leads to (OpenAPI links: clients and fuzzers follow them).
_CREATED_ARTIFACT_LINKS = ("showArtifact", "updateArtifact", "deleteArtifact",
                           "downloadBlob", "blobHeaders", "uploadBlob", "deleteBlob")


def finish_paths(api: Api, registry: TypeRegistry) -> None:
    """What the routes' decorators cannot say: the type names a path takes, HEAD on blob
    downloads (Flask serves it with the GET view), operation ids, and the links from a
    created artifact to the operations on it."""
    type_name = {"in": "path", "name": "type_name", "required": True,
                 "schema": {"type": "string", "enum": [*registry, "all"]},
                 "description": "An enabled artifact type, or 'all' (read-only)."}
    for path, item in api.spec._paths.items():
        for parameter in item.get("parameters", []):
            if parameter.get("name") == "type_name" and parameter.get("in") == "path":
                parameter.update(type_name)
        if path.endswith("/{blob_path}"):
            item["head"] = {**download_doc(head=True), "tags": item["get"].get("tags", []),
                            "summary": "Blob data's headers, without the data"}
        for method, operation in item.items():
            if (path, method) in OPERATION_IDS:
                operation["operationId"] = OPERATION_IDS[path, method]
    created = api.spec._paths["/artifacts/{type_name}"]["post"]["responses"]["201"]
    created["links"] = {target: {
        "operationId": target,
        "parameters": {"type_name": "$request.path.type_name",
                       "artifact_id": "$response.body#/id"},
    } for target in _CREATED_ARTIFACT_LINKS}


def _no_null_default_unless_nullable(converter: Any, field: ma.fields.Field,
                                     ret: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Field metadata carries Glare's ``default``; ``null`` is no default for a field
    that cannot be null (the server fills it in), and OpenAPI 3.0 refuses it there."""
    if ret.get("default", ...) is None and not ret.get("nullable"):
        del ret["default"]
    return {}
