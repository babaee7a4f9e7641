"""The ``secrets`` artifact type, registered through the ``glare.plugins`` entry point
``secrets``. It is off by default: enable it with ``GLARE_ENABLED_TYPES``."""

from __future__ import annotations

from typing import Any

from glare_core.plugin import ArtifactType, hookimpl
from glare_secrets.types import Secret

__all__ = ["Secret"]


@hookimpl
def glare_register_artifact_types(app: Any) -> list[type[ArtifactType]]:
    return [Secret]
