"""Heat artifact types (``heat_templates``, ``heat_environments``), registered through the
``glare.plugins`` entry point ``heat``."""

from __future__ import annotations

from typing import Any

from glare_core.plugin import ArtifactType, hookimpl
from glare_heat.types import HeatEnvironment, HeatTemplate

__all__ = ["HeatEnvironment", "HeatTemplate"]


@hookimpl
def glare_register_artifact_types(app: Any) -> list[type[ArtifactType]]:
    return [HeatTemplate, HeatEnvironment]
