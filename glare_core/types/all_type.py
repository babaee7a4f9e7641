"""The read-only ``all`` pseudo-type: base fields of every enabled type, plus ``type_name``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from marshmallow import validate

from glare_core.types import fields as f
from glare_core.types.base import BASE_FIELD_NAMES, BaseArtifactSchema
from glare_core.types.spec import build_field_specs

if TYPE_CHECKING:
    from glare_core.types.base import ArtifactType


class AllArtifactsSchema(BaseArtifactSchema):
    type_name = f.String(
        system=True,
        required_on_activate=False,
        sortable=True,
        filter_ops=("like", "eq", "neq", "in"),
        validate=[validate.Length(max=255)],
        description="Name of the artifact's type.",
    )


class AllArtifacts:
    """Behaves like an ArtifactType for reads; the engine refuses every write on it."""

    name: ClassVar[str] = "all"
    display_name: ClassVar[str] = "All Artifacts"
    version: ClassVar[str] = "1.0"
    schema: ClassVar[type[BaseArtifactSchema]] = AllArtifactsSchema
    is_pseudo: ClassVar[bool] = True

    def __init__(self, types: Mapping[str, ArtifactType]) -> None:
        self.types = types
        self.config: dict[str, Any] = {}
        self.fields = build_field_specs(
            AllArtifactsSchema._declared_fields,
            base_names=BASE_FIELD_NAMES | {"type_name"},
            owner="all",
        )

    @property
    def type_name(self) -> str:
        return self.name

    @property
    def blob_fields(self) -> dict:
        return {}

    @property
    def type_fields(self) -> dict:
        return {}

    def format_output(self, values: dict[str, Any]) -> dict[str, Any]:
        concrete = self.types.get(values.get("type_name", ""))
        return concrete.format_all(values) if concrete is not None else values
