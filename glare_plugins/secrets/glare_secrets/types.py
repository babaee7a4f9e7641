"""``secrets``: already encrypted secret payloads with their description (contract §29.6).

Glare stores the payload as an opaque blob; encrypting it is the client's job. The type is
shipped but not served unless the operator lists it in ``GLARE_ENABLED_TYPES``.
"""

from __future__ import annotations

from glare_core.plugin import (
    MIB,
    ArtifactType,
    BaseArtifactSchema,
    Length,
    OneOf,
    Range,
    fields,
)

SECRET_TYPES = ("symmetric", "public", "private", "passphrase", "certificate", "opaque")
ENCODINGS = ("base64",)


class SecretSchema(BaseArtifactSchema):
    payload = fields.Blob(
        required_on_activate=True, max_blob_size=10 * MIB,
        description="The secret bytes, already encrypted.",
    )
    payload_content_encoding = fields.String(
        required_on_activate=False, default="base64", filter_ops=(),
        validate=[OneOf(ENCODINGS)],
        description="Encoding of the payload.",
    )
    secret_type = fields.String(
        required_on_activate=False, default="opaque", sortable=True, filter_ops=("eq",),
        validate=[OneOf(SECRET_TYPES)],
        description="What kind of secret the payload is.",
    )
    algorithm = fields.String(
        required_on_activate=False, filter_ops=("eq",), validate=[Length(max=255)],
        description="Algorithm of the secret (informational).",
    )
    bit_length = fields.Integer(
        required_on_activate=False, sortable=True,
        filter_ops=("eq", "neq", "in", "gt", "gte", "lt", "lte"), validate=[Range(min=1)],
        description="Bit length of the secret.",
    )
    mode = fields.String(
        required_on_activate=False, filter_ops=("eq",), validate=[Length(max=255)],
        description="Block cipher mode (informational).",
    )


class Secret(ArtifactType):
    """An encrypted secret (key, certificate, passphrase ...)."""

    name = "secrets"
    display_name = "Secrets"
    version = "1.0"
    schema = SecretSchema
    enabled_by_default = False
