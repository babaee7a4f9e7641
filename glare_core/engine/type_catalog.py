"""``TypeCatalog``: what the server offers, for callers allowed to see it
(``artifact:type_list``): the loaded plugins and the types they serve, and the types'
JSON-Schemas (computed once at start-up)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from glare_core.auth.context import RequestContext
from glare_core.auth.policy import Policy
from glare_core.plugins.manager import PluginInfo
from glare_core.types.registry import TypeRegistry


class TypeCatalog:
    def __init__(self, *, registry: TypeRegistry, policy: Policy,
                 plugins: Sequence[PluginInfo], type_plugins: Mapping[str, str],
                 schemas: Mapping[str, Any]) -> None:
        self.registry = registry
        self.policy = policy
        self.plugins = plugins
        self.type_plugins = type_plugins
        self.schemas = schemas

    def plugins_document(self, context: RequestContext) -> dict[str, Any]:
        """The loaded plugins with their versions, and the artifact types served."""
        self.policy.authorize("artifact:type_list", {}, context)
        return {
            "plugins": [
                {"name": p.name, "distribution": p.distribution, "version": p.version,
                 "builtin": p.builtin}
                for p in self.plugins
            ],
            "types": [
                {"name": t.type_name, "display_name": t.display_name, "version": type(t).version,
                 "plugin": self.type_plugins.get(t.type_name)}
                for t in self.registry.values()
            ],
        }

    def all_schemas(self, context: RequestContext) -> Mapping[str, Any]:
        """JSON-Schemas of every enabled type and of ``all``."""
        self.policy.authorize("artifact:type_list", {}, context)
        return self.schemas

    def schema(self, context: RequestContext, type_name: str) -> dict[str, Any]:
        """``{type name: JSON-Schema}`` of the type a path names."""
        schemas = self.all_schemas(context)
        artifact_type = self.registry.resolve(type_name)
        return {artifact_type.type_name: schemas[artifact_type.type_name]}
