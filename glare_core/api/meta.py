"""Service routes: the versions document, the health check and the plugin list."""

from __future__ import annotations

import os
from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from glare_core.api import docs
from glare_core.api.responses import json_response
from glare_core.api.transport import current_context, current_engine, reject_body
from glare_core.api.versions import versions_document

blp = Blueprint("meta", __name__, description="Service information.")


@blp.route("/", endpoint="root")
@blp.route("/versions", endpoint="versions")
@blp.doc(security=[], **docs.versions_doc())  # no identity needed
def versions() -> Any:
    """The supported API versions (300 Multiple Choices)"""
    body = versions_document(current_app.config.get("GLARE_PUBLIC_ENDPOINT"))
    return json_response(body, 300, content_type="application/json")


@blp.route("/healthcheck", endpoint="healthcheck")
@blp.doc(security=[], **docs.healthcheck_doc())
def healthcheck() -> Any:
    """Liveness: 200 OK, or 503 while the operator's disable file exists"""
    disable_file = current_app.config.get("GLARE_HEALTHCHECK_DISABLE_FILE")
    if disable_file and os.path.exists(disable_file):
        return current_app.response_class("DISABLED BY FILE", status=503, mimetype="text/plain")
    return current_app.response_class("OK", status=200, mimetype="text/plain")


@blp.route("/-/plugins")
class Plugins(MethodView):
    @blp.doc(**docs.plugins_doc())
    def get(self) -> Any:
        """Loaded plugins with their versions, and the artifact types served"""
        reject_body()
        return json_response(current_engine().catalog.plugins_document(current_context()))
