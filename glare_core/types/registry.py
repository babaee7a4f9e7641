"""The type registry: which artifact types this server serves.

Built once at start-up from the ``glare_register_artifact_types`` hook and the operator's
allowlist. Duplicate names and unknown enabled names stop the start-up.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from glare_core.errors import StartupError, TypeDefinitionError, TypeNotFound
from glare_core.types.all_type import AllArtifacts
from glare_core.types.base import ArtifactType


class TypeRegistry(Mapping[str, ArtifactType]):
    """Enabled types by name (the ``all`` pseudo-type is separate: see ``all_type``)."""

    def __init__(self, types: Mapping[str, ArtifactType]) -> None:
        self._types = dict(types)
        self.all_type = AllArtifacts(self._types)

    def __getitem__(self, name: str) -> ArtifactType:
        return self._types[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._types)

    def __len__(self) -> int:
        return len(self._types)

    def resolve(self, name: str, *, allow_all: bool = True) -> ArtifactType:
        """The type serving URL segment ``name`` (404 ``TypeNotFound`` if none)."""
        if name == AllArtifacts.name and allow_all:
            return self.all_type
        try:
            return self._types[name]
        except KeyError:
            raise TypeNotFound(f"Artifact type '{name}' is not enabled on this server") from None

    @classmethod
    def build(
        cls,
        offered: Iterable[tuple[str, type[ArtifactType]]],
        *,
        enabled: Iterable[str] | None,
        type_config: Mapping[str, Mapping[str, Any]],
    ) -> TypeRegistry:
        """Instantiate the enabled types among those plugins offer.

        :param offered: (plugin name, type class) pairs from the registration hook.
        :param enabled: names to serve; None serves every type enabled by default.
        :param type_config: per-type settings (``GLARE_TYPES``).
        """
        by_name: dict[str, tuple[str, type[ArtifactType]]] = {}
        for plugin_name, type_cls in offered:
            if not (isinstance(type_cls, type) and issubclass(type_cls, ArtifactType)):
                raise StartupError(
                    f"Plugin '{plugin_name}' registered {type_cls!r}, which is not an "
                    "ArtifactType subclass"
                )
            if type_cls.name in by_name and by_name[type_cls.name][1] is not type_cls:
                other = by_name[type_cls.name][0]
                raise StartupError(
                    f"Artifact type '{type_cls.name}' is provided by both plugin '{other}' "
                    f"and plugin '{plugin_name}'; disable one of them"
                )
            by_name[type_cls.name] = (plugin_name, type_cls)
        if enabled is None:
            names = [n for n, (_, c) in by_name.items() if c.enabled_by_default]
        else:
            names = list(dict.fromkeys(enabled))
            unknown = [n for n in names if n not in by_name]
            if unknown:
                raise StartupError(
                    f"Enabled artifact types {unknown} are not provided by any installed "
                    f"plugin (available: {sorted(by_name)})"
                )
        types: dict[str, ArtifactType] = {}
        for name in sorted(names):
            plugin_name, type_cls = by_name[name]
            try:
                types[name] = type_cls(type_config.get(name, {}))
            except TypeDefinitionError as exc:
                raise StartupError(
                    f"Artifact type '{name}' from plugin '{plugin_name}' is invalid: {exc}"
                ) from exc
        return cls(types)
