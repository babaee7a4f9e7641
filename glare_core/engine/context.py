"""``EngineContext``: what every engine operation shares, built once by the composition
root (``glare_core.assembly``): the types, their data APIs, policy, hooks, locks, quotas,
the clock and the settings.

It also answers the two questions every operation starts with: which type a path names
(``writable_type`` keeps the read-only ``all`` pseudo-type out of every write) and which
stored record an id names (``find``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from glare_core.auth.policy import Policy
from glare_core.data.api import DataAPI
from glare_core.data.ports import Clock
from glare_core.engine.hooks import EngineHooks
from glare_core.engine.locking import Locker
from glare_core.engine.quotas import QuotaService
from glare_core.errors import Forbidden
from glare_core.types.base import ArtifactType
from glare_core.types.registry import TypeRegistry


@dataclass(frozen=True)
class EngineSettings:
    default_limit: int = 25
    max_limit: int = 1000
    delayed_delete: bool = False
    type_settings: Mapping[str, Mapping[str, Any]] | None = None

    def delayed_delete_for(self, artifact_type: ArtifactType) -> bool:
        configured = (self.type_settings or {}).get(artifact_type.type_name, {})
        if configured.get("delayed_delete") is not None:
            return bool(configured["delayed_delete"])
        if type(artifact_type).delayed_delete is not None:
            return bool(type(artifact_type).delayed_delete)
        return self.delayed_delete


@dataclass
class EngineContext:
    registry: TypeRegistry
    data_apis: Mapping[str, DataAPI]
    policy: Policy
    hooks: EngineHooks
    locker: Locker
    quotas: QuotaService
    clock: Clock
    settings: EngineSettings

    def readable_type(self, type_name: str) -> Any:
        """The type a read names: an enabled type or ``all`` (404 otherwise)."""
        return self.registry.resolve(type_name)

    def writable_type(self, type_name: str) -> ArtifactType:
        """The type a write names: an enabled type; ``all`` is read-only (403)."""
        artifact_type = self.registry.resolve(type_name)
        if artifact_type is self.registry.all_type:
            raise Forbidden("The 'all' type is read-only")
        return artifact_type

    def data_api(self, artifact_type: ArtifactType) -> DataAPI:
        return self.data_apis[artifact_type.type_name]

    def find(self, artifact_id: str, artifact_type: Any = None) -> dict[str, Any] | None:
        """The record with this id, of the given type (None or ``all``: of any type)."""
        if artifact_type is not None and artifact_type is not self.registry.all_type:
            artifact = self.data_apis[artifact_type.type_name].get(artifact_id)
            if artifact is None or artifact["type_name"] != artifact_type.type_name:
                return None
            return artifact
        for data_api in self.distinct_apis():
            artifact = data_api.get(artifact_id)
            if artifact is not None and artifact["type_name"] in self.registry:
                return artifact
        return None

    def distinct_apis(self) -> list[DataAPI]:
        """Each data API once (several types may share one)."""
        seen: dict[int, DataAPI] = {}
        for data_api in self.data_apis.values():
            seen.setdefault(id(data_api), data_api)
        return list(seen.values())
