"""Keystone authentication: keystonemiddleware's ``auth_token`` around the Flask WSGI app.

The middleware validates ``X-Auth-Token`` against Keystone and replaces whatever identity
headers the client sent with the validated ones (``X-Identity-Status``, ``X-User-Id``,
``X-Project-Id``, ``X-Roles``, ``X-Service-Catalog``); Glare then builds the request context
from those headers exactly as in ``noauth`` mode. No paste files are involved: the
middleware options come from ``GLARE_KEYSTONE`` (the ``[keystone]`` table of the config
file), with the names of keystonemiddleware's ``[keystone_authtoken]`` options.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from glare_core.errors import StartupError

# Glare decides about requests without a valid token itself (401, or anonymous read).
FORCED_OPTIONS = {"delay_auth_decision": True}
REQUIRED_OPTIONS = ("auth_url",)


def wrap_with_auth_token(wsgi_app: Any, options: Mapping[str, Any]) -> Any:
    """Return ``wsgi_app`` behind keystonemiddleware's auth_token with ``options``."""
    missing = [name for name in REQUIRED_OPTIONS if not options.get(name)]
    if missing:
        raise StartupError(
            f"GLARE_AUTH_STRATEGY=keystone needs GLARE_KEYSTONE with {', '.join(missing)} "
            "(and the service credentials: auth_type, username, password, project_name, ...)"
        )
    from keystonemiddleware.auth_token import AuthProtocol

    # Options set to null mean "not set" (the middleware's default applies).
    conf = {key: _as_text(value) for key, value in options.items() if value is not None}
    conf.update({key: _as_text(value) for key, value in FORCED_OPTIONS.items()})
    conf.setdefault("auth_type", "password")
    conf.setdefault("log_name", "glare.keystone")
    return AuthProtocol(wsgi_app, conf)


def _as_text(value: Any) -> str:
    # Paste-style options are strings; keystonemiddleware parses them with oslo.config.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)
