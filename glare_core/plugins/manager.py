"""Build the plugin manager: hookspecs, builtin plugins, explicit plugins, entry points.

Each app gets its own manager (no global state). Entry points of the group
``glare.plugins`` are loaded one by one so a plugin that fails to import stops the start-up
with an error that names it and says how to disable it.
"""

from __future__ import annotations

import importlib
import importlib.metadata as md
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pluggy

from glare_core.errors import StartupError
from glare_core.plugins import hookspecs

LOG = logging.getLogger("glare.plugins")
ENTRY_POINT_GROUP = "glare.plugins"
DEFAULT_PLUGINS = (
    "glare_core.plugins.type_dispatch",
    "glare_core.plugins.defaults",
    "glare_core.blobs.builtin",
)


@dataclass(frozen=True)
class PluginInfo:
    """What ``GET /-/plugins`` reports about one loaded plugin."""

    name: str
    distribution: str | None
    version: str | None
    builtin: bool


def make_plugin_manager(
    *,
    plugins: Iterable[Any] = (),
    autoload: bool = True,
    enabled: Iterable[str] | None = None,
    disabled: Iterable[str] = (),
) -> tuple[pluggy.PluginManager, list[PluginInfo]]:
    """Create a plugin manager and return it with the list of loaded plugins.

    :param plugins: extra plugin objects (modules or instances) to register, e.g. in tests.
    :param autoload: load plugins from the ``glare.plugins`` entry points.
    :param enabled: if given, only entry points with these names are loaded.
    :param disabled: entry point names never to load.
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    infos: list[PluginInfo] = []
    for module_name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(module_name), name=module_name)
        infos.append(PluginInfo(module_name, "glare-core", _core_version(), True))
    for plugin in plugins:
        name = getattr(plugin, "__name__", None) or type(plugin).__name__
        pm.register(plugin, name=name)
        infos.append(PluginInfo(name, None, None, False))
    if autoload:
        infos.extend(_load_entry_points(pm, enabled, set(disabled)))
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise StartupError(f"A plugin implements an unknown hook: {exc}") from exc
    return pm, infos


def _load_entry_points(
    pm: pluggy.PluginManager, enabled: Iterable[str] | None, disabled: set[str]
) -> list[PluginInfo]:
    allow = set(enabled) if enabled is not None else None
    entry_points = sorted(md.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name)
    _check_names(allow, disabled, {ep.name for ep in entry_points})
    infos = []
    for ep in entry_points:
        if ep.name in disabled or (allow is not None and ep.name not in allow):
            continue
        if pm.get_plugin(ep.name) is not None:
            continue
        dist = ep.dist
        where = f"plugin '{ep.name}'" + (f" (from {dist.name} {dist.version})" if dist else "")
        try:
            plugin = ep.load()
        except Exception as exc:
            raise StartupError(
                f"Cannot load {where}: {type(exc).__name__}: {exc}. Fix or uninstall the "
                f"package, or disable it with GLARE_DISABLED_PLUGINS={ep.name}"
            ) from exc
        try:
            pm.register(plugin, name=ep.name)
        except (pluggy.PluginValidationError, ValueError) as exc:
            raise StartupError(
                f"Cannot register {where}: {exc}. Disable it with "
                f"GLARE_DISABLED_PLUGINS={ep.name}"
            ) from exc
        infos.append(
            PluginInfo(ep.name, dist.name if dist else None, dist.version if dist else None, False)
        )
    return infos


def _check_names(enabled: set[str] | None, disabled: set[str], installed: set[str]) -> None:
    """A plugin enabled by name must be installed (else the start-up stops, as for enabled
    types); a disabled name that matches nothing is only worth a warning (a config shared
    by hosts with different plugins), but it is often a typo."""
    if enabled is not None and (missing := sorted(enabled - installed)):
        raise StartupError(
            f"Enabled plugins {missing} are not installed (installed: "
            f"{', '.join(sorted(installed)) or 'none'}); check GLARE_ENABLED_PLUGINS"
        )
    if unknown := sorted(disabled - installed):
        LOG.warning("GLARE_DISABLED_PLUGINS names plugins that are not installed: %s "
                    "(installed: %s)", ", ".join(unknown), ", ".join(sorted(installed)))


def _core_version() -> str:
    from glare_core import __version__

    return __version__
