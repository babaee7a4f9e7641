"""Builtin plugin: the default storage choice and the log-based notifier."""

from __future__ import annotations

import logging
from typing import Any

from glare_core.plugins.hookspecs import hookimpl

notifications_log = logging.getLogger("glare.notifications")


@hookimpl(trylast=True)
def glare_get_data_api(artifact_type: Any, app: Any) -> Any:
    factory = type(artifact_type).data_api_factory
    if factory is not None:
        return factory(app)
    return app.extensions["glare"].default_data_api


@hookimpl
def glare_notify(event_type: str, payload: Any, context: Any) -> None:
    notifications_log.info(
        "%s request_id=%s project=%s payload=%s",
        event_type, context.request_id, context.project_id, payload,
    )
