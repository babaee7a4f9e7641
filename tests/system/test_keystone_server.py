"""A real ``glare-api`` process configured for Keystone through its environment
(``GLARE_AUTH_STRATEGY=keystone``, ``GLARE_KEYSTONE`` as JSON) validates tokens against a
real Keystone v3 server (tools/keystone-dev, the session's ``keystone_server``)."""

from __future__ import annotations

import hashlib
import io
import json
import time

import pytest
import requests

from tests.support.real_keystone import KeystoneServer
from tests.system.conftest import MEMBER, raw_get

pytestmark = [pytest.mark.keystone, pytest.mark.slow]

SAMPLE = "/artifacts/sample_artifact"


def test_glare_api_authenticates_through_keystone(start_server,
                                                  keystone_server: KeystoneServer) -> None:
    keystone = keystone_server
    options = keystone.middleware_settings(token_cache_time=-1)
    server = start_server(workers=2, env={
        "GLARE_AUTH_STRATEGY": "keystone",
        "GLARE_KEYSTONE": json.dumps(options),
        "GLARE_ALLOW_ANONYMOUS": "false",
    })
    member = keystone.issue("alice", "tenant-a", ["member"])
    admin = keystone.issue("root", "admin-project", ["admin"])

    def call(method: str, path: str, token: str | None = None, **kwargs) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        if token is not None:
            headers["X-Auth-Token"] = token
        return requests.request(method, f"{server.url}{path}", headers=headers, timeout=10,
                                **kwargs)

    # no token, and forged noauth identity headers without a token: 401 envelope
    for response in (call("GET", SAMPLE), call("POST", SAMPLE, json={"name": "x"},
                                               headers=MEMBER)):
        assert response.status_code == 401
        assert response.json()["code"] == 401
        assert response.json()["error"]["type"] == "Unauthorized"
        assert response.headers["WWW-Authenticate"] == f'Keystone uri="{keystone.auth_url}"'
    assert call("GET", SAMPLE, "garbage").status_code == 401

    created = call("POST", SAMPLE, member, json={"name": "ks", "string_required": "x"},
                   headers=MEMBER)
    assert created.status_code == 201, created.text
    art = created.json()
    assert art["owner"] == keystone.project_id("tenant-a")
    patch = {"Content-Type": "application/json-patch+json"}
    activated = call("PATCH", f"{SAMPLE}/{art['id']}", member, headers=patch,
                     data=json.dumps([{"op": "replace", "path": "/status",
                                       "value": "active"}]))
    assert activated.status_code == 200, activated.text
    publish = json.dumps([{"op": "replace", "path": "/visibility", "value": "public"}])
    assert call("PATCH", f"{SAMPLE}/{art['id']}", member, headers=patch,
                data=publish).status_code == 403
    published = call("PATCH", f"{SAMPLE}/{art['id']}", admin, headers=patch, data=publish)
    assert published.status_code == 200, published.text
    assert published.json()["visibility"] == "public"

    listing = call("GET", SAMPLE, member)
    assert [a["id"] for a in listing.json()["artifacts"]] == [art["id"]]
    # Repeated identity headers are refused here too: two tokens, or a role line added
    # to a valid token (which the middleware would replace anyway).
    for lines in (f"X-Auth-Token: {member}\r\nX-Auth-Token: {admin}\r\n",
                  f"X-Auth-Token: {member}\r\nX-Roles: admin\r\nX-Roles: admin\r\n"):
        status, body = raw_get(server.url, SAMPLE, lines)
        assert (status, body["error"]["type"]) == (400, "BadRequest"), body
    assert raw_get(server.url, SAMPLE, f"X-Auth-Token: {member}\r\n")[0] == 200
    keystone.revoke(member)
    assert call("GET", SAMPLE, member).status_code == 401
    # the revocation is seen at once: every request is checked with Keystone (no cache)
    assert not keystone.is_valid(member)
    assert call("GET", SAMPLE, admin).status_code == 200


def test_python_glareclient_finds_and_uses_glare_through_keystone(
    start_server, keystone_server: KeystoneServer
) -> None:
    """The OpenStack way end to end: the client logs in to Keystone with a password, finds
    Glare's URL in the catalog (service type ``artifact``) and sends Keystone's token, which
    glare-api validates with Keystone."""
    from glareclient import client as glareclient
    from keystoneauth1 import session
    from keystoneauth1.identity import v3

    keystone = keystone_server
    server = start_server(env={
        "GLARE_AUTH_STRATEGY": "keystone",
        "GLARE_KEYSTONE": json.dumps(keystone.middleware_settings()),
        "GLARE_ALLOW_ANONYMOUS": "false",
    })
    keystone.add_service("artifact", "glare", server.url)
    keystone.add_user("carol", "carol-secret", "tenant-c", roles=("member",))
    auth = v3.Password(auth_url=keystone.auth_url, username="carol", password="carol-secret",
                       user_domain_name="Default", project_name="tenant-c",
                       project_domain_name="Default")
    api = glareclient.Client("1", session=session.Session(auth=auth),
                             service_type="artifact").artifacts

    art = api.create("via-catalog", version="2.0", type_name="sample_artifact")
    assert art["owner"] == keystone.project_id("tenant-c")
    data = b"through keystone" * 1000
    api.upload_blob(art["id"], "blob", io.BytesIO(data), type_name="sample_artifact")
    blob = api.get(art["id"], type_name="sample_artifact")["blob"]
    assert (blob["status"], blob["size"]) == ("active", len(data))
    assert blob["sha256"] == hashlib.sha256(data).hexdigest()
    downloaded = api.download_blob(art["id"], "blob", type_name="sample_artifact")
    assert b"".join(downloaded.iter) == data
    assert [a["id"] for a in api.list(type_name="sample_artifact")] == [art["id"]]


def test_a_keystone_outage_is_a_clean_401_and_passes(start_server,
                                                     keystone_server: KeystoneServer) -> None:
    """Keystone stopped: glare-api cannot validate tokens, so it answers the 401 envelope
    (keystonemiddleware's delayed decision takes the token as unverified), never a 500;
    Keystone started again (same port, same keys): the same token works again."""
    keystone = keystone_server
    server = start_server(env={
        "GLARE_AUTH_STRATEGY": "keystone",
        "GLARE_KEYSTONE": json.dumps(keystone.middleware_settings(
            token_cache_time=-1, http_request_max_retries=0)),
        "GLARE_ALLOW_ANONYMOUS": "false",
    })
    token = keystone.issue("dave", "tenant-d", ["member"])
    listing = f"{server.url}{SAMPLE}"
    assert requests.get(listing, headers={"X-Auth-Token": token}, timeout=30).ok
    auth_url = keystone.auth_url
    keystone.stop()
    try:
        down = requests.get(listing, headers={"X-Auth-Token": token}, timeout=30)
        assert down.status_code == 401
        assert down.json()["error"]["type"] == "Unauthorized"
        assert requests.get(f"{server.url}/healthcheck", timeout=30).status_code == 200
    finally:
        keystone.start()
    assert keystone.auth_url == auth_url
    # A loaded machine may take Keystone's new process a moment to answer validations.
    deadline = time.monotonic() + 60
    while True:
        back = requests.get(listing, headers={"X-Auth-Token": token}, timeout=30)
        if back.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert back.status_code == 200, back.text
