"""Wire compatibility with the existing python-glareclient library, against a real server in
trusted-auth mode (the client sends ``X-Auth-Token: user:project:roles``)."""

from __future__ import annotations

import hashlib
import io

import pytest
from glareclient import client as glareclient

SAMPLE = "sample_artifact"


@pytest.fixture
def server(start_server, tmp_path):
    return start_server(tmp_path / "data", env={"GLARE_AUTH_STRATEGY": "trusted-auth"})


def artifacts_api(server, token: str):
    return glareclient.Client("1", endpoint=server.url, auth_token=token).artifacts


def test_full_cycle_with_python_glareclient(server):
    member = artifacts_api(server, "u1:p1:member")
    admin = artifacts_api(server, "admin:adm:admin")
    types = dict(member.get_type_list())
    assert types["sample_artifact"] == "1.0" and "all" in types
    schema = member.get_type_schema(type_name=SAMPLE)
    assert schema["properties"]["int1"]["glareType"] == "Integer"

    art = member.create("cli", version="1.0", type_name=SAMPLE, int1=5, tags=["x"])
    assert (art["version"], art["int1"], art["status"]) == ("1.0.0", 5, "drafted")
    art = member.update(art["id"], type_name=SAMPLE, string_required="yes", description="d")
    assert (art["string_required"], art["description"]) == ("yes", "d")

    data = b"hello from glareclient" * 100
    member.upload_blob(art["id"], "blob", io.BytesIO(data), type_name=SAMPLE)
    wrapper = member.download_blob(art["id"], "blob", type_name=SAMPLE)
    # The client checks the hex MD5 of Content-MD5 (contract Q30); its iterator uses a
    # Python 2 method, so read the underlying response iterator here.
    assert wrapper.hash_md5 == hashlib.md5(data).hexdigest()
    assert int(wrapper.len) == len(data)
    assert b"".join(wrapper.iter) == data

    assert member.activate(art["id"], type_name=SAMPLE)["status"] == "active"
    listed = list(member.list(type_name=SAMPLE, filters=[("int1", "gte:5")]))
    assert [a["id"] for a in listed] == [art["id"]]
    assert member.get_by_name("cli", type_name=SAMPLE)["id"] == art["id"]

    assert admin.publish(art["id"], type_name=SAMPLE)["visibility"] == "public"
    assert sorted(admin.add_tag(art["id"], "y", type_name=SAMPLE)["tags"]) == ["x", "y"]
    assert admin.remove_tag(art["id"], "x", type_name=SAMPLE)["tags"] == ["y"]
    assert admin.deactivate(art["id"], type_name=SAMPLE)["status"] == "deactivated"
    assert admin.reactivate(art["id"], type_name=SAMPLE)["status"] == "active"
    admin.delete(art["id"], type_name=SAMPLE)
    with pytest.raises(Exception) as missing:
        member.get(art["id"], type_name=SAMPLE)
    assert getattr(missing.value, "code", None) == 404


def test_locations_and_paging_with_python_glareclient(server):
    member = artifacts_api(server, "u1:p1:member")
    art = member.create("ext", type_name=SAMPLE)
    location = {"url": "http://example.com/image.qcow2", "md5": "abc"}
    member.add_external_location(art["id"], "blob", location, type_name=SAMPLE)
    blob = member.get(art["id"], type_name=SAMPLE)["blob"]
    assert (blob["url"], blob["external"], blob["md5"]) == (location["url"], True, "abc")
    member.remove_external_location(art["id"], "blob", type_name=SAMPLE)
    assert member.get(art["id"], type_name=SAMPLE)["blob"] is None
    for n in range(23):
        member.create(f"p{n:02d}", type_name=SAMPLE)
    names = [a["name"] for a in member.list(type_name=SAMPLE, page_size=5, sort="name:asc")]
    assert names == ["ext", *[f"p{n:02d}" for n in range(23)]]
