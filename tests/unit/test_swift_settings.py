"""The Swift store builds its python-swiftclient connection from the settings: tempauth
(v1) or Keystone v3 credentials through a keystoneauth session (both run against a real
Swift, and Keystone, in tests/stores)."""

import re
import socket

import pytest

from glare_core.blobs.swift import SwiftStore
from glare_core.errors import StartupError


def test_keystone_v3_settings_reach_a_keystoneauth_session():
    store = SwiftStore({
        "auth_url": "https://keystone.example.com/v3", "auth_version": "3",
        "user": "glare", "key": "secret", "project_name": "service",
        "user_domain_name": "Default", "project_domain_name": "Default",
        "region_name": "RegionOne", "insecure": True, "timeout": 12, "retries": 4,
    })
    conn = store._new_connection()
    assert conn.auth_version == "3"
    assert conn.os_options == {"region_name": "RegionOne"}  # for the catalog lookup
    assert (conn.insecure, conn.timeout, conn.retries) == (True, 12.0, 4)
    auth = conn.session.auth
    assert type(auth).__name__ == "Password"
    given = {key: value for key, value in auth.get_cache_id_elements().items() if value}
    assert given == {"auth_url": "https://keystone.example.com/v3", "username": "glare",
                     "password": "secret", "user_domain_name": "Default",
                     "project_name": "service", "project_domain_name": "Default"}
    assert conn.session.verify is False and conn.session.timeout == 12.0


def test_keystone_application_credentials():
    store = SwiftStore({
        "auth_url": "https://keystone.example.com/v3", "auth_version": "3",
        "auth_type": "v3applicationcredential", "application_credential_id": "ac-id",
        "application_credential_secret": "ac-secret",
    })
    auth = store._new_connection().session.auth
    given = {key: value for key, value in auth.get_cache_id_elements().items() if value}
    assert given == {"auth_url": "https://keystone.example.com/v3",
                     "application_credential_application_credential_id": "ac-id",
                     "application_credential_application_credential_secret": "ac-secret"}


def test_tempauth_defaults():
    store = SwiftStore({"auth_url": "http://127.0.0.1:8080/auth/v1.0", "user": "test:tester",
                        "key": "testing"})
    conn = store._new_connection()
    assert conn.auth_version == "1"
    assert conn.os_options == {}
    assert store.container_for("images") == "glare_images"
    assert store.segment_size == 200 * 1024 * 1024
    assert store.location_for("abc", namespace="images") == "swift://glare_images/abc"


def test_large_object_size_defaults_to_swifts_object_limit():
    store = SwiftStore({"auth_url": "http://127.0.0.1:8080/auth/v1.0", "user": "u", "key": "k"})
    assert store.large_object_size == 5 * 1024 ** 3
    assert SwiftStore({"auth_url": "x", "large_object_size": 123}).large_object_size == 123


def test_plain_object_limit_falls_back_to_the_setting_without_swift_info():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        unused_port = probe.getsockname()[1]  # closed again: nothing listens there
    store = SwiftStore({"auth_url": f"http://127.0.0.1:{unused_port}/auth/v1.0", "user": "u",
                        "key": "k", "retries": 0, "timeout": 2, "large_object_size": 777})
    assert store.plain_object_limit() == 777


def test_connections_share_one_keystone_session():
    store = SwiftStore({"auth_url": "https://keystone.example.com/v3", "auth_version": "3",
                        "user": "glare", "key": "secret", "project_name": "service"})
    assert store._new_connection().session is store._new_connection().session


@pytest.mark.parametrize(("settings", "message"), [
    ({"auth_url": "https://k/v2.0", "auth_version": "2.0", "user": "u", "key": "k"},
     "auth_version must be 1 (tempauth) or 3 (Keystone v3), not '2.0'"),
    ({"auth_url": "https://k/v3", "auth_version": "3", "auth_type": "kerberos-magic"},
     "Keystone settings"),
    ({"auth_url": "https://k/v3", "auth_version": "3", "auth_type": "v3applicationcredential"},
     "Keystone settings"),
    ({"user": "u", "key": "k"}, "needs at least auth_url"),
])
def test_unusable_settings_stop_startup_with_a_clear_message(settings, message):
    with pytest.raises(StartupError, match=re.escape(message)):
        SwiftStore(settings)
