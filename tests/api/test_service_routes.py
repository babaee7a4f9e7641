"""Service routes: the plugin list, the OpenAPI document and its browsable UI."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin

import glare_images
import glare_sample_artifact
import pytest

from tests.api.helpers import assert_envelope, assert_error
from tests.conftest import SAMPLE


@pytest.fixture
def glare_plugins() -> list[Any]:
    return [glare_sample_artifact, glare_images]


def test_plugins_lists_plugins_and_types(user1):
    response = user1.get("/-/plugins")
    assert response.status_code == 200
    body = response.get_json()
    names = {p["name"]: p for p in body["plugins"]}
    assert names["glare_core.plugins.type_dispatch"]["builtin"] is True
    assert names["glare_core.plugins.type_dispatch"]["distribution"] == "glare-core"
    assert {"glare_sample_artifact", "glare_images"} <= set(names)
    types = {t["name"]: t for t in body["types"]}
    assert types["sample_artifact"] == {"name": "sample_artifact",
                                        "display_name": "Sample Artifact",
                                        "version": "1.0", "plugin": "glare_sample_artifact"}
    assert types["images"]["plugin"] == "glare_images"


def test_plugins_needs_credentials(anonymous):
    assert anonymous.get("/-/plugins").status_code == 401


def test_openapi_document(glare_app):
    response = glare_app.test_client().get("/-/api/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"] == "Glare artifact repository"
    components = spec["components"]["schemas"]
    assert {"GlareError", "Artifact", "ArtifactList", "sample_artifactArtifact",
            "imagesArtifact"} <= set(components)
    assert "min_ram" in components["imagesArtifact"]["properties"]
    upload = spec["paths"]["/artifacts/{type_name}/{artifact_id}/{blob_path}"]["put"]
    # Any media type (stored as the blob's), and the location type.
    assert upload["requestBody"]["content"]["*/*"]["schema"]["format"] == "binary"
    assert "application/vnd+openstack.glare-custom-location+json" in upload["requestBody"][
        "content"]


def test_browsable_ui(glare_app):
    response = glare_app.test_client().get("/-/api/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert b"swagger-ui" in response.data
    assert b"/-/api/openapi.json" in response.data


def test_the_ui_assets_are_served_by_glare_itself(glare_app):
    """No CDN: every script and stylesheet the UI page names resolves on this server."""
    client = glare_app.test_client()
    page = client.get("/-/api/docs").get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', page)
    assert {"swagger-ui/swagger-ui-bundle.js", "swagger-ui/swagger-ui.css"} <= set(assets)
    for asset in assets:
        assert "://" not in asset, asset
        served = client.get(urljoin("/-/api/docs", asset))
        assert served.status_code == 200, asset
        assert len(served.data) > 1000
    assert_envelope(client.get("/-/api/swagger-ui/no-such-file.js"), 404)


@pytest.mark.parametrize("path", ["/artifacts/%ff", "/artifacts/sample_artifact/%ff",
                                  "/schemas/%C3%28", "/artifacts/sample_artifact?name=%ff"])
def test_urls_that_are_not_utf8_are_400(user1, path):
    response = user1.get(path)
    assert response.status_code == 400
    assert response.get_json()["error"]["type"] == "BadRequest"


@pytest.mark.parametrize(
    "path",
    ["/artifacts//{type}/{id}", "/artifacts/{type}//{id}", "//artifacts/{type}/{id}",
     "/schemas//{type}"],
)
def test_empty_path_segment_is_a_json_404_not_a_redirect(user1, path):
    """werkzeug would merge the slashes with a 308 redirect (an HTML page); no route of
    the contract has an empty segment (the blob path's own case is in test_blobs_upload)."""
    art = user1.create(SAMPLE, name="double-slash-elsewhere")
    response = user1.get(path.format(type=SAMPLE, id=art["id"]))
    assert_error(response, 404)
    assert "Location" not in response.headers
