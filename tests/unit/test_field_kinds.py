"""Every Glare field class declares its kind; anything else is refused as a field."""

import marshmallow
import pytest

from glare_core.errors import TypeDefinitionError
from glare_core.plugin import ArtifactType, BaseArtifactSchema, fields
from glare_core.types.blob_fields import BlobField
from glare_core.types.field_base import GlareField
from glare_core.types.kinds import FieldKind
from glare_core.types.spec import kind_of

KINDS = {
    fields.String: FieldKind.STRING,
    fields.Integer: FieldKind.INTEGER,
    fields.Float: FieldKind.FLOAT,
    fields.Boolean: FieldKind.BOOLEAN,
    fields.DateTime: FieldKind.DATETIME,
    fields.Version: FieldKind.VERSION,
    fields.Link: FieldKind.LINK,
    fields.List: FieldKind.LIST,
    fields.Dict: FieldKind.DICT,
    fields.Blob: FieldKind.BLOB,
    fields.Folder: FieldKind.FOLDER,
}


def _field_classes(base: type) -> set[type]:
    found = set()
    for sub in base.__subclasses__():
        if sub.__module__.startswith("glare_core."):
            found |= {sub} | _field_classes(sub)
    return found


def _instance(cls: type) -> GlareField:
    return cls(fields.String()) if cls in (fields.List, fields.Dict) else cls()


def test_every_kind_has_one_field_class():
    assert set(KINDS.values()) == set(FieldKind)


@pytest.mark.parametrize("cls", sorted(_field_classes(GlareField) - {BlobField},
                                       key=lambda c: c.__name__))
def test_every_glare_field_class_declares_its_kind(cls):
    assert isinstance(cls.__dict__.get("kind"), FieldKind), f"{cls.__name__} names no kind"
    assert kind_of(_instance(cls)) is KINDS[cls]


def test_kinds_compare_equal_to_their_names():
    # Error messages and comparisons with the old string kinds keep working.
    assert FieldKind.FOLDER == "Folder"
    assert f"a {FieldKind.LIST} of {FieldKind.DATETIME}" == "a List of DateTime"


@pytest.mark.parametrize("field_obj", [
    marshmallow.fields.String(),
    marshmallow.fields.Integer(),
    marshmallow.fields.Dict(),
    BlobField(),
    object(),
])
def test_kind_of_rejects_what_is_not_a_glare_field_kind(field_obj):
    with pytest.raises(TypeDefinitionError, match="is not a Glare field kind"):
        kind_of(field_obj)


def test_a_type_with_a_plain_marshmallow_field_is_rejected():
    schema = type("Schema", (BaseArtifactSchema,), {"x": marshmallow.fields.String()})
    type_cls = type("T", (ArtifactType,), {"name": "things", "schema": schema})
    with pytest.raises(TypeDefinitionError, match="String is not a Glare field kind"):
        type_cls()


def test_specs_answer_what_a_field_is():
    schema = type("Schema", (BaseArtifactSchema,), {
        "file": fields.Blob(max_blob_size=10),
        "files": fields.Folder(max_blob_size=5, max_folder_size=20, max_keys=3,
                               max_key_length=9),
        "links": fields.List(fields.Link()),
        "versions": fields.Dict(fields.Version()),
    })
    specs = type("T", (ArtifactType,), {"name": "things", "schema": schema})().fields
    file, files, links, versions = (specs[n] for n in ("file", "files", "links", "versions"))
    assert (file.is_blob, file.is_single_blob, file.is_folder) == (True, True, False)
    assert (files.is_blob, files.is_single_blob, files.is_folder) == (True, False, True)
    assert (file.max_blob_size, file.max_keys, file.max_folder_size, file.max_key_length) == (
        10, None, None, None)
    assert (files.max_blob_size, files.max_keys, files.max_folder_size,
            files.max_key_length) == (5, 3, 20, 9)
    assert file.empty_blob_value() is None and files.empty_blob_value() == {}
    assert file.blob_items({"size": 1}) == [(None, {"size": 1})]
    assert files.blob_items({"a": {"size": 1}}) == [("a", {"size": 1})]
    assert files.blob_items(None) == []
    assert links.is_list and links.holds_links and not links.holds_versions
    assert versions.is_dict and versions.holds_versions
    assert links.value_kind is FieldKind.LINK and links.value_field is links.field.element
    assert specs["created_at"].is_datetime and specs["name"].value_field is specs["name"].field
    assert specs["name"].max_blob_size is None and specs["name"].max_keys is None
