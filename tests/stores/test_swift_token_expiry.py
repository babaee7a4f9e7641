"""Tokens that expire between uploads, against a real Swift and a real Keystone that hand
out short-lived tokens (tempauth ``token_life`` and Keystone ``[token] expiration`` of a
few seconds).

The store keeps connections, and their tokens, across requests. swiftclient renews a
token only once Swift has refused it (401), and then cannot send a streamed upload's body
a second time: the upload failed (503) once per token lifetime. The store now renews a
token shortly before it expires (tempauth says when at login; a keystoneauth session
tracks its own), so every upload goes through.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from glare_core.blobs import swift_connection as swift_store
from glare_core.blobs.swift import SwiftStore
from tests.conftest import SwiftServer, started_keystone
from tests.support.real_keystone import KeystoneServer

pytestmark = [pytest.mark.swift, pytest.mark.keystone, pytest.mark.slow]

# Token lifetime, and how long before its end the store renews a token in these tests.
# A token is used for at most LIFETIME - RENEW_MARGIN seconds, so each operation has
# RENEW_MARGIN seconds to finish before its token expires: on a machine loaded by other
# work (load 5-13 on 2 cores) an upload of a few segments can take several seconds, and
# an operation outliving its token would fail for a reason this test is not about.
LIFETIME = 15  # seconds
RENEW_MARGIN = 10.0
SEGMENT = 64 * 1024


@pytest.fixture(scope="module")
def short_keystone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KeystoneServer]:
    server = started_keystone(tmp_path_factory.mktemp("short-keystone"),
                              KEYSTONE_TOKEN_EXPIRATION=str(LIFETIME))
    server.add_user("expiring", "expiring-secret", "expiring-project", roles=("member",))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def short_swift(short_keystone: KeystoneServer,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[SwiftServer]:
    swift = SwiftServer(tmp_path_factory.mktemp("short-swift"), extra_env={
        "SWIFT_TOKEN_LIFE": str(LIFETIME), **short_keystone.swift_env()})
    swift.start()
    assert swift.port is not None
    short_keystone.add_swift(swift.port)
    yield swift
    swift.stop()


def tempauth(swift: SwiftServer, _keystone: KeystoneServer) -> dict[str, Any]:
    return swift.settings()


def keystone_v3(_swift: SwiftServer, keystone: KeystoneServer) -> dict[str, Any]:
    return keystone.swift_credentials("expiring", "expiring-secret", "expiring-project")


@pytest.mark.parametrize("credentials", [tempauth, keystone_v3])
def test_streamed_uploads_outlive_their_tokens(short_swift, short_keystone, credentials,
                                               monkeypatch):
    # Renew only near the end, so the second round below meets expired tokens.
    monkeypatch.setattr(swift_store, "TOKEN_RENEW_MARGIN", RENEW_MARGIN)
    settings = {**credentials(short_swift, short_keystone), "retries": 1,
                "container_prefix": f"x{uuid.uuid4().hex[:10]}",
                "segment_size": SEGMENT, "large_object_size": SEGMENT}
    store = SwiftStore(settings)
    tokens: list[set[str]] = []  # per round: the tokens the pooled connections hold
    for round_ in range(2):
        if round_:
            time.sleep(LIFETIME + 1)  # every token the store holds has expired now
        for size in (1000, 3 * SEGMENT + 7):  # a plain object, then a static large object
            data = os.urandom(size)
            location = store.location_for(uuid.uuid4().hex, namespace="expiry")
            # chunks from a generator: swiftclient cannot rewind them to send again
            stored = store.write(location, (data[i:i + 4096] for i in range(0, size, 4096)),
                                 size=size)
            assert stored.size == size
            assert b"".join(store.read(location)) == data
            store.delete(location)
        tokens.append({conn.token for conn in store._pool._idle if conn.token})
    # the second round worked with new tokens only
    assert tokens[0] and tokens[1] and not tokens[0] & tokens[1]


def test_without_renewal_an_expired_token_fails_a_streamed_upload(short_swift,
                                                                 short_keystone,
                                                                 monkeypatch):
    """What the renewal prevents, shown on the same servers: swiftclient's own retry
    after a 401 cannot replay the body, so the upload fails."""
    monkeypatch.setattr(swift_store._Connection, "renew_expiring_token", lambda self: None)
    store = SwiftStore({**tempauth(short_swift, short_keystone), "retries": 1,
                        "container_prefix": f"x{uuid.uuid4().hex[:10]}"})
    location = store.location_for(uuid.uuid4().hex, namespace="expiry")
    store.write(location, iter([b"first"]), size=5)
    time.sleep(LIFETIME + 1)
    with pytest.raises(Exception, match="no ability to reset contents"):
        store.write(store.location_for(uuid.uuid4().hex, namespace="expiry"),
                    (chunk for chunk in [b"second"]), size=6)
    store.delete(location)

