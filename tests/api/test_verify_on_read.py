"""GLARE_VERIFY_ON_READ: full downloads recompute SHA-256; stored data that no longer matches
its checksum is cut short (the last chunk is never sent), so the client sees the failure."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import SAMPLE, SAMPLE_URL


@pytest.fixture
def glare_settings() -> dict[str, Any]:
    return {"GLARE_VERIFY_ON_READ": True}


def upload(client, data: bytes) -> dict:
    artifact = client.create(SAMPLE, name="verified")
    response = client.put(f"{SAMPLE_URL}/{artifact['id']}/blob", data=data,
                          content_type="application/octet-stream")
    assert response.status_code == 200
    return response.get_json()


def test_intact_data_is_served_whole(user1):
    data = b"intact" * 1000
    artifact = upload(user1, data)
    assert user1.get(f"{SAMPLE_URL}/{artifact['id']}/blob").data == data


def test_corrupted_data_is_not_served_whole(user1, glare_app):
    data = b"original" * 1000
    artifact = upload(user1, data)
    state = glare_app.extensions["glare"]
    location = state.engine.context.find(artifact["id"])["blob"]["location"]
    state.stores.by_name["file"].path_of(location).write_bytes(b"tampered" * 1000)
    with pytest.raises(Exception, match="does not match its checksum"):
        user1.get(f"{SAMPLE_URL}/{artifact['id']}/blob").data  # noqa: B018
    # Ranges are not verified (the digest covers the whole blob) and still work.
    ranged = user1.get(f"{SAMPLE_URL}/{artifact['id']}/blob", headers={"Range": "bytes=0-7"})
    assert ranged.status_code == 206
    assert ranged.data == b"tampered"
