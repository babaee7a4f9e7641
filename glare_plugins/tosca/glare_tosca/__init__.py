"""The ``tosca_templates`` artifact type, registered through the ``glare.plugins`` entry
point ``tosca``."""

from __future__ import annotations

from typing import Any

from glare_core.plugin import ArtifactType, hookimpl
from glare_tosca.types import ToscaTemplate

__all__ = ["ToscaTemplate"]


@hookimpl
def glare_register_artifact_types(app: Any) -> list[type[ArtifactType]]:
    return [ToscaTemplate]
