"""Keystone v3 with ``object_storage_url``: the storage URL is the setting, Keystone only
issues the token. Against a real Keystone of the project's own (tools/keystone-dev) whose
catalog lists no object store, and a real Swift that validates that Keystone's tokens.

swiftclient reads the catalog before it looks at ``object_storage_url``: with no
object-store endpoint there, every operation failed (503) although the setting named the
storage URL, as documented, to use instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from keystoneauth1 import session as keystone_session
from keystoneauth1.identity import v3

from glare_core.blobs.swift import SwiftStore
from glare_core.errors import GlareError
from tests.conftest import SwiftServer, started_keystone
from tests.support.real_keystone import KeystoneServer

pytestmark = [pytest.mark.swift, pytest.mark.keystone, pytest.mark.slow]

USER, PASSWORD, PROJECT = "glare-url", "url-secret", "glare-url-project"
SEGMENT = 64 * 1024


@pytest.fixture(scope="module")
def bare_keystone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KeystoneServer]:
    """A Keystone whose catalog never gets an object-store endpoint."""
    server = started_keystone(tmp_path_factory.mktemp("bare-keystone"))
    server.add_user(USER, PASSWORD, PROJECT, roles=("member",))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def swift(bare_keystone: KeystoneServer,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[SwiftServer]:
    server = SwiftServer(tmp_path_factory.mktemp("url-swift"),
                         extra_env=bare_keystone.swift_env())
    server.start()
    yield server
    server.stop()


def settings(keystone: KeystoneServer, **extra: Any) -> dict[str, Any]:
    return keystone.swift_credentials(
        USER, PASSWORD, PROJECT, container_prefix=f"u{uuid.uuid4().hex[:10]}",
        segment_size=SEGMENT, large_object_size=SEGMENT, **extra)


def test_the_catalog_has_no_object_store(bare_keystone: KeystoneServer) -> None:
    auth = v3.Password(auth_url=bare_keystone.auth_url, username=USER, password=PASSWORD,
                       project_name=PROJECT, user_domain_name="Default",
                       project_domain_name="Default")
    catalog = auth.get_access(keystone_session.Session()).service_catalog
    assert "identity" in catalog.get_endpoints()
    assert "object-store" not in catalog.get_endpoints()


def test_without_object_storage_url_the_store_cannot_find_swift(bare_keystone, swift) -> None:
    store = SwiftStore(settings(bare_keystone))
    with pytest.raises(GlareError) as raised:
        store.write(store.location_for(uuid.uuid4().hex, namespace="images"), iter([b"x"]),
                    size=1)
    assert raised.value.status == 503


def test_object_storage_url_is_the_storage_endpoint(bare_keystone, swift) -> None:
    assert swift.port is not None
    url = f"http://127.0.0.1:{swift.port}/v1/KEY_{bare_keystone.project_id(PROJECT)}"
    store = SwiftStore(settings(bare_keystone, object_storage_url=url))
    for size in (10, 3 * SEGMENT + 5):  # a plain object and a static large object
        data = os.urandom(size)
        location = store.location_for(uuid.uuid4().hex, namespace="images")
        assert store.write(location, iter([data[:1000], data[1000:]]), size=size).size == size
        assert b"".join(store.read(location)) == data
        store.delete(location)
        assert not store.exists(location)
    with store._pool.borrowed() as conn:
        assert conn.url == url
        # Swift accepted the token because this Keystone issued it.
        assert bare_keystone.is_valid(conn.token)
