"""The ``murano_packages`` artifact type, registered through the ``glare.plugins`` entry
point ``murano``."""

from __future__ import annotations

from typing import Any

from glare_core.plugin import ArtifactType, hookimpl
from glare_murano.types import MuranoPackage

__all__ = ["MuranoPackage"]


@hookimpl
def glare_register_artifact_types(app: Any) -> list[type[ArtifactType]]:
    return [MuranoPackage]
