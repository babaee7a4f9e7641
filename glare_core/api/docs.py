"""OpenAPI documentation of the generic routes: each operation's parameters, request
body and responses (the views' ``@blp.doc``), and what the routes' decorators cannot say
(``finish_paths``).

The shapes come from ``api/openapi_shapes.py``, the shared components (the error
envelope, the per-type artifact schemas, the security schemes) from
``api/openapi_components.py``; the names the views and the app factory use are
re-exported here.
"""

from __future__ import annotations

from typing import Any

from flask_smorest import Api

from glare_core.api.openapi_components import ERROR_RESPONSES
from glare_core.api.openapi_shapes import (
    API_VERSION,
    BINARY,
    BLOB_ETAG,
    BLOB_PATH,
    CHECKSUM_HEADERS,
    ETAG,
    JSON,
    LOCATION_BODY,
    LOCATION_MEDIA_TYPE,
    PATCH_MEDIA_TYPE,
    PLUGINS_SCHEMA,
    QUOTA_ITEMS,
    REQUEST_ID,
    SCHEMA_MEDIA_TYPE,
    SCHEMAS_SCHEMA,
    VERSIONS_SCHEMA,
    content,
    header,
    ref,
    response_header,
)
from glare_core.types.registry import TypeRegistry

__all__ = ["BLOB_PATH", "LOCATION_MEDIA_TYPE", "PATCH_MEDIA_TYPE", "finish_paths"]


def ok(description: str, schema: dict[str, Any] | None = None, *, media: str = JSON,
       versioned: bool = True, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    """A success response: its body (if any) and the headers it always carries."""
    all_headers = {"x-openstack-request-id": REQUEST_ID}
    if versioned:
        all_headers["OpenStack-API-Version"] = API_VERSION
    all_headers.update(headers or {})
    response: dict[str, Any] = {"description": description, "headers": all_headers}
    if schema is not None:
        response.update(content(schema, media))
    return response


def errors(*codes: int) -> dict[str, Any]:
    """References to the shared error responses (every one is the §5.1 envelope)."""
    return {str(code): {"$ref": f"#/components/responses/{ERROR_RESPONSES[code][0]}"}
            for code in codes}


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
        "responses": {"200": ok("One page", ref("ArtifactList")),
                      **errors(*COMMON, 403, 404)},
    }


def create_doc() -> dict[str, Any]:
    return {
        "requestBody": {"required": True, **content(ref("ArtifactCreate"))},
        "responses": {"201": ok("Created", ref("Artifact"), headers={"ETag": ETAG}),
                      **errors(*WITH_BODY, 403, 404, 409)},
    }


def show_doc() -> dict[str, Any]:
    return {"parameters": [header("If-None-Match", "ETags held by the client: 304 when "
                                                    "one matches.")],
            "responses": {"200": ok("The artifact", ref("Artifact"), headers={"ETag": ETAG}),
                          "304": ok("Not modified (If-None-Match)", headers={"ETag": ETAG}),
                          **errors(*COMMON, 404)}}


def update_doc() -> dict[str, Any]:
    return {
        "parameters": [header("If-Match", "The artifact's ETag: 412 when it changed.")],
        "requestBody": {"required": True, **content(ref("ArtifactPatch"), PATCH_MEDIA_TYPE)},
        "responses": {"200": ok("Updated", ref("Artifact"), headers={"ETag": ETAG}),
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
            "content": {LOCATION_MEDIA_TYPE: {"schema": LOCATION_BODY},
                        "*/*": {"schema": BINARY}},
        },
        "responses": {"200": ok("The artifact", ref("Artifact"), headers={"ETag": ETAG}),
                      **errors(*WITH_BODY, 403, 404, 409, 503, 507)},
    }


_BLOB_HEADERS = {**CHECKSUM_HEADERS, "ETag": BLOB_ETAG}


def download_doc(*, head: bool = False) -> dict[str, Any]:
    """GET (the data) or HEAD (the same headers, no body)."""
    data = None if head else BINARY
    media = "*/*"
    content_range = response_header("bytes first-last/size")
    return {
        "parameters": [
            header("Range", "One byte range, bytes=first-[last] or bytes=-suffix: 206 or "
                             "416."),
            header("If-Range", "The blob's ETag: the Range applies only while it matches."),
            header("If-None-Match", "ETags held by the client: 304 when one matches."),
            header("If-Match", "The blob's ETag (or *): 412 when it does not match."),
        ],
        "responses": {
            "200": ok("The data, with the blob's own Content-Type", data, media=media,
                      headers=_BLOB_HEADERS),
            "206": ok("A byte range of the data", data, media=media,
                      headers={**_BLOB_HEADERS, "Content-Range": content_range}),
            "301": ok("An external location: the Location header has its URL",
                      headers={**CHECKSUM_HEADERS, "Location": response_header("The URL.")}),
            "304": ok("Not modified (If-None-Match)", headers=_BLOB_HEADERS),
            **errors(*COMMON, 403, 404, 409, 412, 503),
            "416": {**errors(416)["416"]},
        }}


def delete_blob_doc() -> dict[str, Any]:
    return {"responses": {"200": ok("The artifact", ref("Artifact"), headers={"ETag": ETAG}),
                          **errors(*COMMON, 403, 404, 409)}}


def quotas_doc() -> dict[str, Any]:
    return {"responses": {
        "200": ok("Stored and configured quotas", {
            "type": "object", "required": ["quotas", "global_quotas"],
            "properties": {"quotas": {"type": "array", "items": QUOTA_ITEMS},
                           "global_quotas": {"type": "object", "additionalProperties": {
                               "type": "integer"}}}}),
        **errors(*COMMON, 403)}}


def set_quotas_doc() -> dict[str, Any]:
    return {"requestBody": {"required": True, **content(ref("QuotasUpdate"))},
            "responses": {"200": ok("The stored quotas of those projects",
                                    {"type": "array", "items": QUOTA_ITEMS}),
                          **errors(*WITH_BODY, 403)}}


def project_quotas_doc() -> dict[str, Any]:
    return {"responses": {"200": ok("Effective quotas", {"type": "array", "items": QUOTA_ITEMS,
                                                         "minItems": 1, "maxItems": 1}),
                          **errors(*COMMON, 403)}}


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
