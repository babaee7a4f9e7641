"""Calling plugin hooks from the engine, with the contract's error rules.

Pre-hooks veto by raising (errors propagate to the client); post-hooks and notifications
run after the change is committed, so their errors are logged and never undo anything.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

import pluggy

from glare_core.auth.context import RequestContext

log = logging.getLogger(__name__)

# Fields of the notification payload (contract §25).
PAYLOAD_FIELDS = ("id", "name", "version", "description", "visibility", "status", "owner",
                  "created_at", "updated_at", "activated_at")


class HookRunner:
    def __init__(self, pm: pluggy.PluginManager) -> None:
        self.pm = pm

    def pre(self, verb: str, artifact_type: Any, artifact: dict, changes: dict,
            context: RequestContext, **extra: Any) -> dict:
        """Run ``glare_artifact_pre_<verb>``; return the (possibly edited) ``changes``."""
        hook = getattr(self.pm.hook, f"glare_artifact_pre_{verb}")
        hook(artifact_type=artifact_type, artifact=copy.deepcopy(artifact), changes=changes,
             context=context, **extra)
        return changes

    def post(self, verb: str, artifact_type: Any, artifact: dict, context: RequestContext) -> None:
        hook = getattr(self.pm.hook, f"glare_artifact_post_{verb}")
        try:
            hook(artifact_type=artifact_type, artifact=copy.deepcopy(artifact), context=context)
        except Exception:
            log.exception("post-%s hook failed for artifact %s", verb, artifact.get("id"))

    def notify(self, action: str, payload: Any, context: RequestContext) -> None:
        try:
            self.pm.hook.glare_notify(
                event_type=f"artifact.{action}", payload=payload, context=context
            )
        except Exception:
            log.exception("notification artifact.%s failed", action)


def artifact_payload(type_name: str, artifact: dict) -> dict[str, Any]:
    payload: dict[str, Any] = {"type": type_name}
    for name in PAYLOAD_FIELDS:
        value = artifact.get(name)
        payload[name] = value.isoformat() if hasattr(value, "isoformat") else value
    return payload
