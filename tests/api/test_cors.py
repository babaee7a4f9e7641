"""CORS for browser dashboards (e.g. a Horizon panel): off by default, configurable origins,
preflights answered without credentials, the headers a client needs exposed."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import SAMPLE_URL

DASHBOARD = "https://horizon.example.com"


def preflight(client, origin: str, method: str = "POST") -> Any:
    return client.client.open(SAMPLE_URL, method="OPTIONS", headers={
        "Origin": origin, "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "X-Auth-Token, Content-Type"})


def test_cors_is_off_by_default(user1):
    response = user1.get(SAMPLE_URL, headers={"Origin": DASHBOARD})
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers
    refused = preflight(user1, DASHBOARD)
    assert refused.status_code == 405  # no route offers OPTIONS when CORS is off (§2)
    assert "Access-Control-Allow-Origin" not in refused.headers


class TestConfiguredOrigins:
    @pytest.fixture
    def glare_settings(self) -> dict[str, Any]:
        return {"GLARE_CORS_ORIGINS": [DASHBOARD]}

    def test_preflight_needs_no_credentials(self, anonymous):
        response = preflight(anonymous, DASHBOARD, "PATCH")
        assert response.status_code == 200
        assert response.headers["Access-Control-Allow-Origin"] == DASHBOARD
        allowed = {m.strip() for m in response.headers["Access-Control-Allow-Methods"].split(",")}
        assert {"GET", "POST", "PATCH", "PUT", "DELETE"} <= allowed
        headers = response.headers["Access-Control-Allow-Headers"].lower()
        assert "x-auth-token" in headers and "content-type" in headers

    def test_options_that_is_no_preflight_is_405(self, user1):
        response = user1.client.open(SAMPLE_URL, method="OPTIONS", headers={"Origin": DASHBOARD})
        assert response.status_code == 405
        assert response.get_json()["error"]["type"] == "MethodNotAllowed"

    def test_responses_expose_what_clients_read(self, user1):
        response = user1.get(SAMPLE_URL, headers={"Origin": DASHBOARD})
        assert response.headers["Access-Control-Allow-Origin"] == DASHBOARD
        exposed = response.headers["Access-Control-Expose-Headers"].lower()
        for header in ("x-openstack-request-id", "openstack-api-version", "etag",
                       "content-range", "x-openstack-glare-content-sha256"):
            assert header in exposed
        assert response.headers["x-openstack-request-id"].startswith("req-")

    def test_errors_carry_cors_headers_too(self, anonymous):
        response = anonymous.get(SAMPLE_URL, headers={"Origin": DASHBOARD})
        assert response.status_code == 401
        assert response.headers["Access-Control-Allow-Origin"] == DASHBOARD

    def test_other_origins_are_not_allowed(self, user1):
        response = user1.get(SAMPLE_URL, headers={"Origin": "https://evil.example.com"})
        assert response.status_code == 200
        assert "Access-Control-Allow-Origin" not in response.headers
