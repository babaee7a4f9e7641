"""Blob paths as blob operations see them: which blob or folder entry a path names, where
it sits in an artifact, and what a request may say about it (content type). Pure
functions; the field classes themselves are ``glare_core.types.blob_fields``."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from glare_core.errors import BadRequest
from glare_core.types.base import ArtifactType
from glare_core.types.fields import unstorable_text
from glare_core.types.spec import FieldSpec

MAX_CONTENT_TYPE_LENGTH = 255
# type "/" subtype, each an HTTP token (RFC 9110 §8.3.1): what the download sends back.
MEDIA_TYPE_SYNTAX = re.compile(r"[!#$%&'*+.^_`|~0-9a-z-]+/[!#$%&'*+.^_`|~0-9a-z-]+",
                               re.IGNORECASE)


def resolve_target(artifact_type: Any, field_name: str, blob_key: str | None) -> FieldSpec:
    """The blob or folder field a blob path names (400 when it names anything else)."""
    spec = artifact_type.fields.get(field_name)
    if spec is None or not spec.is_blob:
        raise BadRequest(f"Artifact type {artifact_type.type_name} has no blob field "
                         f"'{field_name}'")
    if blob_key is None and not spec.is_single_blob:
        raise BadRequest(f"'{field_name}' is a folder: name a key (/{field_name}/<key>)")
    if blob_key is not None and not spec.is_folder:
        raise BadRequest(f"'{field_name}' is a single blob: it has no keys")
    if blob_key is not None:
        max_length = spec.max_key_length
        assert max_length is not None  # a folder
        if not 1 <= len(blob_key) <= max_length:
            raise BadRequest(f"Folder keys must be 1 to {max_length} characters long")
        if problem := unstorable_text(blob_key):
            raise BadRequest(f"Invalid folder key: {problem}")
    return spec


def blob_at(artifact: Mapping[str, Any], spec: FieldSpec, blob_key: str | None) -> dict | None:
    """The blob record at field/key of an artifact record (None if there is none)."""
    value = artifact.get(spec.name)
    if spec.is_folder:
        return (value or {}).get(blob_key)
    return value


def blob_entries(artifact_type: ArtifactType, artifact: Mapping[str, Any]
                 ) -> Iterator[tuple[FieldSpec, str | None, dict | None]]:
    """(field, folder key or None, blob) for every blob and folder entry of a record."""
    for spec in artifact_type.blob_fields.values():
        for key, blob in spec.blob_items(artifact.get(spec.name)):
            yield spec, key, blob


def has_saving_blobs(artifact_type: ArtifactType, artifact: Mapping[str, Any]) -> bool:
    """True while an upload into one of the record's blobs is (or looks) in progress."""
    return any(blob and blob.get("status") == "saving"
               for _, _, blob in blob_entries(artifact_type, artifact))


def check_content_type(content_type: str) -> None:
    """The blob's content type is stored and sent back as the download's Content-Type: a
    ``type/subtype`` of at most 255 characters (the database column), or 400."""
    if len(content_type) > MAX_CONTENT_TYPE_LENGTH:
        raise BadRequest(f"The content type may be at most {MAX_CONTENT_TYPE_LENGTH} "
                         "characters long")
    if not MEDIA_TYPE_SYNTAX.fullmatch(content_type):
        raise BadRequest(f"Content-Type {content_type!r} is not a media type "
                         "(type/subtype, e.g. application/octet-stream)")
