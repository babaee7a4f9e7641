"""``sample_artifact``: one field of every kind and every validator (contract §28)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from glare_core.plugin import (
    AllowedDictKeys,
    ArtifactType,
    BadRequest,
    BaseArtifactSchema,
    Length,
    OneOf,
    Range,
    Regexp,
    UniqueItems,
    fields,
)

NUMERIC_OPS = ("eq", "neq", "in", "gt", "gte", "lt", "lte")
STRING_OPS = ("eq", "neq", "in")
# The test type refuses a blob whose whole content is exactly these bytes.
INVALID_DATA = b"invalid_data"


class SampleArtifactSchema(BaseArtifactSchema):
    blob = fields.Blob(mutable=True, description="I am Blob")
    small_blob = fields.Blob(mutable=True, max_blob_size=10)
    link1 = fields.Link(required_on_activate=False)
    link2 = fields.Link(required_on_activate=False)
    bool1 = fields.Boolean(required_on_activate=False, default=False, filter_ops=("eq",))
    bool2 = fields.Boolean(required_on_activate=False, default=False, filter_ops=("eq",))
    int1 = fields.Integer(required_on_activate=False, sortable=True)
    int2 = fields.Integer(required_on_activate=False, sortable=True)
    float1 = fields.Float(required_on_activate=False, sortable=True)
    float2 = fields.Float(required_on_activate=False, sortable=True)
    str1 = fields.String(
        required_on_activate=False, sortable=True, filter_ops=("like", *STRING_OPS)
    )
    list_of_str = fields.List(fields.String(), required_on_activate=False,
                              filter_ops=("eq", "in"))
    list_of_int = fields.List(fields.Integer(), required_on_activate=False,
                              filter_ops=("eq", "in"))
    dict_of_str = fields.Dict(fields.String(), required_on_activate=False,
                              filter_ops=("eq", "in"))
    dict_of_int = fields.Dict(fields.Integer(), required_on_activate=False,
                              filter_ops=("eq", "in"))
    dict_of_links = fields.Dict(fields.Link(), mutable=True, required_on_activate=False,
                                filter_ops=("eq",))
    list_of_links = fields.List(fields.Link(), mutable=True, required_on_activate=False,
                                filter_ops=("eq",))
    dict_of_blobs = fields.Folder(max_folder_size=2000, max_key_length=1000)
    string_mutable = fields.String(mutable=True, required_on_activate=False,
                                   filter_ops=STRING_OPS)
    string_regex = fields.String(
        required_on_activate=False,
        filter_ops=STRING_OPS,
        validate=[Regexp("^([0-9a-fA-F]){8}$")],
    )
    string_required = fields.String(required_on_activate=True, filter_ops=STRING_OPS)
    string_validators = fields.String(
        required_on_activate=False,
        filter_ops=STRING_OPS,
        validate=[OneOf(["aa", "bb", "ccccccccccc"]), Length(max=10)],
    )
    int_validators = fields.Integer(
        required_on_activate=False, validate=[Range(min=10, max=20)]
    )
    list_validators = fields.List(
        fields.String(),
        required_on_activate=False,
        filter_ops=(),
        validate=[Length(max=3), UniqueItems()],
    )
    dict_validators = fields.Dict(
        fields.String(),
        required_on_activate=False,
        default=None,
        filter_ops=(),
        validate=[Length(max=3), AllowedDictKeys(["abc", "def", "ghi", "jkl"])],
    )
    system_attribute = fields.String(
        system=True, sortable=True, default="default", filter_ops=STRING_OPS
    )
    metadata_attribute = fields.String(
        default="default",
        filter_ops=STRING_OPS,
        ui_metadata={"metadata1": "value1", "metadata2": "blahblahblah"},
    )


class SampleArtifact(ArtifactType):
    """A type for tests: every field kind, validator and hook point."""

    name = "sample_artifact"
    display_name = "Sample Artifact"
    version = "1.0"
    schema = SampleArtifactSchema

    def pre_upload(self, *, stream: Iterable[bytes], **_: Any) -> Iterator[bytes]:
        return _refuse_invalid_data(stream)

    @staticmethod
    def _with_meta(values: dict[str, Any]) -> dict[str, Any]:
        values["__some_meta_information__"] = (values.get("name") or "").upper()
        return values

    def format_output(self, values: dict[str, Any]) -> dict[str, Any]:
        return self._with_meta(values)

    def format_all(self, values: dict[str, Any]) -> dict[str, Any]:
        return self._with_meta(values)


def _refuse_invalid_data(stream: Iterable[bytes]) -> Iterator[bytes]:
    """Pass the data through, unless it is exactly INVALID_DATA (only a prefix is buffered)."""
    chunks = iter(stream)
    head = b""
    while len(head) <= len(INVALID_DATA):
        chunk = next(chunks, b"")
        if not chunk:
            break
        head += chunk
    if head == INVALID_DATA:
        raise BadRequest("The sample type refuses the content 'invalid_data'")
    if head:
        yield head
    yield from chunks
