"""What an existing v1 client reads from successful answers, replayed on every route of a
real ``glare-api`` process (issue 18 §1: a 204 without ``Content-Type`` once broke twelve of
upstream Glare's own functional tests).

Upstream's functional test client, like other v1 clients, checks the status, then reads
``response.headers["content-type"]`` for every success (a ``KeyError`` when the header is
missing) and parses the body as JSON when that type says JSON. ``V1Client`` below reads
answers the same way. The test drives one successful request through every route and
method the app serves and fails when a route has no replay here, so a new route is added
to this list when it is written.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
import requests

from glare_core.app import create_app

from .conftest import MEMBER

ADMIN = {**MEMBER, "X-Project-Id": "admin-project", "X-User-Id": "root", "X-Roles": "admin"}
JSON_TYPES = ("application/json", "application/schema+json")
LOCATION_TYPE = "application/vnd+openstack.glare-custom-location+json"
SAMPLE = "/artifacts/sample_artifact"


class V1Client:
    """Reads each answer as a v1 client does, and records which route answered it."""

    def __init__(self, base_url: str, adapter: Any) -> None:
        self.base_url = base_url
        self.adapter = adapter  # the app's URL map, to name the route that answered
        self.replayed: set[tuple[str, str]] = set()

    def call(self, method: str, path: str, status: int, *, headers: dict | None = None,
             json_body: Any = None, data: bytes | None = None,
             content_type: str | None = None) -> Any:
        headers = {**MEMBER, **(headers or {})}
        if json_body is not None:
            data = json.dumps(json_body).encode()
            content_type = content_type or "application/json"
        if content_type:
            headers["Content-Type"] = content_type
        response = requests.request(method, self.base_url + path, headers=headers, data=data,
                                    allow_redirects=False, timeout=30)
        rule, _ = self.adapter.match(path.split("?", 1)[0], method=method, return_rule=True)
        self.replayed.add((rule.rule, method))
        assert response.status_code == status, (method, path, response.text)
        # The read that failed when 204s lost their media type.
        media_type = response.headers["content-type"]
        if status == 301:  # an external blob: clients follow the Location
            return response.headers["location"]
        if any(kind in media_type for kind in JSON_TYPES):
            return json.loads(response.text)
        return response.text


@pytest.fixture
def app_routes(tmp_path) -> tuple[Any, set[tuple[str, str]]]:
    """The URL map of an app like the server's, and every (rule, method) it serves."""
    app = create_app({"GLARE_DATA_DIR": str(tmp_path / "routes")})
    routes = {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    return app.url_map.bind("localhost"), routes


def test_every_route_answers_what_a_v1_client_reads(start_server, app_routes):
    adapter, routes = app_routes
    server = start_server()
    client = V1Client(server.url, adapter)

    # Service documents.
    for path in ("/", "/versions"):
        versions = client.call("GET", path, 300)
        assert versions["versions"], versions
    assert client.call("GET", "/healthcheck", 200) == "OK"
    assert "sample_artifact" in json.dumps(client.call("GET", "/-/plugins", 200))
    assert client.call("GET", "/-/api/openapi.json", 200)["openapi"]
    assert "swagger-ui" in client.call("GET", "/-/api/docs", 200)
    assert client.call("GET", "/-/api/swagger-ui/swagger-ui.css", 200)
    assert "sample_artifact" in client.call("GET", "/schemas", 200)["schemas"]
    assert list(client.call("GET", "/schemas/sample_artifact", 200)["schemas"]) == [
        "sample_artifact"]

    # An artifact through its lifecycle.
    art = client.call("POST", SAMPLE, 201, json_body={"name": "replay", "version": "1.0"})
    item = f"{SAMPLE}/{art['id']}"
    assert client.call("GET", item, 200)["id"] == art["id"]
    listed = client.call("GET", f"{SAMPLE}?name=replay", 200)
    assert [found["id"] for found in listed["artifacts"]] == [art["id"]]
    patched = client.call("PATCH", item, 200, content_type="application/json-patch+json",
                          json_body=[{"op": "replace", "path": "/str1", "value": "x"}])
    assert patched["str1"] == "x"

    # Blob data, a folder entry and an external location.
    data = b"replayed bytes"
    uploaded = client.call("PUT", f"{item}/blob", 200, data=data,
                           content_type="application/octet-stream")
    assert uploaded["blob"]["status"] == "active"
    assert client.call("GET", f"{item}/blob", 200) == data.decode()
    entry = client.call("PUT", f"{item}/dict_of_blobs/one", 200, data=b"1",
                        content_type="text/plain")
    assert entry["dict_of_blobs"]["one"]["size"] == 1
    external = {"url": "http://example.com/data.bin", "md5": hashlib.md5(data).hexdigest()}
    located = client.call("PUT", f"{item}/dict_of_blobs/far", 200, json_body=external,
                          content_type=LOCATION_TYPE)
    assert located["dict_of_blobs"]["far"]["external"] is True
    assert client.call("GET", f"{item}/dict_of_blobs/far", 301) == external["url"]
    removed = client.call("DELETE", f"{item}/dict_of_blobs/far", 200)
    assert "far" not in removed["dict_of_blobs"]

    # Quotas.
    quotas = [{"project_id": "p1", "project_quotas": [
        {"quota_name": "max_artifact_number", "quota_value": 100}]}]
    assert client.call("PUT", "/quotas", 200, headers=ADMIN, json_body=quotas) == quotas
    assert client.call("GET", "/quotas", 200, headers=ADMIN)["quotas"]
    assert client.call("GET", "/project-quotas", 200)[0]["project_id"] == "p1"
    assert client.call("GET", "/project-quotas/p1", 200, headers=ADMIN)[0]["project_id"] == "p1"

    # The answer with no content still names a media type.
    assert client.call("DELETE", item, 204) == ""
    client.call("GET", item, 404)

    missing = routes - client.replayed
    assert not missing, f"routes without a v1 replay here (add one): {sorted(missing)}"
