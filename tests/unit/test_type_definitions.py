"""Type definitions the contract forbids stop the start-up (contract §27)."""

import pytest

from glare_core.errors import TypeDefinitionError
from glare_core.plugin import ArtifactType, BaseArtifactSchema, Length, Range, Regexp, fields


def make_type(**declared):
    schema = type("Schema", (BaseArtifactSchema,), declared)
    return type("T", (ArtifactType,), {"name": "things", "schema": schema})


@pytest.mark.parametrize(
    ("declared", "message"),
    [
        ({"tags_list": fields.List(fields.String(), sortable=True)}, "cannot be sortable"),
        ({"d": fields.Dict(fields.Integer(), sortable=True)}, "cannot be sortable"),
        ({"s": fields.String(sortable=True, validate=[Length(max=300)])}, "cannot be sortable"),
        ({"b": fields.Blob(filter_ops=("eq",))}, "cannot be filtered"),
        ({"i": fields.Integer(filter_ops=("like",))}, "not allowed"),
        ({"b": fields.Boolean(filter_ops=("gt",))}, "not allowed"),
        ({"i": fields.Integer(validate=[Regexp("x")])}, "does not apply"),
        ({"s": fields.String(validate=[Range(min=1)])}, "does not apply"),
        ({"lb": fields.List(fields.Blob())}, "cannot hold Blob"),
        ({"ll": fields.List(fields.List(fields.String()))}, "cannot hold List"),
        ({"f": fields.Folder(max_key_length=4096)}, "at most 2048"),
        ({"Bad": fields.String()}, "field names must match"),
        ({"i": fields.Integer(default="x")}, "is not a valid value"),
    ],
)
def test_invalid_definitions_are_rejected(declared, message):
    type_cls = make_type(**declared)
    with pytest.raises(TypeDefinitionError, match=message):
        type_cls()


def test_redefining_a_base_field_is_rejected():
    with pytest.raises(TypeDefinitionError, match="base field 'name' is redefined"):
        make_type(name=fields.String())()


@pytest.mark.parametrize("name", ["all", "Bad", "", "1x", "a-b"])
def test_invalid_type_names_are_rejected(name):
    type_cls = make_type(x=fields.String())
    type_cls.name = name
    with pytest.raises(TypeDefinitionError, match="type name"):
        type_cls()


def test_valid_definition_yields_specs_with_defaults():
    artifact_type = make_type(
        color=fields.String(required_on_activate=False),
        sizes=fields.List(fields.Integer()),
        attrs=fields.Dict(fields.String(), default=None),
    )()
    color = artifact_type.fields["color"]
    assert (color.kind, color.filter_ops, color.required_on_activate) == (
        "String", ("eq", "neq", "in"), False)
    assert artifact_type.fields["sizes"].default_value() == []
    assert artifact_type.fields["sizes"].filter_ops == ("eq", "neq", "in", "gt", "gte", "lt",
                                                        "lte")
    assert artifact_type.fields["attrs"].default_value() is None
    assert artifact_type.fields["name"].is_base
    assert not color.is_base
