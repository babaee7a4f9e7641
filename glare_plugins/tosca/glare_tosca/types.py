"""``tosca_templates``: TOSCA service templates (contract §29.5).

The ``template`` upload passes through unchanged while a copy bounded by the field's size
limit is kept; at the end it must parse as a YAML mapping with a
``tosca_definitions_version`` key, else the upload is refused with 400 and rolled back.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from glare_core.plugin import (
    MIB,
    ArtifactType,
    BadRequest,
    BaseArtifactSchema,
    Length,
    fields,
    parse_yaml,
    validate_after_stream,
)

VERSION_KEY = "tosca_definitions_version"


def check_tosca_template(data: bytes) -> dict[str, Any]:
    """Return the parsed template, or raise BadRequest saying what is wrong with it."""
    document = parse_yaml(data, "TOSCA template")
    if not isinstance(document, dict):
        raise BadRequest("The TOSCA template must be a YAML mapping")
    if document.get(VERSION_KEY) is None:
        raise BadRequest(f"The TOSCA template has no '{VERSION_KEY}' key")
    return document


class ToscaTemplateSchema(BaseArtifactSchema):
    template_format = fields.String(
        filter_ops=("eq", "neq", "in"), validate=[Length(max=255)],
        description="Template format (e.g. a TOSCA profile name).",
    )
    template = fields.Blob(
        required_on_activate=True, max_blob_size=10 * MIB,
        description="The TOSCA template body (YAML).",
    )


class ToscaTemplate(ArtifactType):
    """A TOSCA service template."""

    name = "tosca_templates"
    display_name = "TOSCA Templates"
    version = "1.0"
    schema = ToscaTemplateSchema

    def pre_upload(
        self, *, field_name: str, stream: Iterable[bytes], **_: Any
    ) -> Iterator[bytes]:
        limit = self.fields[field_name].max_blob_size or 0
        return validate_after_stream(stream, limit, check_tosca_template)
