"""The Swift store builds its python-swiftclient connection from the settings: tempauth
(v1) or Keystone v3 credentials (the v1 path runs against a real Swift elsewhere)."""

import socket

from glare_core.blobs.swift import SwiftStore


def test_keystone_v3_settings_reach_swiftclient():
    store = SwiftStore({
        "auth_url": "https://keystone.example.com/v3", "auth_version": "3",
        "user": "glare", "key": "secret", "project_name": "service",
        "user_domain_name": "Default", "project_domain_name": "Default",
        "region_name": "RegionOne", "insecure": True, "timeout": 12, "retries": 4,
    })
    conn = store._new_connection()
    assert (conn.authurl, conn.user, conn.key) == (
        "https://keystone.example.com/v3", "glare", "secret")
    assert conn.auth_version == "3"
    assert conn.os_options == {"project_name": "service", "user_domain_name": "Default",
                               "project_domain_name": "Default", "region_name": "RegionOne"}
    assert (conn.insecure, conn.timeout, conn.retries) == (True, 12.0, 4)


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
