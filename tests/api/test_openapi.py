"""The OpenAPI document: valid OpenAPI 3.0, and true to what the server really sends.

Clients generated from the document, and the browsable UI, rely on it: every type's
component must accept that type's real artifacts, the documented error envelope must be
the one errors really have, and the identity headers must be declared so "Try it out"
can send them.
"""

from __future__ import annotations

from typing import Any

import glare_heat
import glare_images
import glare_murano
import glare_sample_artifact
import glare_secrets
import glare_tosca
import pytest
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import OpenAPIV30SpecValidator

ALL_PLUGINS = [glare_sample_artifact, glare_images, glare_heat, glare_tosca, glare_murano,
               glare_secrets]


@pytest.fixture
def glare_plugins() -> list[Any]:
    return ALL_PLUGINS


@pytest.fixture
def spec(glare_app) -> dict[str, Any]:
    response = glare_app.test_client().get("/-/api/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def conforms(spec: dict[str, Any], component: str, instance: Any) -> list[str]:
    """Messages of every way ``instance`` breaks ``#/components/schemas/<component>``."""
    schema = {"$ref": f"#/components/schemas/{component}", "components": spec["components"]}
    return [error.message for error in OAS30Validator(schema).iter_errors(instance)]


def test_the_document_is_valid_openapi_3_0(spec):
    errors = [error.message for error in OpenAPIV30SpecValidator(spec).iter_errors()]
    assert errors == []


def test_every_types_component_accepts_its_real_artifacts(spec, user1):
    types = [name for name in user1.get("/schemas").get_json()["schemas"] if name != "all"]
    assert {"images", "heat_templates", "murano_packages", "sample_artifact"} <= set(types)
    for type_name in types:
        created = user1.post(f"/artifacts/{type_name}", {"name": f"doc-{type_name}"})
        assert created.status_code == 201, created.get_json()
        artifact = user1.get(f"/artifacts/{type_name}/{created.get_json()['id']}").get_json()
        assert conforms(spec, f"{type_name}Artifact", artifact) == [], type_name
        assert conforms(spec, "Artifact", artifact) == []
        listed = user1.get(f"/artifacts/{type_name}").get_json()
        assert conforms(spec, "ArtifactList", listed) == []


def test_a_components_properties_are_checked(spec):
    """The check above has teeth: a wrong value for a documented property is caught."""
    assert conforms(spec, "imagesArtifact", {"name": 5, "min_ram": "lots"}) != []


@pytest.mark.parametrize("method, path, kwargs, status", [
    ("GET", "/artifacts/no_such_type", {}, 404),
    ("POST", "/artifacts/sample_artifact", {"data": b"{", "content_type": "application/json"},
     400),
    ("PATCH", "/artifacts/sample_artifact/00000000-0000-0000-0000-000000000000",
     {"json_body": []}, 415),
])
def test_the_documented_error_envelope_is_the_real_one(spec, user1, method, path, kwargs,
                                                       status):
    response = user1.request(method, path, **kwargs)
    assert response.status_code == status
    assert conforms(spec, "GlareError", response.get_json()) == []
    operation = spec["paths"][path.replace("sample_artifact", "{type_name}").replace(
        "no_such_type", "{type_name}").replace("00000000-0000-0000-0000-000000000000",
                                               "{artifact_id}")][method.lower()]
    assert "default" not in operation["responses"]  # each status is listed
    reference = operation["responses"][str(status)]["$ref"]
    content = spec["components"]["responses"][reference.rsplit("/", 1)[1]]["content"]
    assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/GlareError"}


def test_identity_headers_are_declared_for_try_it_out(spec, anonymous):
    schemes = spec["components"]["securitySchemes"]
    by_name = {scheme["name"]: name for name, scheme in schemes.items()}
    # noauth (the test app's strategy) reads the identity headers and no token.
    assert set(by_name) == {"X-Identity-Status", "X-Project-Id", "X-User-Id", "X-Roles"}
    full, minimal = spec["security"]
    headers = {schemes[name]["name"]: value for name, value in zip(
        full, ("Confirmed", "p1", "u1", "member"), strict=True)}
    # The requirement's headers, in the documented order, are exactly what a call needs.
    assert list(headers) == ["X-Identity-Status", "X-Project-Id", "X-User-Id", "X-Roles"]
    assert anonymous.get("/-/plugins").status_code == 401
    assert anonymous.get("/-/plugins", headers=headers).status_code == 200
    # X-Identity-Status alone is enough (a caller with no project, user or roles).
    assert [schemes[name]["name"] for name in minimal] == ["X-Identity-Status"]
    assert anonymous.get("/-/plugins", headers={"X-Identity-Status": "Confirmed"}
                         ).status_code == 200


@pytest.mark.parametrize("extra_settings, names, anonymous_allowed", [
    ({"GLARE_AUTH_STRATEGY": "trusted-auth"}, {"X-Auth-Token"}, False),
    ({"GLARE_ALLOW_ANONYMOUS": True}, {"X-Identity-Status", "X-Project-Id", "X-User-Id",
                                       "X-Roles"}, True),
])
def test_security_follows_the_servers_strategy(spec, names, anonymous_allowed):
    schemes = spec["components"]["securitySchemes"]
    assert {scheme["name"] for scheme in schemes.values()} == names
    assert ({} in spec["security"]) is anonymous_allowed


def test_routes_anyone_may_call_ask_for_no_identity(spec, anonymous):
    for path in ("/healthcheck", "/versions"):
        assert spec["paths"][path]["get"]["security"] == []
        assert anonymous.get(path).status_code in (200, 300)
    assert "security" not in spec["paths"]["/-/plugins"]["get"]  # the global requirement


def test_download_documents_range_and_conditional_headers(spec):
    blob_path = spec["paths"]["/artifacts/{type_name}/{artifact_id}/{blob_path}"]
    for method in ("get", "head"):
        headers = {p["name"] for p in blob_path[method]["parameters"] if p["in"] == "header"}
        assert headers == {"Range", "If-Range", "If-None-Match", "If-Match"}
        assert set(blob_path[method]["responses"]) >= {"200", "206", "301", "304", "412",
                                                      "416"}
    assert "content" not in blob_path["head"]["responses"]["200"]  # no body
    # The data comes with the blob's own content type, whatever it is.
    assert list(blob_path["get"]["responses"]["200"]["content"]) == ["*/*"]
    path_param = next(p for p in blob_path["parameters"] if p["name"] == "blob_path")
    assert "'/'" in path_param["description"]


def test_service_routes_declare_what_they_answer(spec, user1, tmp_path):
    versions = spec["paths"]["/versions"]["get"]["responses"]
    assert list(versions) == ["300"]
    answer = user1.get("/versions")
    assert answer.status_code == 300 and answer.mimetype == "application/json"
    assert conforms_to(spec, versions["300"]["content"]["application/json"]["schema"],
                       answer.get_json()) == []
    health = spec["paths"]["/healthcheck"]["get"]["responses"]
    assert list(health["200"]["content"]) == ["text/plain"]
    assert user1.get("/healthcheck").mimetype == "text/plain"
    assert "503" in health
    plugins = spec["paths"]["/-/plugins"]["get"]["responses"]["200"]
    assert conforms_to(spec, plugins["content"]["application/json"]["schema"],
                       user1.get("/-/plugins").get_json()) == []


def test_a_create_schema_refuses_what_the_server_refuses(spec, user1):
    """status, visibility, display_type_name, system fields and blobs cannot be given at
    create: the schema says so, as the server does (400/403)."""
    for field, value in (("status", "active"), ("visibility", "public"),
                         ("display_type_name", "x"), ("id", "0" * 32), ("owner", "p2"),
                         ("system_attribute", "x"), ("blob", None)):
        body = {"name": "refused", field: value}
        assert conforms(spec, "sample_artifactArtifactCreate", body) != [], field
        assert user1.post("/artifacts/sample_artifact", body).status_code in (400, 403), field
    body = {"name": "taken", "version": "1.0", "int_validators": 15, "tags": ["a"],
            "string_regex": "0123abcd", "dict_validators": {"abc": "x"}}
    assert conforms(spec, "sample_artifactArtifactCreate", body) == []
    assert user1.post("/artifacts/sample_artifact", body).status_code == 201
    for field, value in (("int_validators", 21), ("string_regex", "xyz"), ("version", "a"),
                         ("tags", ["a,b"]), ("dict_validators", {"zzz": "x"}),
                         ("name", "\U0001F600")):
        body = {"name": "bad", field: value}
        assert conforms(spec, "sample_artifactArtifactCreate", body) != [], field
        assert user1.post("/artifacts/sample_artifact", body).status_code == 400, field


def conforms_to(spec: dict[str, Any], schema: dict[str, Any], instance: Any) -> list[str]:
    """Messages of every way ``instance`` breaks ``schema`` (refs into ``spec``)."""
    schema = {**schema, "components": spec["components"]}
    return [error.message for error in OAS30Validator(schema).iter_errors(instance)]
