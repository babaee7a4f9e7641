"""The ``images`` type (contract §29.1) through the HTTP API: its lifecycle, the format
consistency checks, its size limit and its schema; it lives in its own tables."""

from __future__ import annotations

import hashlib
from typing import Any

import glare_images
import pytest

from tests.api.helpers import replace

URL = "/artifacts/images"
KERNEL = "8a1c3d1e-4b2a-4f60-9d3e-2c1b0a9f8e7d"


@pytest.fixture
def glare_plugins() -> list[Any]:
    return [glare_images]


@pytest.fixture
def glare_settings() -> dict[str, Any]:
    return {}


def test_lifecycle(user1, user2, admin):
    image = user1.create("images", name="cirros", version="0.6.2", container_format="bare",
                         disk_format="qcow2", min_ram=64, os_distro="cirros")
    data = b"\x51\x46\x49\xfb" + b"image data" * 100
    uploaded = user1.put(f"{URL}/{image['id']}/image", data=data,
                         content_type="application/octet-stream")
    assert uploaded.status_code == 200
    assert uploaded.get_json()["image"]["sha256"] == hashlib.sha256(data).hexdigest()
    active = user1.update("images", image["id"], replace("/status", "active"))
    assert active["status"] == "active"
    admin.update("images", image["id"], replace("/visibility", "public"))
    assert user2.get(f"{URL}/{image['id']}/image").data == data  # public: everyone (Q3)
    admin.update("images", image["id"], replace("/status", "deactivated"))
    assert user1.get(f"{URL}/{image['id']}/image").status_code == 403
    assert admin.get(f"{URL}/{image['id']}/image").data == data
    admin.update("images", image["id"], replace("/status", "active"))
    assert user2.show("images", image["id"])["status"] == "active"
    assert admin.delete(f"{URL}/{image['id']}").status_code == 204
    assert admin.get(f"{URL}/{image['id']}").status_code == 404


def test_activation_needs_both_formats(user1):
    image = user1.create("images", name="partial", container_format="bare")
    response = user1.patch(f"{URL}/{image['id']}", [replace("/status", "active")])
    assert response.status_code == 403
    assert "disk_format" in response.get_json()["error"]["message"]


@pytest.mark.parametrize(
    ("container", "disk", "status"),
    [("ami", "ami", 201), ("ari", "ari", 201), ("bare", "raw", 201), ("docker", "raw", 201),
     ("ami", "qcow2", 400), ("bare", "aki", 400), ("ari", "ami", 400), ("ova", "vmdk", 201)],
)
def test_amazon_formats_go_together_on_create(user1, container, disk, status):
    response = user1.post(URL, {"name": f"{container}-{disk}", "container_format": container,
                                "disk_format": disk})
    assert response.status_code == status


def test_amazon_formats_go_together_on_update(user1):
    image = user1.create("images", name="ami", container_format="ami", disk_format="ami")
    response = user1.patch(f"{URL}/{image['id']}", [replace("/disk_format", "qcow2")])
    assert response.status_code == 400
    both = user1.update("images", image["id"], replace("/container_format", "bare"),
                        replace("/disk_format", "qcow2"))
    assert (both["container_format"], both["disk_format"]) == ("bare", "qcow2")


@pytest.mark.parametrize(
    ("field", "value"),
    [("container_format", "zip"), ("disk_format", "img"), ("min_ram", -1),
     ("min_disk", "lots"), ("kernel_id", "not-a-uuid"), ("ramdisk_id", "1234"),
     ("os_distro", "x" * 256)],
)
def test_field_validators(user1, field, value):
    assert user1.post(URL, {"name": "bad", field: value}).status_code == 400


def test_uuid_fields_accept_uuids(user1):
    image = user1.create("images", name="ami", kernel_id=KERNEL, ramdisk_id=KERNEL)
    assert image["kernel_id"] == KERNEL


def test_image_over_the_type_limit_is_413_before_reading(user1, glare_app):
    image = user1.create("images", name="huge")
    response = glare_app.test_client().put(
        f"{URL}/{image['id']}/image", data=b"x",
        headers={**user1.headers, "Content-Type": "application/octet-stream"},
        environ_overrides={"CONTENT_LENGTH": str(1000 * 1024**3 + 1)},
    )
    assert response.status_code == 413
    assert "1073741824000" in response.get_json()["error"]["message"]
    assert user1.show("images", image["id"])["image"] is None


def test_filters_on_image_columns(user1):
    for n, (distro, ram) in enumerate([("ubuntu", 512), ("debian", 256), ("ubuntu", 2048)]):
        user1.create("images", name=f"i{n}", os_distro=distro, min_ram=ram,
                     container_format="bare", disk_format="qcow2")
    assert [a["name"] for a in user1.list(
        "images", "os_distro=ubuntu&min_ram=lte:1024")["artifacts"]] == ["i0"]
    assert user1.list("images", "disk_format=in:raw,qcow2")["total_count"] == 3
    assert user1.list("images", "os_distro=neq:ubuntu")["total_count"] == 1


def test_schema(user1):
    schema = user1.get("/schemas/images").get_json()["schemas"]["images"]
    props = schema["properties"]
    assert schema["display_name"] == "Images"
    assert props["container_format"]["enum"] == ["ami", "ari", "aki", "bare", "ovf", "ova",
                                                 "docker"]
    assert "required_on_activate" not in props["container_format"]
    assert props["min_ram"]["minimum"] == 0
    assert props["min_ram"]["required_on_activate"] is False
    assert props["min_ram"]["filter_ops"] == ["eq", "neq", "in", "gt", "gte", "lt", "lte"]
    assert props["image"]["glareType"] == "Blob"
    assert props["kernel_id"]["pattern"].startswith("^([0-9a-fA-F]){8}")


def test_records_live_in_the_images_tables(user1, glare_app):
    import sqlalchemy as sa

    image = user1.create("images", name="where", os_version="12")
    engine = glare_app.extensions["glare"].database.engine
    with engine.connect() as conn:
        row = conn.execute(sa.text(
            "SELECT name, os_version FROM glare_images_artifacts WHERE id = :id"),
            {"id": image["id"]}).one()
        core = conn.execute(sa.text("SELECT count(*) FROM glare_artifacts")).scalar()
    assert tuple(row) == ("where", "12")
    assert core == 0
