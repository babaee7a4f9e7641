"""The shipped artifact types through the HTTP API (contract §29.2-§29.6, §19, §22):
heat_templates, heat_environments, murano_packages, tosca_templates and secrets.

Per type: the whole lifecycle (create, upload, activate, publish, download, deactivate,
reactivate, delete) on both local stores, every upload-hook rejection (400 with the blob
absent and nothing left in the store), fields filled from a Murano manifest, link
restrictions, and the exact type schemas.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import glare_heat
import glare_murano
import glare_secrets
import glare_tosca
import jsonschema
import pytest

from glare_core.app import create_app
from glare_core.testing import GlareClient, replace_op
from tests.api.helpers import BASE_FIELDS, assert_error, digests, stored
from tests.plugins.conftest import BUILTIN_TYPES

MIB = 1024 * 1024
ACTIVATE = replace_op("/status", "active")
DEACTIVATE = replace_op("/status", "deactivated")
PUBLISH = replace_op("/visibility", "public")
BOTH_STORES = pytest.mark.parametrize(
    "glare_settings", [{"GLARE_DEFAULT_STORE": "file"}, {"GLARE_DEFAULT_STORE": "database"}],
    indirect=True, ids=["file", "database"],
)

# ---- documents ------------------------------------------------------------------------------

HOT = b"""heat_template_version: 2018-08-31
description: One server
parameters:
  flavor: {type: string, default: m1.small}
resources:
  server:
    type: OS::Nova::Server
    properties:
      flavor: {get_param: flavor}
      image: cirros
"""
NESTED = b"""heat_template_version: 2018-08-31
resources:
  port:
    type: OS::Neutron::Port
    properties: {network: private}
"""
CFN_JSON = json.dumps({
    "AWSTemplateFormatVersion": "2010-09-09",
    "Resources": {"Bucket": {"Type": "AWS::S3::Bucket"}},
}).encode()
HEAT_CFN = b'{"HeatTemplateFormatVersion": "2012-12-12", "Resources": {}}'
ENVIRONMENT = b"""parameters:
  flavor: m1.large
parameter_defaults:
  image: cirros
resource_registry:
  OS::Example::Server: server.yaml
encrypted_param_names: [password]
event_sinks: []
parameter_merge_strategies:
  flavor: overwrite
"""
TOSCA = b"""tosca_definitions_version: tosca_simple_yaml_1_3
description: One compute node
topology_template:
  node_templates:
    server:
      type: tosca.nodes.Compute
"""
SECRET = b"c2VjcmV0LWtleS1tYXRlcmlhbA=="

MANIFEST = """Format: MuranoPL/1.0
Type: Library
FullName: io.example.apps.WebServer
Name: Web Server
Description: A web server and its instance class.
Author: Example Inc
Tags: [web, http]
Categories: [Web, Servers]
Classes:
  io.example.apps.WebServer: WebServer.yaml
  io.example.apps.WebServerInstance: Instance.yaml
Inherits:
  io.example.apps.WebServer: io.murano.Application
"""
CLASS_FILES = {"Classes/WebServer.yaml": "Name: WebServer\n",
               "Classes/Instance.yaml": "Name: Instance\n"}
MURANO_FIELDS = {
    "type": "Library",
    "display_name": "io.example.apps.WebServer",
    "categories": ["Web", "Servers"],
    "class_definitions": ["io.example.apps.WebServer", "io.example.apps.WebServerInstance"],
    "keywords": ["web", "http"],
    "inherits": {"io.example.apps.WebServer": "io.murano.Application"},
}
MURANO_EMPTY = {"type": "Application", "display_name": None, "categories": [],
                "class_definitions": [], "keywords": [], "inherits": {}}


def make_zip(files: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


PACKAGE = make_zip({"manifest.yaml": MANIFEST, **CLASS_FILES, "UI/ui.yaml": "Version: 2\n"})


def garbled_manifest_zip(compression: int) -> bytes:
    """A package whose manifest's compressed bytes are garbage (its headers are intact)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        archive.writestr("manifest.yaml", MANIFEST * 20)
        archive.writestr("Classes/WebServer.yaml", "Name: x\n")
    raw = bytearray(buffer.getvalue())
    with zipfile.ZipFile(io.BytesIO(bytes(raw))) as archive:
        info = archive.getinfo("manifest.yaml")
    name_length, extra_length = (int.from_bytes(raw[info.header_offset + at:
                                                     info.header_offset + at + 2], "little")
                                 for at in (26, 28))
    start = info.header_offset + 30 + name_length + extra_length
    raw[start:start + info.compress_size] = (b"\x07\xff\x13" * info.compress_size)[
        :info.compress_size]
    return bytes(raw)

# ---- helpers --------------------------------------------------------------------------------


def url(type_name: str, artifact_id: str, path: str = "") -> str:
    return f"/artifacts/{type_name}/{artifact_id}" + (f"/{path}" if path else "")


def link(type_name: str, artifact: dict) -> str:
    return f"/artifacts/{type_name}/{artifact['id']}"


def put(client: GlareClient, type_name: str, artifact_id: str, path: str, data: bytes,
        content_type: str = "application/octet-stream", **kwargs: Any) -> Any:
    return client.put(url(type_name, artifact_id, path), data=data, content_type=content_type,
                      **kwargs)


def put_chunked(client: GlareClient, type_name: str, artifact_id: str, path: str,
                data: bytes) -> Any:
    """Upload without Content-Length: the server learns the size only by reading."""
    return client.put(url(type_name, artifact_id, path), input_stream=io.BytesIO(data),
                      content_type="application/octet-stream",
                      headers={"Transfer-Encoding": "chunked"},
                      environ_overrides={"wsgi.input_terminated": True})


def uploaded(type_name: str, artifact_id: str, path: str, data: bytes,
             content_type: str) -> dict[str, Any]:
    """The exact output of an uploaded blob (§9.6, §10.2)."""
    return {"url": url(type_name, artifact_id, path), "size": len(data), **digests(data),
            "external": False, "status": "active", "content_type": content_type}


def current_blob(artifact: dict, path: str) -> Any:
    """The blob at ``path`` (``field`` or ``folder/key``), None when there is none."""
    field, _, key = path.partition("/")
    return (artifact[field] or {}).get(key) if key else artifact[field]


def assert_rejected(client: GlareClient, app: Any, type_name: str, artifact: dict, path: str,
                    data: bytes, *, message: str, chunked: bool = False) -> dict:
    """The upload is refused with 400 and leaves the artifact and the stores as they were."""
    before = stored(app)
    if chunked:
        response = put_chunked(client, type_name, artifact["id"], path, data)
    else:
        response = put(client, type_name, artifact["id"], path, data)
    body = assert_error(response, 400)
    assert message in body["error"]["message"], body["error"]["message"]
    after = client.show(type_name, artifact["id"])
    assert after == artifact
    assert stored(app) == before
    if current_blob(artifact, path) is None:
        assert_error(client.get(url(type_name, artifact["id"], path)), 404)
    return after


# ---- the whole lifecycle, per type ----------------------------------------------------------

LIFECYCLE = {
    "heat_templates": (
        {"name": "web-stack", "version": "2.1.0", "default_envs": {"prod": "production"}},
        [("template", HOT, "application/x-yaml"),
         ("nested_templates/port.yaml", NESTED, "application/x-yaml")],
    ),
    "heat_environments": (
        {"name": "production", "version": "1.0.0"},
        [("environment", ENVIRONMENT, "application/x-yaml")],
    ),
    "murano_packages": (
        {"name": "webserver", "version": "3.0.0-beta"},
        [("package", PACKAGE, "application/zip")],
    ),
    "tosca_templates": (
        {"name": "compute", "template_format": "tosca_simple_yaml_1_3"},
        [("template", TOSCA, "application/x-yaml")],
    ),
    "secrets": (
        {"name": "db-key", "secret_type": "symmetric", "algorithm": "aes", "bit_length": 256,
         "mode": "cbc"},
        [("payload", SECRET, "application/octet-stream")],
    ),
}
DISPLAY_NAMES = {
    "heat_templates": "Heat Templates",
    "heat_environments": "Heat Environments",
    "murano_packages": "Murano packages",
    "tosca_templates": "TOSCA Templates",
    "secrets": "Secrets",
}


@BOTH_STORES
@pytest.mark.parametrize("type_name", BUILTIN_TYPES)
def test_lifecycle(type_name, user1, user2, admin, glare_app):
    values, uploads = LIFECYCLE[type_name]
    art = user1.create(type_name, **values)
    assert art["status"] == "drafted"
    assert art["visibility"] == "private"
    assert art["owner"] == "p1"
    assert art["display_type_name"] == DISPLAY_NAMES[type_name]
    assert {key: art[key] for key in values} == values
    for path, _, _ in uploads:
        assert current_blob(art, path) is None
    # A required field (the body; Murano: display_name) is missing: activation → 403.
    assert_error(user1.patch(url(type_name, art["id"]), [ACTIVATE]), 403)

    for path, data, content_type in uploads:
        response = put(user1, type_name, art["id"], path, data, content_type)
        assert response.status_code == 200, response.get_data(as_text=True)
        art = response.get_json()
        assert current_blob(art, path) == uploaded(type_name, art["id"], path, data, content_type)
    if type_name == "murano_packages":
        assert {k: art[k] for k in MURANO_FIELDS} == MURANO_FIELDS

    active = user1.update(type_name, art["id"], ACTIVATE)
    assert active["status"] == "active"
    assert active["activated_at"] is not None
    assert user2.get(url(type_name, art["id"])).status_code == 404  # still private

    public = admin.update(type_name, art["id"], PUBLISH)
    assert public["visibility"] == "public"
    assert public["status"] == "active"
    assert user2.show(type_name, art["id"])["id"] == art["id"]

    for path, data, content_type in uploads:
        for client in (user1, user2, admin):
            response = client.get(url(type_name, art["id"], path))
            assert response.status_code == 200, response.get_data(as_text=True)
            assert response.data == data
            assert response.headers["Content-Type"].startswith(content_type)
            assert response.headers["Content-MD5"] == digests(data)["md5"]
            assert response.headers["Content-Length"] == str(len(data))

    deactivated = admin.update(type_name, art["id"], DEACTIVATE)
    assert deactivated["status"] == "deactivated"
    path, data, _ = uploads[0]
    assert_error(user1.get(url(type_name, art["id"], path)), 403)
    assert admin.get(url(type_name, art["id"], path)).data == data

    reactivated = admin.update(type_name, art["id"], ACTIVATE)
    assert reactivated["status"] == "active"
    assert reactivated["visibility"] == "public"
    assert user2.get(url(type_name, art["id"], path)).data == data

    assert_error(user1.delete(url(type_name, art["id"])), 403)  # public: admin only
    assert admin.delete(url(type_name, art["id"])).status_code == 204
    assert_error(user1.get(url(type_name, art["id"])), 404)
    assert user1.list(type_name)["artifacts"] == []
    assert stored(glare_app) == set()


@pytest.mark.parametrize("type_name", BUILTIN_TYPES)
def test_listed_in_all_with_display_name(type_name, user1):
    values, _ = LIFECYCLE[type_name]
    art = user1.create(type_name, **values)
    listed = user1.list("all", f"type_name={type_name}")["artifacts"]
    assert [(a["id"], a["type_name"], a["display_type_name"]) for a in listed] == [
        (art["id"], type_name, DISPLAY_NAMES[type_name])]


# ---- heat_templates -------------------------------------------------------------------------


@pytest.mark.parametrize("body", [HOT, CFN_JSON, HEAT_CFN, b"heat_template_version: 2021-04-16\n",
                                  b"\xef\xbb\xbfheat_template_version: 2016-10-14\nresources:\n",
                                  b'{\t"heat_template_version": "2015-04-30"}'],
                         ids=["hot", "cfn-json", "heat-cfn", "no-resources", "bom-empty-res",
                              "json-with-tab"])
def test_valid_templates_are_accepted(user1, body):
    art = user1.create("heat_templates", name="t")
    response = put(user1, "heat_templates", art["id"], "template", body)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["template"]["size"] == len(body)
    assert user1.get(url("heat_templates", art["id"], "template")).data == body


BAD_TEMPLATES = [
    (b"heat_template_version: [2018-08-31\n", "neither valid YAML nor JSON"),
    (b"- heat_template_version\n- resources\n", "must be a mapping, not a list"),
    (b"just some text\n", "must be a mapping, not a string"),
    (b"", "must be a mapping, not empty"),
    (b"description: no version\nresources: {}\n", "has no template version"),
    (b"heat_template_version:\nresources: {}\n", "has no template version"),
    (b"heat_template_version: 2018-08-31\nresources: [server, port]\n",
     "'resources' section of the template must be a mapping, not a list"),
    (b'{"AWSTemplateFormatVersion": "2010-09-09", "Resources": "bucket"}',
     "'Resources' section of the template must be a mapping, not a string"),
    (b"heat_template_version: 2018-08-31\n\xff\xfe\n", "not UTF-8"),
]


@BOTH_STORES
@pytest.mark.parametrize("body, message", BAD_TEMPLATES)
def test_bad_template_is_400_and_blob_stays_absent(user1, glare_app, body, message):
    art = user1.create("heat_templates", name="t")
    assert_rejected(user1, glare_app, "heat_templates", art, "template", body, message=message)
    # Nothing blocks a valid upload afterwards.
    assert put(user1, "heat_templates", art["id"], "template", HOT).status_code == 200


def test_bad_template_in_a_chunked_upload_is_400(user1, glare_app):
    art = user1.create("heat_templates", name="t")
    assert_rejected(user1, glare_app, "heat_templates", art, "template",
                    b"resources: {}\n" * 1000, message="has no template version", chunked=True)


def test_bad_reupload_keeps_the_previous_template(user1, glare_app):
    art = user1.create("heat_templates", name="t")
    art = put(user1, "heat_templates", art["id"], "template", HOT, "text/yaml").get_json()
    assert_rejected(user1, glare_app, "heat_templates", art, "template", b"- no\n",
                    message="must be a mapping")
    assert user1.show("heat_templates", art["id"])["template"] == uploaded(
        "heat_templates", art["id"], "template", HOT, "text/yaml")
    assert user1.get(url("heat_templates", art["id"], "template")).data == HOT


def test_nested_templates_are_checked_too(user1, glare_app):
    art = user1.create("heat_templates", name="t")
    response = put(user1, "heat_templates", art["id"], "nested_templates/port.yaml", NESTED)
    assert response.status_code == 200
    art = response.get_json()
    assert list(art["nested_templates"]) == ["port.yaml"]
    after = assert_rejected(user1, glare_app, "heat_templates", art,
                            "nested_templates/broken.yaml", b"resources: {}\n",
                            message="nested template 'broken.yaml' has no template version")
    assert list(after["nested_templates"]) == ["port.yaml"]
    assert_error(user1.get(url("heat_templates", art["id"], "nested_templates/broken.yaml")),
                 404)


def test_template_of_exactly_10_mib_is_accepted_streamed(user1):
    head = b"heat_template_version: 2018-08-31\n#"
    body = head + b"x" * (10 * MIB - len(head) - 1) + b"\n"
    assert len(body) == 10 * MIB
    art = user1.create("heat_templates", name="big")
    response = put_chunked(user1, "heat_templates", art["id"], "template", body)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["template"]["size"] == 10 * MIB


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_template_over_10_mib_is_413(user1, glare_app, chunked):
    head = b"heat_template_version: 2018-08-31\n#"
    body = head + b"x" * (10 * MIB - len(head)) + b"\n"
    art = user1.create("heat_templates", name="big")
    if chunked:
        response = put_chunked(user1, "heat_templates", art["id"], "template", body)
    else:
        response = put(user1, "heat_templates", art["id"], "template", body)
    assert_error(response, 413)
    assert user1.show("heat_templates", art["id"])["template"] is None
    assert stored(glare_app) == set()


def test_template_activation_needs_the_template(user1):
    art = user1.create("heat_templates", name="t")
    assert_error(user1.patch(url("heat_templates", art["id"]), [ACTIVATE]), 403)
    put(user1, "heat_templates", art["id"], "template", HOT)
    assert user1.update("heat_templates", art["id"], ACTIVATE)["status"] == "active"


def test_environments_link_to_heat_environments(user1):
    env = user1.create("heat_environments", name="prod")
    template = user1.create("heat_templates", name="t",
                            environments={"prod": link("heat_environments", env)})
    assert template["environments"] == {"prod": f"/artifacts/heat_environments/{env['id']}"}
    other = user1.create("heat_environments", name="dev")
    updated = user1.update("heat_templates", template["id"],
                           {"op": "add", "path": "/environments/dev",
                            "value": link("heat_environments", other)})
    assert updated["environments"] == {"prod": link("heat_environments", env),
                                       "dev": link("heat_environments", other)}


def test_environments_refuse_links_to_other_types(user1):
    other_template = user1.create("heat_templates", name="other")
    package = user1.create("murano_packages", name="pkg")
    response = user1.post("/artifacts/heat_templates", {
        "name": "t", "environments": {"x": link("heat_templates", other_template)}})
    body = assert_error(response, 400)
    assert "must link to a heat_environments artifact" in body["error"]["message"]
    art = user1.create("heat_templates", name="t")
    for value in (link("murano_packages", package), link("all", other_template),
                  "https://example.com/env.yaml", "Invalid"):
        response = user1.patch(url("heat_templates", art["id"]),
                               [{"op": "add", "path": "/environments/x", "value": value}])
        assert_error(response, 400)
    # The right type segment with the id of an artifact of another type: the core refuses.
    response = user1.patch(url("heat_templates", art["id"]), [
        {"op": "add", "path": "/environments/x",
         "value": f"/artifacts/heat_environments/{other_template['id']}"}])
    assert_error(response, 400)
    # A missing environment.
    response = user1.patch(url("heat_templates", art["id"]), [
        {"op": "add", "path": "/environments/x",
         "value": "/artifacts/heat_environments/00000000-0000-0000-0000-000000000000"}])
    assert_error(response, 400)
    assert user1.show("heat_templates", art["id"])["environments"] == {}


def test_environments_and_default_envs_are_mutable_when_active(user1):
    env = user1.create("heat_environments", name="prod")
    art = user1.create("heat_templates", name="t")
    put(user1, "heat_templates", art["id"], "template", HOT)
    user1.update("heat_templates", art["id"], ACTIVATE)
    updated = user1.update("heat_templates", art["id"],
                           replace_op("/environments", {"prod": link("heat_environments", env)}),
                           replace_op("/default_envs", {"prod": "prod"}))
    assert updated["environments"] == {"prod": link("heat_environments", env)}
    assert updated["default_envs"] == {"prod": "prod"}
    # The template and the nested templates are not.
    assert_error(put(user1, "heat_templates", art["id"], "template", HOT), 403)
    assert_error(put(user1, "heat_templates", art["id"], "nested_templates/a.yaml", NESTED),
                 403)


def test_template_filters(user1):
    env = user1.create("heat_environments", name="prod")
    first = user1.create("heat_templates", name="a", default_envs={"prod": "production"},
                         environments={"prod": link("heat_environments", env)})
    user1.create("heat_templates", name="b", default_envs={"dev": "development"})
    found = user1.list("heat_templates", "default_envs.prod=production")["artifacts"]
    assert [a["id"] for a in found] == [first["id"]]
    found = user1.list("heat_templates", "default_envs=in:prod,qa")["artifacts"]
    assert [a["name"] for a in found] == ["a"]
    assert_error(user1.get("/artifacts/heat_templates?environments=gt:x"), 400)


# ---- heat_environments ----------------------------------------------------------------------


@pytest.mark.parametrize("body", [
    ENVIRONMENT,
    b"parameters: {}\n",
    b'{"parameter_defaults": {"flavor": "m1.tiny"}, "event_sinks": null}',
], ids=["all-sections", "parameters", "json"])
def test_valid_environments_are_accepted(user1, body):
    art = user1.create("heat_environments", name="e")
    response = put(user1, "heat_environments", art["id"], "environment", body)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert user1.get(url("heat_environments", art["id"], "environment")).data == body


BAD_ENVIRONMENTS = [
    (b"parameters: {}\nresources: {}\n", "unknown sections: resources"),
    (b"heat_template_version: 2018-08-31\nparameters: {}\noutputs: {}\n",
     "unknown sections: heat_template_version, outputs"),
    (b"- parameters\n", "must be a mapping, not a list"),
    (b"", "must be a mapping, not empty"),
    (b"parameters: [a, b]\n", "'parameters' section of the environment must be a mapping"),
    (b"encrypted_param_names: password\n",
     "'encrypted_param_names' section of the environment must be a list"),
    (b"parameters: {\n", "neither valid YAML nor JSON"),
]


@BOTH_STORES
@pytest.mark.parametrize("body, message", BAD_ENVIRONMENTS)
def test_bad_environment_is_400_and_blob_stays_absent(user1, glare_app, body, message):
    art = user1.create("heat_environments", name="e")
    assert_rejected(user1, glare_app, "heat_environments", art, "environment", body,
                    message=message)


def test_environment_activation_needs_the_environment(user1):
    art = user1.create("heat_environments", name="e")
    assert_error(user1.patch(url("heat_environments", art["id"]), [ACTIVATE]), 403)
    put(user1, "heat_environments", art["id"], "environment", ENVIRONMENT)
    assert user1.update("heat_environments", art["id"], ACTIVATE)["status"] == "active"


# ---- murano_packages ------------------------------------------------------------------------


@BOTH_STORES
def test_package_upload_fills_fields_from_the_manifest(user1):
    art = user1.create("murano_packages", name="webserver")
    assert {k: art[k] for k in MURANO_EMPTY} == MURANO_EMPTY
    response = put(user1, "murano_packages", art["id"], "package", PACKAGE, "application/zip")
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert {k: body[k] for k in MURANO_FIELDS} == MURANO_FIELDS
    assert body["package"] == uploaded("murano_packages", art["id"], "package", PACKAGE,
                                       "application/zip")
    assert user1.show("murano_packages", art["id"]) == body
    assert user1.get(url("murano_packages", art["id"], "package")).data == PACKAGE
    found = user1.list("murano_packages", "class_definitions=io.example.apps.WebServer")
    assert [a["id"] for a in found["artifacts"]] == [art["id"]]
    found = user1.list("murano_packages", "keywords=in:http,ftp&type=Library")
    assert [a["id"] for a in found["artifacts"]] == [art["id"]]


def test_minimal_manifest_uses_the_defaults(user1):
    package = make_zip({"manifest.yaml": "FullName: io.example.Minimal\n"})
    art = user1.create("murano_packages", name="minimal", keywords=["old"])
    body = put(user1, "murano_packages", art["id"], "package", package).get_json()
    assert {k: body[k] for k in MURANO_EMPTY} == {
        **MURANO_EMPTY, "display_name": "io.example.Minimal", "keywords": []}


def test_spooled_package_file_is_removed(user1, tmp_path, monkeypatch):
    spool = tmp_path / "spool"
    spool.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(spool))
    art = user1.create("murano_packages", name="p")
    assert put(user1, "murano_packages", art["id"], "package", PACKAGE).status_code == 200
    assert list(spool.iterdir()) == []
    other = user1.create("murano_packages", name="q")
    assert put(user1, "murano_packages", other["id"], "package", b"no zip").status_code == 400
    assert list(spool.iterdir()) == []


def manifest_package(manifest: str | bytes, **files: str) -> bytes:
    return make_zip({"manifest.yaml": manifest, **CLASS_FILES, **files})


BAD_PACKAGES = [
    (b"this is not a zip archive", "not a valid zip archive"),
    (b"", "not a valid zip archive"),
    (PACKAGE[: len(PACKAGE) // 2], "not a valid zip archive"),
    (garbled_manifest_zip(zipfile.ZIP_DEFLATED), "manifest.yaml cannot be read"),
    (garbled_manifest_zip(zipfile.ZIP_BZIP2), "manifest.yaml cannot be read"),
    (garbled_manifest_zip(zipfile.ZIP_LZMA), "manifest.yaml cannot be read"),
    (make_zip({"Classes/WebServer.yaml": "Name: x\n", "README": "no manifest"}),
     "has no manifest.yaml"),
    (make_zip({"package/manifest.yaml": MANIFEST}), "has no manifest.yaml"),
    (manifest_package("FullName: [unclosed\n"), "manifest.yaml is not valid YAML"),
    (manifest_package(b"FullName: \xff\xfe\n"), "manifest.yaml is not valid YAML"),
    (manifest_package("- FullName\n- Type\n"), "manifest.yaml must be a mapping"),
    (manifest_package("Type: Application\nTags: [a]\n"), "needs a 'FullName'"),
    (manifest_package("FullName: ''\n"), "needs a 'FullName'"),
    (manifest_package("FullName: [a, b]\n"), "needs a 'FullName'"),
    (manifest_package("FullName: a.B\nType: Service\n"),
     "has Type 'Service'; it must be one of Application, Library"),
    (manifest_package("FullName: a.B\nClasses: [a.B]\n"), "'Classes' in the package's"),
    (manifest_package("FullName: a.B\nTags: {web: yes}\n"), "'Tags' in the package's"),
    (manifest_package("FullName: a.B\nCategories: [[a]]\n"), "'Categories' in the package's"),
    (manifest_package("FullName: a.B\nInherits: [a.B]\n"), "'Inherits' in the package's"),
    (manifest_package("FullName: a.B\nClasses: {a.B: Missing.yaml}\n"),
     "class files that are not in the package: Classes/Missing.yaml"),
    (manifest_package("FullName: " + "n" * 256 + "\n"),
     "Invalid value for field 'display_name'"),
]


@BOTH_STORES
@pytest.mark.parametrize("body, message", BAD_PACKAGES)
def test_bad_package_is_400_and_fields_stay_unchanged(user1, glare_app, body, message):
    art = user1.create("murano_packages", name="p")
    after = assert_rejected(user1, glare_app, "murano_packages", art, "package", body,
                            message=message)
    assert {k: after[k] for k in MURANO_EMPTY} == MURANO_EMPTY


def test_bad_package_in_a_chunked_upload_is_400(user1, glare_app):
    art = user1.create("murano_packages", name="p")
    assert_rejected(user1, glare_app, "murano_packages", art, "package",
                    make_zip({"README": "x" * 100_000}), message="has no manifest.yaml",
                    chunked=True)


def test_bad_reupload_keeps_package_and_fields(user1, glare_app):
    art = user1.create("murano_packages", name="p")
    art = put(user1, "murano_packages", art["id"], "package", PACKAGE).get_json()
    after = assert_rejected(user1, glare_app, "murano_packages", art, "package",
                            manifest_package("FullName: other.Name\nType: Application\n"
                                             "Classes: {x.Y: Nope.yaml}\n"),
                            message="not in the package")
    assert {k: after[k] for k in MURANO_FIELDS} == MURANO_FIELDS
    assert user1.get(url("murano_packages", art["id"], "package")).data == PACKAGE


def test_package_activation_needs_display_name(user1):
    art = user1.create("murano_packages", name="p")
    assert_error(user1.patch(url("murano_packages", art["id"]), [ACTIVATE]), 403)
    active = user1.update("murano_packages", art["id"], replace_op("/display_name", "My app"),
                          ACTIVATE)
    assert active["status"] == "active"
    assert active["package"] is None  # the package blob is not required


def test_package_field_rules(user1):
    assert_error(user1.post("/artifacts/murano_packages", {"name": "p", "type": "Service"}),
                 400)
    assert_error(user1.post("/artifacts/murano_packages",
                            {"name": "p", "class_definitions": ["a.B", "a.B"]}), 400)
    assert_error(user1.post("/artifacts/murano_packages",
                            {"name": "p", "display_name": "d" * 256}), 400)
    art = user1.create("murano_packages", name="p", display_name="App", type="Library",
                       class_definitions=["a.B"], inherits={"a.B": "io.murano.Object"})
    user1.update("murano_packages", art["id"], ACTIVATE)
    updated = user1.update("murano_packages", art["id"],
                           replace_op("/display_name", "Renamed"),
                           replace_op("/categories", ["Databases"]),
                           replace_op("/keywords", ["sql"]))
    assert (updated["display_name"], updated["categories"], updated["keywords"]) == (
        "Renamed", ["Databases"], ["sql"])
    for field, value in (("type", "Application"), ("class_definitions", ["c.D"]),
                         ("inherits", {}), ("dependencies", [])):
        response = user1.patch(url("murano_packages", art["id"]), [replace_op(f"/{field}",
                                                                              value)])
        assert_error(response, 403)
    assert_error(put(user1, "murano_packages", art["id"], "package", PACKAGE), 403)


def test_dependencies_link_to_murano_packages(user1):
    base = user1.create("murano_packages", name="base")
    art = user1.create("murano_packages", name="app",
                       dependencies=[link("murano_packages", base)])
    assert art["dependencies"] == [f"/artifacts/murano_packages/{base['id']}"]
    template = user1.create("heat_templates", name="t")
    for value in (link("heat_templates", template), link("all", base),
                  "https://example.com/pkg.zip", f"/artifacts/murano_packages/{template['id']}"):
        response = user1.patch(url("murano_packages", art["id"]),
                               [{"op": "add", "path": "/dependencies/-", "value": value}])
        assert_error(response, 400)
    body = assert_error(user1.post("/artifacts/murano_packages", {
        "name": "x", "dependencies": [link("heat_templates", template)]}), 400)
    assert "must link to a murano_packages artifact" in body["error"]["message"]


# ---- tosca_templates ------------------------------------------------------------------------


def test_tosca_template_is_accepted(user1):
    art = user1.create("tosca_templates", name="t")
    response = put(user1, "tosca_templates", art["id"], "template", TOSCA, "application/x-yaml")
    assert response.status_code == 200
    assert response.get_json()["template"] == uploaded(
        "tosca_templates", art["id"], "template", TOSCA, "application/x-yaml")


BAD_TOSCA = [
    (b"description: no version\ntopology_template: {}\n",
     "has no 'tosca_definitions_version' key"),
    (b"tosca_definitions_version:\n", "has no 'tosca_definitions_version' key"),
    (b"heat_template_version: 2018-08-31\n", "has no 'tosca_definitions_version' key"),
    (b"- tosca_definitions_version\n", "must be a YAML mapping"),
    (b"", "must be a YAML mapping"),
    (b"tosca_definitions_version: [1\n", "is not valid YAML"),
]


@BOTH_STORES
@pytest.mark.parametrize("body, message", BAD_TOSCA)
def test_bad_tosca_template_is_400_and_blob_stays_absent(user1, glare_app, body, message):
    art = user1.create("tosca_templates", name="t")
    assert_rejected(user1, glare_app, "tosca_templates", art, "template", body,
                    message=message)


def test_tosca_activation_needs_format_and_template(user1):
    art = user1.create("tosca_templates", name="t")
    put(user1, "tosca_templates", art["id"], "template", TOSCA)
    assert_error(user1.patch(url("tosca_templates", art["id"]), [ACTIVATE]), 403)
    other = user1.create("tosca_templates", name="u", template_format="tosca_simple_yaml_1_3")
    assert_error(user1.patch(url("tosca_templates", other["id"]), [ACTIVATE]), 403)
    active = user1.update("tosca_templates", art["id"],
                          replace_op("/template_format", "tosca_simple_yaml_1_3"), ACTIVATE)
    assert active["status"] == "active"
    assert_error(user1.patch(url("tosca_templates", art["id"]),
                             [replace_op("/template_format", "x")]), 403)


# ---- secrets --------------------------------------------------------------------------------


def test_secret_defaults_and_validators(user1):
    art = user1.create("secrets", name="s")
    assert (art["payload_content_encoding"], art["secret_type"], art["algorithm"],
            art["bit_length"], art["mode"], art["payload"]) == (
        "base64", "opaque", None, None, None, None)
    for values in ({"secret_type": "magic"}, {"payload_content_encoding": "hex"},
                   {"bit_length": 0}, {"algorithm": "a" * 256}, {"mode": "m" * 256}):
        assert_error(user1.post("/artifacts/secrets", {"name": "x", **values}), 400)
    for secret_type in ("symmetric", "public", "private", "passphrase", "certificate"):
        assert user1.create("secrets", name=secret_type, secret_type=secret_type,
                            bit_length=1)["secret_type"] == secret_type


def test_secret_filters_and_sorting(user1):
    user1.create("secrets", name="a", secret_type="symmetric", bit_length=256)
    user1.create("secrets", name="b", secret_type="private", bit_length=2048)
    user1.create("secrets", name="c", bit_length=128)
    names = [a["name"] for a in user1.list("secrets", "secret_type=symmetric")["artifacts"]]
    assert names == ["a"]
    names = [a["name"] for a in user1.list("secrets", "bit_length=gte:256&sort=bit_length:asc")
             ["artifacts"]]
    assert names == ["a", "b"]
    names = [a["name"] for a in user1.list("secrets", "sort=secret_type:asc")["artifacts"]]
    assert names == ["c", "b", "a"]
    assert_error(user1.get("/artifacts/secrets?secret_type=neq:opaque"), 400)
    assert_error(user1.get("/artifacts/secrets?payload_content_encoding=base64"), 400)
    assert_error(user1.get("/artifacts/secrets?sort=algorithm"), 400)


def test_secrets_are_off_unless_enabled(glare_config):
    config = {k: v for k, v in glare_config.items() if k != "GLARE_ENABLED_TYPES"}
    plugins = [glare_heat, glare_murano, glare_tosca, glare_secrets]
    app = create_app(config, plugins=plugins, autoload=False)
    try:
        client = GlareClient(app.test_client())
        served = set(client.get("/schemas").get_json()["schemas"])
        assert served == {"all", "heat_templates", "heat_environments", "murano_packages",
                          "tosca_templates"}
        assert_error(client.get("/schemas/secrets"), 404)
        assert_error(client.post("/artifacts/secrets", {"name": "s"}), 404)
    finally:
        app.extensions["glare"].database.dispose()


# ---- schemas (§19, §29) ---------------------------------------------------------------------

STRING_OPS = ["eq", "neq", "in"]
NUMERIC_OPS = ["eq", "neq", "in", "gt", "gte", "lt", "lte"]


def field(glare_type: str, *, mutable: bool = False, roa: bool = True, default: Any = None,
          filter_ops: list[str] | None = None, sortable: bool = False,
          **keywords: Any) -> dict[str, Any]:
    """The expected contract attributes of one field (and JSON-Schema keywords to check)."""
    return {"glareType": glare_type, "mutable": mutable, "roa": roa, "default": default,
            "filter_ops": filter_ops or [], "sortable": sortable, "keywords": keywords}


SCHEMAS = {
    "heat_templates": {
        "template": field("Blob"),
        "nested_templates": field("BlobDict", default={}),
        "environments": field("LinkDict", mutable=True, default={}, filter_ops=["eq", "neq"]),
        "default_envs": field("StringDict", mutable=True, default={}, filter_ops=STRING_OPS),
    },
    "heat_environments": {
        "environment": field("Blob"),
    },
    "murano_packages": {
        "package": field("Blob", roa=False),
        "type": field("String", default="Application", filter_ops=STRING_OPS,
                      enum=["Application", "Library"]),
        "display_name": field("String", mutable=True, filter_ops=STRING_OPS, maxLength=255),
        "categories": field("StringList", mutable=True, default=[], filter_ops=STRING_OPS),
        "class_definitions": field("StringList", default=[], filter_ops=STRING_OPS,
                                   uniqueItems=True),
        "inherits": field("StringDict", default={}, filter_ops=STRING_OPS),
        "keywords": field("StringList", mutable=True, default=[], filter_ops=STRING_OPS),
        "dependencies": field("LinkList", roa=False, default=[], filter_ops=["eq", "neq"]),
    },
    "tosca_templates": {
        "template_format": field("String", filter_ops=STRING_OPS, maxLength=255),
        "template": field("Blob"),
    },
    "secrets": {
        "payload": field("Blob"),
        "payload_content_encoding": field("String", roa=False, default="base64",
                                          enum=["base64"]),
        "secret_type": field("String", roa=False, default="opaque", sortable=True,
                             filter_ops=["eq"],
                             enum=["symmetric", "public", "private", "passphrase",
                                   "certificate", "opaque"]),
        "algorithm": field("String", roa=False, filter_ops=["eq"], maxLength=255),
        "bit_length": field("Integer", roa=False, sortable=True, filter_ops=NUMERIC_OPS,
                            minimum=1),
        "mode": field("String", roa=False, filter_ops=["eq"], maxLength=255),
    },
}
JSON_TYPES = {"Blob": "object", "BlobDict": "object", "String": "string", "Integer": "integer",
              "StringList": "array", "LinkList": "array", "StringDict": "object",
              "LinkDict": "object"}
BLOB_SIZES = {("heat_templates", "template"): 10 * MIB,
              ("heat_templates", "nested_templates"): 10 * MIB,
              ("heat_environments", "environment"): 10 * MIB,
              ("murano_packages", "package"): 104_857_600,
              ("tosca_templates", "template"): 10 * MIB,
              ("secrets", "payload"): 10 * MIB}


@pytest.mark.parametrize("type_name", BUILTIN_TYPES)
def test_schema_matches_the_contract(user1, type_name):
    response = user1.get(f"/schemas/{type_name}")
    assert response.status_code == 200
    schema = response.get_json()["schemas"][type_name]
    jsonschema.Draft4Validator.check_schema(schema)
    assert {k: schema[k] for k in ("name", "display_name", "version", "title", "type",
                                   "required")} == {
        "name": type_name, "display_name": DISPLAY_NAMES[type_name], "version": "1.0",
        "title": f"Artifact type {type_name} of version 1.0", "type": "object",
        "required": ["name"]}
    expected = SCHEMAS[type_name]
    assert set(schema["properties"]) == BASE_FIELDS | set(expected)
    for name, spec in expected.items():
        entry = schema["properties"][name]
        assert entry["glareType"] == spec["glareType"], name
        assert entry["type"] == [JSON_TYPES[spec["glareType"]], "null"], name
        assert entry.get("mutable", False) is spec["mutable"], name
        assert entry.get("required_on_activate", True) is spec["roa"], name
        assert "required_on_activate" not in entry or entry["required_on_activate"] is False
        assert entry.get("default") == spec["default"], name
        assert entry["filter_ops"] == spec["filter_ops"], name
        assert entry.get("sortable", False) is spec["sortable"], name
        assert "readOnly" not in entry, name
        for keyword, value in spec["keywords"].items():
            assert entry[keyword] == value, (name, keyword)
        if spec["glareType"] == "Blob":
            assert entry["required"] == ["size", "md5", "sha1", "sha256", "external", "status",
                                         "content_type"]
        if spec["glareType"] == "BlobDict":
            assert entry["additionalProperties"]["type"] == ["object", "null"]


def test_blob_size_limits(glare_app):
    registry = glare_app.extensions["glare"].registry
    for (type_name, field_name), size in BLOB_SIZES.items():
        assert registry[type_name].fields[field_name].field.max_blob_size == size
    folder = registry["heat_templates"].fields["nested_templates"].field
    assert folder.max_folder_size == 2550 * MIB


def test_schemas_lists_every_shipped_type(user1):
    schemas = user1.get("/schemas").get_json()["schemas"]
    assert set(schemas) == {"all", *BUILTIN_TYPES}


def test_plugins_import_only_the_public_plugin_api():
    """Type plugins may import from the core only through ``glare_core.plugin``."""
    import re

    for module in (glare_heat, glare_murano, glare_tosca, glare_secrets):
        for path in Path(module.__file__).parent.rglob("*.py"):
            for imported in re.findall(r"^\s*(?:from|import)\s+(glare_core[\w.]*)",
                                       path.read_text(), re.M):
                assert imported == "glare_core.plugin", f"{path}: imports {imported}"
