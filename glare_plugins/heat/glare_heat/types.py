"""``heat_templates`` and ``heat_environments`` (contract §29.2, §29.3).

Uploads are checked while they stream: the body passes through unchanged, a copy bounded by
the field's size limit is parsed at the end, and a body that is not a Heat template (or
environment) is refused with 400 before the upload completes, so the blob is rolled back.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from glare_core.plugin import (
    MIB,
    ArtifactType,
    BaseArtifactSchema,
    LinksTo,
    fields,
    validate_after_stream,
)
from glare_heat.checks import check_environment, check_template

# The most bytes of one template or environment kept in memory for the check.
DOCUMENT_LIMIT = 10 * MIB



class HeatTemplateSchema(BaseArtifactSchema):
    template = fields.Blob(
        required_on_activate=True, max_blob_size=DOCUMENT_LIMIT,
        description="The template body (HOT or CloudFormation format, YAML or JSON).",
    )
    nested_templates = fields.Folder(
        required_on_activate=True, max_blob_size=DOCUMENT_LIMIT,
        description="Nested templates, keyed by the name the template uses for them.",
    )
    environments = fields.Dict(
        fields.Link(validate=[LinksTo("heat_environments")]),
        mutable=True, filter_ops=("eq", "neq"),
        description="Environments that fit the template: name → heat_environments link.",
    )
    default_envs = fields.Dict(
        fields.String(), mutable=True, filter_ops=("eq", "neq", "in"),
        description="Default environment names.",
    )


class HeatTemplate(ArtifactType):
    """A Heat orchestration template with its nested templates and environments."""

    name = "heat_templates"
    display_name = "Heat Templates"
    version = "1.0"
    schema = HeatTemplateSchema

    def pre_upload(
        self, *, field_name: str, blob_key: str | None, stream: Iterable[bytes], **_: Any
    ) -> Iterator[bytes]:
        what = "template" if blob_key is None else f"nested template '{blob_key}'"
        limit = self.fields[field_name].max_blob_size or 0
        return validate_after_stream(stream, limit, lambda data: check_template(data, what))


class HeatEnvironmentSchema(BaseArtifactSchema):
    environment = fields.Blob(
        required_on_activate=True, max_blob_size=DOCUMENT_LIMIT,
        description="The environment body (YAML or JSON).",
    )


class HeatEnvironment(ArtifactType):
    """A Heat environment: parameters, parameter defaults and a resource registry."""

    name = "heat_environments"
    display_name = "Heat Environments"
    version = "1.0"
    schema = HeatEnvironmentSchema

    def pre_upload(
        self, *, field_name: str, stream: Iterable[bytes], **_: Any
    ) -> Iterator[bytes]:
        limit = self.fields[field_name].max_blob_size or 0
        return validate_after_stream(stream, limit, check_environment)
