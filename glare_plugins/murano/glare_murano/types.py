"""``murano_packages``: Murano application packages (contract §29.4).

The ``package`` upload is spooled to a temporary file while it streams into the store;
at the end the file is opened as a zip archive and its ``manifest.yaml`` fills the
package's fields (type, display_name, categories, class_definitions, keywords, inherits).
A body that is not a valid package is refused with 400 and the blob is rolled back.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from glare_core.plugin import (
    MIB,
    ArtifactType,
    BaseArtifactSchema,
    Length,
    LinksTo,
    OneOf,
    UniqueItems,
    fields,
    spool_then_check,
)
from glare_murano.package import PACKAGE_TYPES, read_package

STRING_OPS = ("eq", "neq", "in")



class MuranoPackageSchema(BaseArtifactSchema):
    package = fields.Blob(
        max_blob_size=100 * MIB,
        description="The package: a zip archive with a manifest.yaml at its top.",
    )
    type = fields.String(
        default="Application", filter_ops=STRING_OPS, validate=[OneOf(PACKAGE_TYPES)],
        description="Package type (from the manifest's Type).",
    )
    display_name = fields.String(
        mutable=True, filter_ops=STRING_OPS, validate=[Length(max=255)],
        description="Package name for humans (from the manifest's FullName).",
    )
    categories = fields.List(
        fields.String(), mutable=True, filter_ops=STRING_OPS,
        description="Categories (from the manifest's Categories).",
    )
    class_definitions = fields.List(
        fields.String(), filter_ops=STRING_OPS, validate=[UniqueItems()],
        description="MuranoPL classes the package defines (the manifest's Classes).",
    )
    inherits = fields.Dict(
        fields.String(), filter_ops=STRING_OPS,
        description="Class inheritance (from the manifest's Inherits, when present).",
    )
    keywords = fields.List(
        fields.String(), mutable=True, filter_ops=STRING_OPS,
        description="Keywords (from the manifest's Tags).",
    )
    dependencies = fields.List(
        fields.Link(validate=[LinksTo("murano_packages")]),
        required_on_activate=False, filter_ops=("eq", "neq"),
        description="Packages this one needs (murano_packages links).",
    )


class MuranoPackage(ArtifactType):
    """A Murano application (or library) package."""

    name = "murano_packages"
    display_name = "Murano packages"
    version = "1.0"
    schema = MuranoPackageSchema

    def pre_upload(
        self, *, field_name: str, stream: Iterable[bytes], changes: dict, **_: Any
    ) -> Iterator[bytes] | None:
        if field_name != "package":
            return None

        def fill_from_manifest(path: str) -> None:
            changes.update(read_package(path))

        return spool_then_check(stream, fill_from_manifest)
