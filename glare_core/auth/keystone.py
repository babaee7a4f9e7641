"""Keystone authentication: keystonemiddleware's ``auth_token`` around the Flask WSGI app.

The middleware validates ``X-Auth-Token`` against Keystone and replaces whatever identity
headers the client sent with the validated ones (``X-Identity-Status``, ``X-User-Id``,
``X-Project-Id``, ``X-Roles``, ``X-Service-Catalog``); Glare then builds the request context
from those headers exactly as in ``noauth`` mode. No paste files are involved: the
middleware options come from ``GLARE_KEYSTONE`` (the ``[keystone]`` table of the config
file), with the names of keystonemiddleware's ``[keystone_authtoken]`` options.

keystonemiddleware is an optional dependency (``pip install 'glare-core[keystone]'``): it
is imported only when a Keystone-authenticated app is built.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from glare_core.errors import StartupError

# Glare decides about requests without a valid token itself (401, or anonymous read).
FORCED_OPTIONS = {"delay_auth_decision": True}
REQUIRED_OPTIONS = ("auth_url",)
INSTALL_HINT = "pip install 'glare-core[keystone]'"


def wrap_with_auth_token(wsgi_app: Any, options: Mapping[str, Any]) -> Any:
    """Return ``wsgi_app`` behind keystonemiddleware's auth_token with ``options``."""
    missing = [name for name in REQUIRED_OPTIONS if not options.get(name)]
    if missing:
        raise StartupError(
            f"GLARE_AUTH_STRATEGY=keystone needs GLARE_KEYSTONE with {', '.join(missing)} "
            "(and the service credentials: auth_type, username, password, project_name, ...)"
        )
    try:
        from keystonemiddleware.auth_token import AuthProtocol
    except ImportError as exc:
        raise StartupError(
            f"GLARE_AUTH_STRATEGY=keystone needs keystonemiddleware, which cannot be "
            f"imported ({exc}): {INSTALL_HINT}"
        ) from None

    # Options set to null mean "not set" (the middleware's default applies).
    conf = {key: _as_text(value) for key, value in options.items() if value is not None}
    conf.update({key: _as_text(value) for key, value in FORCED_OPTIONS.items()})
    conf.setdefault("auth_type", "password")
    conf.setdefault("log_name", "glare.keystone")
    _quiet_about_plugin_options(conf["auth_type"])
    return AuthProtocol(wsgi_app, {**conf, "oslo_config_config": _private_oslo_config()})


def _private_oslo_config() -> Any:
    """An oslo.config object of this middleware's own, reading no file: the middleware
    registers its auth plugin's options on it, and two apps in one process (tests, or
    one per configuration) may use different plugins, whose options clash by name."""
    from oslo_config import cfg

    private = cfg.ConfigOpts()
    private([], project=None, default_config_files=[])
    return private


#: Read by the middleware itself or by its loader, though not among its declared options.
_MIDDLEWARE_EXTRAS = frozenset({"auth_type", "auth_section", "log_name"})


class _PluginOptionsFilter(logging.Filter):
    """Drops keystonemiddleware's "option not known" warning for options that are known
    after all: those of the auth plugin (``auth_url``, ``username``...), which it loads
    later, and ``log_name``. Any other unknown option (a typo) is still reported."""

    def __init__(self, known: frozenset[str]) -> None:
        super().__init__()
        self.known = known

    def filter(self, record: logging.LogRecord) -> bool:
        unknown = "is not known to keystonemiddleware" in str(record.msg)
        return not (unknown and record.args and record.args[0] in self.known)


def _quiet_about_plugin_options(auth_type: str) -> None:
    from keystoneauth1 import loading

    try:
        plugin_options = loading.get_plugin_loader(auth_type).get_options()
    except Exception as exc:  # an unknown plugin: keystonemiddleware reports it
        logging.getLogger(__name__).debug("no options for auth_type %s: %s", auth_type, exc)
        plugin_options = []
    known = _MIDDLEWARE_EXTRAS | {name for option in plugin_options
                                  for name in (option.dest, option.name)}
    logger = logging.getLogger("keystonemiddleware._common.config")
    for old in [f for f in logger.filters if isinstance(f, _PluginOptionsFilter)]:
        logger.removeFilter(old)
    logger.addFilter(_PluginOptionsFilter(frozenset(known)))


def _as_text(value: Any) -> str:
    # Paste-style options are strings; keystonemiddleware parses them with oslo.config.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)
