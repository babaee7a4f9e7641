"""``version=latest`` on ``all`` when the types live in different data APIs (the images
plugin keeps its own tables): the newest version of a name is decided across every type
(§13.4: ``all`` groups by name only)."""

from __future__ import annotations

from typing import Any

import glare_images
import glare_sample_artifact
import pytest


@pytest.fixture
def glare_plugins() -> list[Any]:
    return [glare_sample_artifact, glare_images]


def listed(client: Any, query: str) -> tuple[list[str], int]:
    response = client.get(f"/artifacts/all?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    return [f"{a['type_name']}:{a['name']}@{a['version']}" for a in body["artifacts"]], body[
        "total_count"]


@pytest.fixture
def mixed(user1, user2) -> None:
    for type_name, name, version in [
        ("images", "shared", "1.0"), ("sample_artifact", "shared", "2.0"),
        ("images", "shared", "1.5"),
        ("images", "img-only", "3.0"), ("images", "img-only", "0.1"),
        ("sample_artifact", "tie", "4.0"), ("images", "tie", "4.0"),
        ("sample_artifact", "older-elsewhere", "1.0"), ("images", "older-elsewhere", "9.0"),
    ]:
        user1.create(type_name, name=name, version=version)
    user2.create("images", name="shared", version="7.0")  # not visible to user1


def test_latest_on_all_groups_by_name_across_data_apis(user1, mixed):
    names, total = listed(user1, "version=latest&sort=name:asc,type_name:asc")
    assert names == [
        "images:img-only@3.0.0",
        "images:older-elsewhere@9.0.0",
        "sample_artifact:shared@2.0.0",
        "images:tie@4.0.0", "sample_artifact:tie@4.0.0",  # equal newest versions: both
    ]
    assert total == 5


def test_latest_on_all_applies_filters_first(user1, mixed):
    names, total = listed(user1, "version=latest&version=lt:2&sort=name:asc")
    assert names == ["images:img-only@0.1.0", "sample_artifact:older-elsewhere@1.0.0",
                     "images:shared@1.5.0"]
    assert total == 3


def test_latest_on_all_pages_with_markers(user1, mixed):
    whole, _ = listed(user1, "version=latest")
    walked, marker = [], None
    while True:
        query = "version=latest&limit=2" + (f"&marker={marker}" if marker else "")
        response = user1.get(f"/artifacts/all?{query}").get_json()
        assert response["total_count"] == 5
        page = response["artifacts"]
        walked += [f"{a['type_name']}:{a['name']}@{a['version']}" for a in page]
        if len(page) < 2:
            break
        marker = page[-1]["id"]
    assert walked == whole
    assert len(whole) == 5
