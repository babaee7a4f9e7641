"""A third-party artifact type, installed with pip by the tests."""

from glare_core.plugin import ArtifactType, BaseArtifactSchema, OneOf, fields, hookimpl


class WidgetSchema(BaseArtifactSchema):
    color = fields.String(required_on_activate=False, validate=[OneOf(["red", "blue"])])
    size = fields.Integer(required_on_activate=False, sortable=True)


class Widget(ArtifactType):
    name = "demo_widgets"
    display_name = "Demo Widgets"
    schema = WidgetSchema


@hookimpl
def glare_register_artifact_types(app):
    return [Widget]
