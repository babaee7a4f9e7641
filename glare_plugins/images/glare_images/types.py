"""``images``: virtual machine images (contract §29.1)."""

from __future__ import annotations

from typing import Any

from glare_core.plugin import (
    GIB,
    ArtifactType,
    BadRequest,
    BaseArtifactSchema,
    Length,
    OneOf,
    Range,
    Regexp,
    fields,
    sql_data_api,
)
from glare_images.tables import layout

CONTAINER_FORMATS = ["ami", "ari", "aki", "bare", "ovf", "ova", "docker"]
DISK_FORMATS = ["ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso"]
# Amazon kernel, ramdisk and machine images: container and disk format are the same.
AMAZON_FORMATS = ("ami", "ari", "aki")
UUID = (r"^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-"
        r"([0-9a-fA-F]){12}$")
STRING_OPS = ("eq", "neq", "in")
NUMERIC_OPS = ("eq", "neq", "in", "gt", "gte", "lt", "lte")


def _text(description: str, **kwargs: Any) -> Any:
    return fields.String(required_on_activate=False, filter_ops=STRING_OPS,
                         description=description, **kwargs)


class ImageSchema(BaseArtifactSchema):
    container_format = fields.String(
        filter_ops=STRING_OPS, validate=[OneOf(CONTAINER_FORMATS)],
        description="Image container format.",
    )
    disk_format = fields.String(
        filter_ops=STRING_OPS, validate=[OneOf(DISK_FORMATS)],
        description="Image disk format.",
    )
    min_ram = fields.Integer(required_on_activate=False, filter_ops=NUMERIC_OPS,
                             validate=[Range(min=0)],
                             description="Minimal RAM required to boot image.")
    min_disk = fields.Integer(required_on_activate=False, filter_ops=NUMERIC_OPS,
                              validate=[Range(min=0)],
                              description="Minimal disk space required to boot image.")
    image = fields.Blob(max_blob_size=1000 * GIB, description="Image binary.")
    kernel_id = _text("ID of image stored in Glare that should be used as the kernel when "
                      "booting an AMI-style image.", validate=[Regexp(UUID), Length(max=255)])
    ramdisk_id = _text("ID of image stored in Glare that should be used as the ramdisk when "
                       "booting an AMI-style image.", validate=[Regexp(UUID), Length(max=255)])
    instance_uuid = _text("Metadata which can be used to record which instance this image "
                          "is associated with (informational only).")
    architecture = _text("Operating system architecture as specified in "
                         "https://docs.openstack.org/glance/latest/user/common-image-properties.html")
    os_distro = _text("Common name of operating system distribution.")
    os_version = _text("Operating system version as specified by the distributor.")


def check_formats(container_format: str | None, disk_format: str | None) -> None:
    """Amazon formats (ami, ari, aki) must be used for both formats at once."""
    if container_format is None or disk_format is None:
        return
    if (container_format in AMAZON_FORMATS or disk_format in AMAZON_FORMATS) and (
        container_format != disk_format
    ):
        raise BadRequest(
            f"container_format '{container_format}' does not fit disk_format "
            f"'{disk_format}': Amazon images use the same format for both"
        )


class Image(ArtifactType):
    """A virtual machine image, in its own tables (see tables.py)."""

    name = "images"
    display_name = "Images"
    version = "1.0"
    schema = ImageSchema

    @staticmethod
    def data_api_factory(app: Any) -> Any:
        return sql_data_api(app, layout)

    def pre_create(self, *, changes: dict, **_: Any) -> None:
        check_formats(changes.get("container_format"), changes.get("disk_format"))

    def pre_update(self, *, artifact: dict, planned: dict, **_: Any) -> None:
        # Checked at activation too (formats may be set in any order before it).
        image = {**artifact, **planned}
        check_formats(image.get("container_format"), image.get("disk_format"))

    def pre_activate(self, *, artifact: dict, **_: Any) -> None:
        check_formats(artifact.get("container_format"), artifact.get("disk_format"))
