"""``HookRunner``: the one way Glare calls plugin hooks, with the contract's error rules.

* ``pre`` hooks run inside the artifact lock and veto by raising: their errors reach the
  client, and nothing is saved.
* ``chain`` hooks (``glare_blob_pre_upload``, ``glare_blob_post_download``) pass a value
  from one implementation to the next, each may replace it.
* ``post`` hooks and ``notify`` run after the change was committed. Each implementation is
  called on its own: one that fails is logged with its plugin's name and the others still
  run, so a type's failing ``post_activate`` cannot silence another plugin or the
  notification.
* ``collect`` gathers a start-up hook's results with the name of the plugin each came from.

Implementations are called in pluggy's order (``tryfirst`` first, the type's own methods
through the builtin ``type_dispatch`` plugin). Hook wrappers are honoured by ``pre`` (a
plain pluggy call) but not by ``chain``, ``post`` or ``notify``, which call implementations
one by one.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterator
from typing import Any

import pluggy

log = logging.getLogger("glare.plugins")


class HookRunner:
    def __init__(self, pm: pluggy.PluginManager) -> None:
        self.pm = pm

    def _impls(self, hook_name: str) -> Iterator[pluggy.HookImpl]:
        """The plain implementations of a hook, in the order pluggy calls them."""
        for impl in reversed(getattr(self.pm.hook, hook_name).get_hookimpls()):
            if not (impl.hookwrapper or impl.wrapper):
                yield impl

    @staticmethod
    def _call(impl: pluggy.HookImpl, arguments: dict[str, Any]) -> Any:
        return impl.function(*(arguments[name] for name in impl.argnames))

    def pre(self, hook_name: str, **arguments: Any) -> None:
        """Call every implementation; the first error propagates (a veto)."""
        getattr(self.pm.hook, hook_name)(**arguments)

    def chain(self, hook_name: str, name: str, value: Any, **arguments: Any) -> Any:
        """Call every implementation with ``name`` set to the previous one's result (None
        keeps the value); return the last value. Errors propagate."""
        for impl in self._impls(hook_name):
            result = self._call(impl, {**arguments, name: value})
            if result is not None:
                value = result
        return value

    def post(self, hook_name: str, **arguments: Any) -> None:
        """Call every implementation on its own; log (with the plugin's name) and go on
        past any that fails. ``artifact`` arguments are copied for each one."""
        for impl in self._impls(hook_name):
            own = dict(arguments)
            if "artifact" in own:
                own["artifact"] = copy.deepcopy(own["artifact"])
            try:
                self._call(impl, own)
            except Exception:
                log.exception("%s of plugin %s failed (ignored: the change was saved)",
                              hook_name, impl.plugin_name)

    def collect(self, hook_name: str, **arguments: Any) -> list[tuple[str, Any]]:
        """(plugin name, result) of every implementation in registration order, errors
        propagating (start-up: which plugin offered what)."""
        impls = getattr(self.pm.hook, hook_name).get_hookimpls()  # registration order
        return [(impl.plugin_name, self._call(impl, arguments))
                for impl in impls if not (impl.hookwrapper or impl.wrapper)]

    def first(self, hook_name: str, **arguments: Any) -> Any:
        """A ``firstresult`` hook's answer."""
        return getattr(self.pm.hook, hook_name)(**arguments)

    def all(self, hook_name: str, **arguments: Any) -> list[Any]:
        """Every implementation's non-None result (pluggy's plain call)."""
        return getattr(self.pm.hook, hook_name)(**arguments)
