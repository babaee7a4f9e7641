"""Routes of ``/artifacts/{type}`` and ``/artifacts/{type}/{id}``: one generic path serves
every artifact type (and the read-only ``all`` pseudo-type)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from glare_core.api import docs
from glare_core.api.bodies import read_json, require_media_type
from glare_core.api.responses import json_response
from glare_core.api.serialize import render_artifact, render_page
from glare_core.api.transport import current_context, current_engine, reject_body
from glare_core.engine.artifacts import revision_tag
from glare_core.errors import BadRequest

blp = Blueprint(
    "artifacts",
    __name__,
    description="Artifacts of every enabled type: list, create, show, update, delete.",
)

PATCH_MEDIA_TYPE = docs.PATCH_MEDIA_TYPE


def query_params() -> list[tuple[str, str]]:
    """The query parameters in request order (repeated ones interleaved as sent)."""
    try:
        return parse_qsl(request.query_string.decode("latin-1"), keep_blank_values=True,
                         encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise BadRequest("The query string is not valid UTF-8") from None


def _artifact_response(artifact_type: Any, artifact: dict, status: int = 200) -> Any:
    response = json_response(render_artifact(artifact_type, artifact), status)
    response.headers["ETag"] = revision_tag(artifact)
    return response


@blp.route("/artifacts/<type_name>")
class ArtifactCollection(MethodView):
    @blp.doc(**docs.list_doc())
    def get(self, type_name: str) -> Any:
        """List artifacts of a type (filters, sort, pagination)

        Every query parameter other than ``limit``, ``marker`` and ``sort`` is a filter
        ``<field>[.<key>]=[and:|or:][op:]value`` with op in eq, neq, in, gt, gte, lt, lte,
        like; ``version=latest`` keeps only the highest version per name; ``tags`` and
        ``tags-any`` filter by tags.
        """
        reject_body()
        params = query_params()
        page = current_engine().reader.list(current_context(), type_name, params)
        return json_response(render_page(page, params))

    @blp.doc(**docs.create_doc())
    def post(self, type_name: str) -> Any:
        """Create an artifact (drafted, private, owned by the caller's project)"""
        require_media_type("application/json")
        body = read_json()
        if not isinstance(body, dict):
            raise BadRequest("The request body must be a JSON object")
        artifact = current_engine().artifacts.create(current_context(), type_name, body)
        artifact_type = current_app.extensions["glare"].registry.resolve(type_name)
        return _artifact_response(artifact_type, artifact, 201)


@blp.route("/artifacts/<type_name>/<artifact_id>")
class ArtifactItem(MethodView):
    @blp.doc(**docs.show_doc())
    def get(self, type_name: str, artifact_id: str) -> Any:
        """Show an artifact"""
        reject_body()
        artifact_type, artifact = current_engine().reader.get(current_context(), type_name,
                                                            artifact_id)
        tag = revision_tag(artifact)
        if tag in request.if_none_match:
            response = current_app.response_class(status=304)
            response.headers["ETag"] = tag
            return response
        return _artifact_response(artifact_type, artifact)

    @blp.doc(**docs.update_doc())
    def patch(self, type_name: str, artifact_id: str) -> Any:
        """Update an artifact with a JSON-patch: fields, status (lifecycle) and visibility"""
        require_media_type(PATCH_MEDIA_TYPE)
        operations = read_json()
        if_match = request.headers.get("If-Match")
        artifact = current_engine().artifacts.update(
            current_context(), type_name, artifact_id, operations, if_match=if_match
        )
        artifact_type = current_app.extensions["glare"].registry.resolve(type_name)
        return _artifact_response(artifact_type, artifact)

    @blp.doc(**docs.delete_doc())
    def delete(self, type_name: str, artifact_id: str) -> Any:
        """Delete an artifact"""
        reject_body()
        current_engine().artifacts.delete(current_context(), type_name, artifact_id)
        return current_app.response_class(status=204)
