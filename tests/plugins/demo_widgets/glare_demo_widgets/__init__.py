"""A third-party artifact type, installed with pip by the tests."""

from glare_core.plugin import GIB, ArtifactType, BaseArtifactSchema, OneOf, fields, hookimpl


class WidgetSchema(BaseArtifactSchema):
    color = fields.String(required_on_activate=False, validate=[OneOf(["red", "blue"])])
    size = fields.Integer(required_on_activate=False, sortable=True)
    # Big enough for the multi-GiB streaming tests and benchmarks.
    payload = fields.Blob(mutable=True, max_blob_size=64 * GIB)


class Widget(ArtifactType):
    name = "demo_widgets"
    display_name = "Demo Widgets"
    schema = WidgetSchema


@hookimpl
def glare_register_artifact_types(app):
    return [Widget]
