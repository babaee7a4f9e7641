"""Routes of ``/schemas``: the JSON-Schema of every enabled type (computed at start-up)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from glare_core.api import docs
from glare_core.api.responses import SCHEMA_TYPE, json_response
from glare_core.api.transport import current_context, reject_body

blp = Blueprint("schemas", __name__, description="JSON-Schemas of the artifact types.")


def _authorized_schemas() -> dict[str, Any]:
    state = current_app.extensions["glare"]
    state.policy.authorize("artifact:type_list", {}, current_context())
    return state.schemas


@blp.route("/schemas")
class SchemaCollection(MethodView):
    @blp.doc(**docs.schemas_doc())
    def get(self) -> Any:
        """JSON-Schemas of all enabled types (including ``all``)"""
        reject_body()
        return json_response({"schemas": _authorized_schemas()}, content_type=SCHEMA_TYPE)


@blp.route("/schemas/<type_name>")
class SchemaItem(MethodView):
    @blp.doc(**docs.schemas_doc())
    def get(self, type_name: str) -> Any:
        """JSON-Schema of one type"""
        reject_body()
        schemas = _authorized_schemas()
        artifact_type = current_app.extensions["glare"].registry.resolve(type_name)
        return json_response(
            {"schemas": {artifact_type.type_name: schemas[artifact_type.type_name]}},
            content_type=SCHEMA_TYPE,
        )
