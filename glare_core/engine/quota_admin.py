"""``QuotaAdmin``: the quota API's actions, authorized and announced here (the views only
translate HTTP): every project's quotas (admin), replacing some (admin, ``set_quotas``
notification), and one project's effective quotas."""

from __future__ import annotations

from typing import Any

from glare_core.auth.context import RequestContext
from glare_core.auth.policy import Policy
from glare_core.engine.hooks import EngineHooks
from glare_core.engine.quotas import QuotaService, target_project


class QuotaAdmin:
    def __init__(self, quotas: QuotaService, *, policy: Policy, hooks: EngineHooks) -> None:
        self.quotas = quotas
        self.policy = policy
        self.hooks = hooks

    def all_quotas(self, context: RequestContext) -> dict[str, Any]:
        """Every project's stored quotas and the configured (global) ones."""
        self.policy.authorize("artifact:list_all_quotas", {}, context)
        return self.quotas.all_quotas()

    def set_quotas(self, context: RequestContext, body: Any) -> list[dict[str, Any]]:
        """Replace the quotas of the projects a ``PUT /quotas`` body lists; return them."""
        self.policy.authorize("artifact:set_quotas", {}, context)
        stored = self.quotas.set_quotas(self.quotas.parse_quotas(body))
        self.hooks.notify("set_quotas", stored, context)
        return stored

    def project_quotas(self, context: RequestContext,
                       project_id: str | None) -> list[dict[str, Any]]:
        """A project's effective quotas (the caller's own project when None)."""
        project = target_project(context, project_id)
        self.policy.authorize("artifact:list_project_quotas", {"project_id": project}, context)
        return self.quotas.project_quotas(project)
