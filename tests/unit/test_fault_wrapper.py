"""The outermost WSGI layer turns exceptions raised outside Flask into JSON envelopes."""

import json

import pytest
from werkzeug.test import Client

from glare_core.api.fault import FaultWrapper


def failing_app(environ, start_response):
    raise RuntimeError("the identity service has no endpoint in region None")


def streaming_then_failing_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    raise RuntimeError("broke while streaming")


def test_exception_before_the_response_becomes_a_503_envelope():
    response = Client(FaultWrapper(failing_app)).get("/artifacts/x")
    assert response.status_code == 503
    body = json.loads(response.data)
    assert body["code"] == 503
    assert body["error"]["type"] == "ServiceUnavailable"
    assert response.headers["x-openstack-request-id"].startswith("req-")


def test_exception_after_the_response_started_is_not_hidden():
    with pytest.raises(RuntimeError, match="broke while streaming"):
        Client(FaultWrapper(streaming_then_failing_app)).get("/")


def test_keystone_misconfiguration_answers_503_not_a_traceback(glare_config, glare_plugins):
    from glare_core.app import create_app
    from tests.support.fake_keystone import FakeKeystone

    keystone = FakeKeystone()
    keystone.start()
    try:
        settings = keystone.middleware_settings(region_name="nowhere")
        app = create_app({**glare_config, "GLARE_AUTH_STRATEGY": "keystone",
                          "GLARE_KEYSTONE": settings}, plugins=glare_plugins, autoload=False)
        token = keystone.issue("alice", "p1", ["member"])
        response = app.test_client().get("/artifacts/sample_artifact",
                                         headers={"X-Auth-Token": token})
        assert response.status_code == 503
        assert json.loads(response.data)["error"]["type"] == "ServiceUnavailable"
    finally:
        keystone.stop()
