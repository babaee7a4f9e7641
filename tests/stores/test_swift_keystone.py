"""The Swift store with Keystone v3 credentials, against a real Swift whose proxy accepts
Keystone tokens (keystonemiddleware auth_token + keystoneauth, started by
tools/swift-dev/start-swift with SWIFT_KEYSTONE_URL) and a real Keystone v3 (started by
tools/keystone-dev/start-keystone): python-swiftclient, through a keystoneauth session,
gets a token and the object-store endpoint from Keystone's catalog, and Swift validates
that token with Keystone."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from glare_core.blobs.swift import SwiftStore
from glare_core.errors import GlareError
from tests.conftest import SAMPLE, SwiftServer
from tests.support.real_keystone import KeystoneServer

pytestmark = [pytest.mark.swift, pytest.mark.keystone, pytest.mark.slow]

USER, PASSWORD, PROJECT = "glare-blobs", "blob-secret", "glare-storage"
SEGMENT = 64 * 1024


@pytest.fixture(scope="module")
def keystone(keystone_server: KeystoneServer) -> KeystoneServer:
    keystone_server.add_user(USER, PASSWORD, PROJECT, roles=("member",))
    return keystone_server


@pytest.fixture(scope="module")
def keystone_swift(keystone: KeystoneServer,
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[SwiftServer]:
    swift = SwiftServer(tmp_path_factory.mktemp("keystone-swift"),
                        extra_env=keystone.swift_env())
    swift.start()
    assert swift.port is not None
    keystone.add_swift(swift.port)
    yield swift
    swift.stop()


def v3_settings(keystone: KeystoneServer, **extra: Any) -> dict[str, Any]:
    return keystone.swift_credentials(
        USER, PASSWORD, PROJECT, container_prefix=f"k{uuid.uuid4().hex[:10]}",
        segment_size=SEGMENT, large_object_size=SEGMENT, **extra)


def test_blobs_round_trip_in_the_projects_keystone_account(keystone, keystone_swift):
    store = SwiftStore(v3_settings(keystone))
    with store._pool.borrowed() as conn:  # the one connection every operation below reuses
        conn.get_auth()
    assert conn.url.endswith(f"/v1/KEY_{keystone.project_id(PROJECT)}")
    for size in (10, SEGMENT, 3 * SEGMENT + 5):  # plain objects and a static large object
        data = os.urandom(size)
        location = store.location_for(uuid.uuid4().hex, namespace="images")
        stored = store.write(location, iter([data[:1000], data[1000:]]), size=size)
        assert stored.size == size
        assert b"".join(store.read(location)) == data
        if size <= SEGMENT:
            assert stored.checksums == {"md5": hashlib.md5(data).hexdigest()}
        store.delete(location)
        assert not store.exists(location)
    container = store.container_for("images")
    assert store.list_objects(container) == []
    assert store.list_objects(f"{container}_segments") == []
    # Swift takes the token because Keystone vouches for it; one Keystone never issued is
    # refused, and Keystone itself knows the store's token.
    assert keystone.is_valid(conn.token)
    for token, statuses in ((conn.token, {200, 204}), ("not-a-keystone-token", {401})):
        response = requests.head(conn.url, headers={"X-Auth-Token": token}, timeout=30)
        assert response.status_code in statuses
    assert store._pool._idle == [conn]  # and no operation needed another token


def test_a_wrong_password_is_a_clear_503_not_a_crash(keystone, keystone_swift):
    store = SwiftStore(v3_settings(keystone, key="wrong", retries=0))
    with pytest.raises(GlareError) as caught:
        store.write(store.location_for("x", namespace="images"), iter([b"data"]), size=4)
    assert caught.value.status == 503


@pytest.fixture
def glare_settings(keystone, keystone_swift) -> dict[str, Any]:
    return {"GLARE_DEFAULT_STORE": "swift", "GLARE_SWIFT": v3_settings(keystone)}


def test_the_api_stores_blobs_through_keystone_authenticated_swift(
    glare_client, glare_settings
):
    artifact = glare_client.create(SAMPLE, name="via-keystone")
    data = os.urandom(2 * SEGMENT + 3)
    response = glare_client.put(f"/artifacts/{SAMPLE}/{artifact['id']}/blob", data=data,
                                content_type="application/octet-stream")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["blob"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert glare_client.get(f"/artifacts/{SAMPLE}/{artifact['id']}/blob").data == data
    assert glare_client.delete(f"/artifacts/{SAMPLE}/{artifact['id']}").status_code == 204
    store = SwiftStore(glare_settings["GLARE_SWIFT"])
    container = store.container_for(SAMPLE)
    assert store.list_objects(container) == []
    assert store.list_objects(f"{container}_segments") == []


def test_an_application_credential_works_too(keystone, keystone_swift):
    """``auth_type = v3applicationcredential``: the credential a user made for Glare
    (no password of theirs in Glare's settings) stores and reads blobs."""
    response = requests.post(
        f"{keystone.auth_url}/users/{keystone.user_id(USER)}/application_credentials",
        headers={"X-Auth-Token": keystone.token(USER, PASSWORD, PROJECT)},
        json={"application_credential": {"name": f"glare-{uuid.uuid4().hex[:8]}"}},
        timeout=30)
    assert response.status_code == 201, response.text
    credential = response.json()["application_credential"]
    store = SwiftStore({
        "auth_url": keystone.auth_url, "auth_version": "3",
        "auth_type": "v3applicationcredential",
        "application_credential_id": credential["id"],
        "application_credential_secret": credential["secret"],
        "container_prefix": f"k{uuid.uuid4().hex[:10]}",
    })
    location = store.location_for(uuid.uuid4().hex, namespace="images")
    data = os.urandom(5000)
    assert store.write(location, iter([data]), size=len(data)).size == len(data)
    assert b"".join(store.read(location)) == data
    with store._pool.borrowed() as conn:
        assert conn.url.endswith(f"/v1/KEY_{keystone.project_id(PROJECT)}")
    store.delete(location)
    assert not store.exists(location)
