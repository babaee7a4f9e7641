"""Routes of ``/quotas`` (admin: set and list every project's quotas) and
``/project-quotas[/{project_id}]`` (a project's effective quotas). The engine's
``QuotaAdmin`` authorizes and notifies; these views only translate HTTP."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from glare_core.api import docs
from glare_core.api.bodies import read_json, require_media_type
from glare_core.api.responses import json_response
from glare_core.api.transport import current_context, current_engine, reject_body

blp = Blueprint("quotas", __name__, description="Per-project quotas.")


@blp.route("/quotas")
class Quotas(MethodView):
    @blp.doc(**docs.quotas_doc())
    def get(self) -> Any:
        """Every project's stored quotas and the configured (global) ones (admin)"""
        reject_body()
        return json_response(current_engine().quota_admin.all_quotas(current_context()))

    @blp.doc(**docs.set_quotas_doc())
    def put(self) -> Any:
        """Replace the quotas of the listed projects (admin)

        Body: ``[{"project_id": "...", "project_quotas": [{"quota_name":
        "max_artifact_number[:<type>]" | "max_uploaded_data[:<type>]", "quota_value": N}]}]``
        with N ≥ -1 (-1: unlimited). Answers the stored quotas of those projects.
        """
        require_media_type("application/json")
        body = read_json()
        return json_response(current_engine().quota_admin.set_quotas(current_context(), body))


@blp.route("/project-quotas", defaults={"project_id": None})
@blp.route("/project-quotas/<project_id>")
class ProjectQuotas(MethodView):
    @blp.doc(**docs.project_quotas_doc())
    def get(self, project_id: str | None) -> Any:
        """A project's effective quotas (its own rows over the configured values)"""
        reject_body()
        return json_response(
            current_engine().quota_admin.project_quotas(current_context(), project_id))
