"""Routes of ``/schemas``: the JSON-Schema of every enabled type (computed at start-up)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from glare_core.api import docs
from glare_core.api.responses import SCHEMA_TYPE, json_response
from glare_core.api.transport import current_context, current_engine, reject_body

blp = Blueprint("schemas", __name__, description="JSON-Schemas of the artifact types.")


@blp.route("/schemas")
class SchemaCollection(MethodView):
    @blp.doc(**docs.schemas_doc())
    def get(self) -> Any:
        """JSON-Schemas of all enabled types (including ``all``)"""
        reject_body()
        schemas = current_engine().catalog.all_schemas(current_context())
        return json_response({"schemas": schemas}, content_type=SCHEMA_TYPE)


@blp.route("/schemas/<type_name>")
class SchemaItem(MethodView):
    @blp.doc(**docs.schemas_doc())
    def get(self, type_name: str) -> Any:
        """JSON-Schema of one type"""
        reject_body()
        schema = current_engine().catalog.schema(current_context(), type_name)
        return json_response({"schemas": schema}, content_type=SCHEMA_TYPE)
