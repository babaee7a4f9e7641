"""Routes of ``/quotas`` (admin: set and list every project's quotas) and
``/project-quotas[/{project_id}]`` (a project's effective quotas)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from glare_core.api import docs
from glare_core.api.bodies import read_json, require_media_type
from glare_core.api.responses import json_response
from glare_core.api.transport import current_context, reject_body
from glare_core.engine.hooks import HookRunner
from glare_core.engine.quotas import QuotaService, target_project

blp = Blueprint("quotas", __name__, description="Per-project quotas.")


def quota_service() -> QuotaService:
    return current_app.extensions["glare"].quotas


def authorize(action: str, target: dict[str, Any]) -> None:
    current_app.extensions["glare"].policy.authorize(action, target, current_context())


@blp.route("/quotas")
class Quotas(MethodView):
    @blp.doc(**docs.quotas_doc())
    def get(self) -> Any:
        """Every project's stored quotas and the configured (global) ones (admin)"""
        reject_body()
        authorize("artifact:list_all_quotas", {})
        return json_response(quota_service().all_quotas())

    @blp.doc(**docs.set_quotas_doc())
    def put(self) -> Any:
        """Replace the quotas of the listed projects (admin)

        Body: ``[{"project_id": "...", "project_quotas": [{"quota_name":
        "max_artifact_number[:<type>]" | "max_uploaded_data[:<type>]", "quota_value": N}]}]``
        with N ≥ -1 (-1: unlimited). Answers the stored quotas of those projects.
        """
        require_media_type("application/json")
        body = read_json()
        authorize("artifact:set_quotas", {})
        values = quota_service().parse_quotas(body)
        stored = quota_service().set_quotas(values)
        hooks: HookRunner = current_app.extensions["glare"].service.hooks
        hooks.notify("set_quotas", stored, current_context())
        return json_response(stored)


@blp.route("/project-quotas", defaults={"project_id": None})
@blp.route("/project-quotas/<project_id>")
class ProjectQuotas(MethodView):
    @blp.doc(**docs.project_quotas_doc())
    def get(self, project_id: str | None) -> Any:
        """A project's effective quotas (its own rows over the configured values)"""
        reject_body()
        project = target_project(current_context(), project_id)
        authorize("artifact:list_project_quotas", {"project_id": project})
        return json_response(quota_service().project_quotas(project))
