"""The ``python_wheels`` type through Glare's HTTP API, with the fixtures of Glare's pytest
plugin: create, upload (checked, fields filled), activate, download, and the refusals."""

from __future__ import annotations

import hashlib
import importlib.util

import pytest

TYPE = "python_wheels"
URL = f"/artifacts/{TYPE}"
DERIVED = ("summary", "requires_python", "requires_dist", "license", "platform_tag")
EMPTY = {"summary": None, "requires_python": None, "requires_dist": [], "license": None,
         "platform_tag": None}


def upload(client, artifact_id: str, data: bytes):
    return client.put(f"{URL}/{artifact_id}/wheel", data=data,
                      content_type="application/octet-stream")


def derived(artifact: dict) -> dict:
    return {name: artifact[name] for name in DERIVED}


def message(response) -> str:
    return response.get_json()["error"]["message"]


def test_schema_declares_the_wheel_and_read_only_metadata(glare_client):
    response = glare_client.get(f"/schemas/{TYPE}")
    assert response.status_code == 200
    schema = response.get_json()["schemas"][TYPE]
    assert schema["display_name"] == "Python Wheels"
    properties = schema["properties"]
    assert properties["wheel"]["glareType"] == "Blob"
    assert "required_on_activate" not in properties["wheel"]
    assert [name for name in DERIVED if properties[name].get("readOnly")] == list(DERIVED)
    assert properties["requires_dist"]["glareType"] == "StringList"
    assert properties["summary"]["maxLength"] == 512


def test_upload_fills_fields_then_activate_and_download(glare_client, make_artifact,
                                                        make_wheel):
    artifact = make_artifact(TYPE, name="demo-pkg", version="1.2.0")
    assert derived(artifact) == EMPTY
    data = make_wheel("demo_pkg", "1.2.0", headers=[
        "Summary: A   demo\n  package",
        "Requires-Python: >=3.9",
        "Requires-Dist: requests>=2.31",
        'Requires-Dist: tomli>=1.1; python_version < "3.11"',
        "License-Expression: MIT",
    ])

    response = upload(glare_client, artifact["id"], data)

    assert response.status_code == 200, response.get_data(as_text=True)
    uploaded = response.get_json()
    assert derived(uploaded) == {
        "summary": "A demo package",
        "requires_python": ">=3.9",
        "requires_dist": ["requests>=2.31", 'tomli>=1.1; python_version < "3.11"'],
        "license": "MIT",
        "platform_tag": "any",
    }
    blob = uploaded["wheel"]
    assert (blob["status"], blob["size"], blob["sha256"]) == (
        "active", len(data), hashlib.sha256(data).hexdigest())
    assert blob["content_type"] == "application/octet-stream"
    assert derived(glare_client.show(TYPE, artifact["id"])) == derived(uploaded)

    active = glare_client.set_fields(TYPE, artifact["id"], status="active")
    assert active["status"] == "active"

    download = glare_client.get(f"{URL}/{artifact['id']}/wheel")
    assert download.status_code == 200
    assert download.data == data


@pytest.mark.parametrize(("name", "version", "wheel_name", "wheel_version"), [
    ("My.Pkg", "1.0", "my_pkg", "1.0"),
    ("my-pkg", "1.0.0", "MY_PKG", "1.0"),
    ("my-pkg", "1.0.post1", "my-pkg", "1.0.post1"),
])
def test_names_and_versions_are_compared_normalized(glare_client, make_artifact, make_wheel,
                                                    name, version, wheel_name, wheel_version):
    artifact = make_artifact(TYPE, name=name, version=version)
    response = upload(glare_client, artifact["id"], make_wheel(wheel_name, wheel_version))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["platform_tag"] == "any"


def test_pep440_equal_versions_are_accepted(glare_client, make_artifact, make_wheel):
    if importlib.util.find_spec("packaging") is None:
        pytest.skip("needs 'packaging' (extra pep440)")
    artifact = make_artifact(TYPE, name="demo", version="2.0.0-rc.1")
    response = upload(glare_client, artifact["id"], make_wheel("demo", "2.0rc1"))
    assert response.status_code == 200, response.get_data(as_text=True)


def test_a_wheel_of_another_project_is_refused(glare_client, make_artifact, make_wheel):
    artifact = make_artifact(TYPE, name="demo-pkg", version="1.0")
    response = upload(glare_client, artifact["id"], make_wheel("other_pkg", "1.0"))
    assert response.status_code == 400
    assert message(response) == (
        "The wheel is a distribution of 'other_pkg', but the artifact's name is 'demo-pkg'")
    after = glare_client.show(TYPE, artifact["id"])
    assert after["wheel"] is None
    assert derived(after) == EMPTY


def test_a_wheel_of_another_version_is_refused(glare_client, make_artifact, make_wheel):
    artifact = make_artifact(TYPE, name="demo-pkg", version="1.0")
    response = upload(glare_client, artifact["id"], make_wheel("demo-pkg", "1.0.1"))
    assert response.status_code == 400
    assert message(response) == (
        "The wheel has version 1.0.1, but the artifact's version is 1.0.0")
    assert glare_client.show(TYPE, artifact["id"])["wheel"] is None


def test_data_that_is_not_a_zip_is_refused(glare_client, make_artifact):
    artifact = make_artifact(TYPE, name="demo-pkg", version="1.0")
    response = upload(glare_client, artifact["id"], b"definitely not a zip archive\n" * 100)
    assert response.status_code == 400
    assert message(response) == "Not a valid wheel: the data is not a zip archive"
    assert glare_client.show(TYPE, artifact["id"])["wheel"] is None


@pytest.mark.parametrize("missing", ["METADATA", "WHEEL"])
def test_a_zip_without_metadata_files_is_refused(glare_client, make_artifact, make_wheel,
                                                 missing):
    artifact = make_artifact(TYPE, name="demo-pkg", version="1.0")
    response = upload(glare_client, artifact["id"],
                      make_wheel("demo_pkg", "1.0", omit=[missing]))
    assert response.status_code == 400
    assert message(response) == (
        f"Not a valid wheel: demo_pkg-1.0.dist-info/{missing} is missing")
    assert glare_client.show(TYPE, artifact["id"])["wheel"] is None


def test_metadata_without_a_version_is_refused(glare_client, make_artifact, make_wheel):
    artifact = make_artifact(TYPE, name="demo-pkg", version="1.0")
    data = make_wheel("demo_pkg", "1.0", metadata="Metadata-Version: 2.1\nName: demo_pkg\n")
    response = upload(glare_client, artifact["id"], data)
    assert response.status_code == 400
    assert message(response) == (
        "Not a valid wheel: METADATA must give the project's Name and Version")


def test_a_failed_upload_keeps_the_previous_wheel(glare_client, make_artifact, make_wheel):
    artifact = make_artifact(TYPE, name="demo-pkg", version="1.0")
    first = make_wheel("demo_pkg", "1.0", headers=["Summary: first"])
    assert upload(glare_client, artifact["id"], first).status_code == 200

    response = upload(glare_client, artifact["id"], make_wheel("demo_pkg", "9.9"))

    assert response.status_code == 400
    after = glare_client.show(TYPE, artifact["id"])
    assert after["wheel"]["sha256"] == hashlib.sha256(first).hexdigest()
    assert after["summary"] == "first"
    assert glare_client.get(f"{URL}/{artifact['id']}/wheel").data == first


def test_metadata_fields_are_read_only(glare_client, make_artifact):
    response = glare_client.post(URL, {"name": "demo-pkg", "summary": "mine"})
    assert response.status_code == 403
    artifact = make_artifact(TYPE, name="demo-pkg")
    response = glare_client.patch(f"{URL}/{artifact['id']}", [
        {"op": "replace", "path": "/license", "value": "MIT"}])
    assert response.status_code == 403
    assert message(response) == "Field 'license' is read-only"


def test_name_and_version_are_locked_once_a_wheel_is_attached(glare_client, make_artifact,
                                                              make_wheel):
    artifact = make_artifact(TYPE, name="demo-pkg", version="1.0")
    renamed = glare_client.set_fields(TYPE, artifact["id"], name="demo_pkg")
    assert renamed["name"] == "demo_pkg"
    assert upload(glare_client, artifact["id"], make_wheel("demo-pkg", "1.0")).status_code == 200

    response = glare_client.patch(f"{URL}/{artifact['id']}", [
        {"op": "replace", "path": "/version", "value": "2.0"}])
    assert response.status_code == 403
    assert message(response) == (
        "The version comes from the uploaded wheel and cannot change; create another "
        "artifact for another project or version")
    response = glare_client.patch(f"{URL}/{artifact['id']}", [
        {"op": "replace", "path": "/name", "value": "other"}])
    assert response.status_code == 403
    # The same value (after normalization) is no change.
    same = glare_client.set_fields(TYPE, artifact["id"], version="1.0.0", description="d")
    assert (same["name"], same["version"], same["description"]) == ("demo_pkg", "1.0.0", "d")


def test_activation_needs_a_wheel(glare_client, make_artifact):
    artifact = make_artifact(TYPE, name="demo-pkg", version="1.0")
    response = glare_client.patch(f"{URL}/{artifact['id']}", [
        {"op": "replace", "path": "/status", "value": "active"}])
    assert response.status_code == 403
    assert message(response) == "Cannot activate: these fields must be set first: wheel"


def test_platform_tags_and_filters(glare_client, make_artifact, make_wheel):
    binary = make_artifact(TYPE, name="fast", version="1.0")
    data = make_wheel("fast", "1.0", headers=["Requires-Dist: numpy>=1.26"], tags=[
        "cp311-cp311-manylinux_2_17_x86_64", "cp311-cp311-manylinux2014_x86_64"])
    assert upload(glare_client, binary["id"], data).status_code == 200
    pure = make_artifact(TYPE, name="slow", version="1.0")
    assert upload(glare_client, pure["id"], make_wheel("slow", "1.0")).status_code == 200

    shown = glare_client.show(TYPE, binary["id"])
    assert shown["platform_tag"] == "manylinux_2_17_x86_64.manylinux2014_x86_64"
    listed = glare_client.list(TYPE, "platform_tag=like:manylinux%")
    assert [a["name"] for a in listed["artifacts"]] == ["fast"]
    listed = glare_client.list(TYPE, "platform_tag=any")
    assert [a["name"] for a in listed["artifacts"]] == ["slow"]
    listed = glare_client.list(TYPE, "requires_dist=like:numpy%")
    assert [a["name"] for a in listed["artifacts"]] == ["fast"]


def test_metadata_text_is_fitted_to_glare_strings(glare_client, make_artifact, make_wheel):
    artifact = make_artifact(TYPE, name="emoji", version="1.0")
    data = make_wheel("emoji", "1.0", headers=[
        "Summary: Rockets \U0001F680 " + "x" * 600,
        "License: Apache License\n        Version 2.0, January 2004",
    ])
    response = upload(glare_client, artifact["id"], data)
    assert response.status_code == 200, response.get_data(as_text=True)
    uploaded = response.get_json()
    assert uploaded["summary"] == ("Rockets \ufffd " + "x" * 600)[:511] + "\u2026"
    assert len(uploaded["summary"]) == 512
    assert uploaded["license"] == "Apache License"


def test_oversized_metadata_headers_are_refused(glare_client, make_artifact, make_wheel):
    artifact = make_artifact(TYPE, name="demo-pkg", version="1.0")
    data = make_wheel("demo_pkg", "1.0", headers=["Summary: " + "s" * 300_000])
    response = upload(glare_client, artifact["id"], data)
    assert response.status_code == 400
    assert message(response) == (
        "Not a valid wheel: the headers of demo_pkg-1.0.dist-info/METADATA exceed "
        "262144 bytes")
