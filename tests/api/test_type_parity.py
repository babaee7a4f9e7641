"""The same API behaviour for a type in the generic tables (``sample_artifact``) and a type
with its own data API and tables (``images``): one test module, run against both types.

Also: the ``all`` pseudo-type lists, sorts and pages across both storages at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import glare_images
import glare_sample_artifact
import pytest

from glare_core.testing import GlareClient
from tests.api.helpers import replace


@dataclass(frozen=True)
class TypeProfile:
    """What the shared tests need to know about a type."""

    name: str
    int_field: str  # an Integer field with the numeric filter operators
    str_field: str  # a String field with eq/neq/in
    blob_field: str
    ready: dict[str, Any]  # values that make an artifact activatable


PROFILES = {
    "sample_artifact": TypeProfile("sample_artifact", "int1", "str1", "blob",
                                   {"string_required": "x"}),
    "images": TypeProfile("images", "min_ram", "os_distro", "image",
                          {"container_format": "bare", "disk_format": "qcow2"}),
}


@pytest.fixture
def glare_plugins() -> list[Any]:
    return [glare_sample_artifact, glare_images]


@pytest.fixture(params=sorted(PROFILES))
def profile(request) -> TypeProfile:
    return PROFILES[request.param]


def url(profile: TypeProfile, suffix: str = "") -> str:
    return f"/artifacts/{profile.name}{suffix}"


def names(body: dict) -> list[str]:
    return [a["name"] for a in body["artifacts"]]


def make(client: GlareClient, profile: TypeProfile, name: str, **values: Any) -> dict:
    return client.create(profile.name, name=name, **values)


def activate(client: GlareClient, profile: TypeProfile, artifact_id: str) -> dict:
    ops = [replace(f"/{k}", v) for k, v in profile.ready.items()]
    return client.update(profile.name, artifact_id, *ops, replace("/status", "active"))


def test_create_show_and_defaults(user1, profile):
    created = make(user1, profile, "one", version="1.2", tags=["b", "a"])
    assert created["version"] == "1.2.0"
    assert created["tags"] == ["a", "b"]
    assert created["status"] == "drafted"
    assert created["visibility"] == "private"
    assert created["owner"] == "p1"
    assert created[profile.int_field] is None
    assert user1.show(profile.name, created["id"]) == created


def test_uniqueness_scope(user1, user2, profile):
    make(user1, profile, "same", version="1.0")
    assert user1.post(url(profile), {"name": "same", "version": "1"}).status_code == 409
    assert user2.post(url(profile), {"name": "same", "version": "1"}).status_code == 201


def test_filters(user1, profile):
    for n, value in enumerate((10, 20, 30, None)):
        values = {} if value is None else {profile.int_field: value}
        make(user1, profile, f"f{n}", **values, **{profile.str_field: f"s{n % 2}"})
    cases = {
        f"{profile.int_field}=20": ["f1"],
        f"{profile.int_field}=gt:15": ["f1", "f2"],
        f"{profile.int_field}=lte:20": ["f0", "f1"],
        f"{profile.int_field}=neq:10": ["f1", "f2"],  # nulls never match neq (Q32)
        f"{profile.int_field}=in:10,30": ["f0", "f2"],
        f"{profile.str_field}=s1": ["f1", "f3"],
        f"{profile.str_field}=in:s0,s9": ["f0", "f2"],
        f"name=f0&{profile.int_field}=or:eq:30&name=or:eq:f3": [],
        f"{profile.int_field}=or:eq:30&name=or:eq:f3": ["f2", "f3"],
        "name=like:f%": ["f0", "f1", "f2", "f3"],
    }
    for query, expected in cases.items():
        body = user1.list(profile.name, f"{query}&sort=name:asc")
        assert names(body) == expected, query
        assert body["total_count"] == len(expected)


def test_invalid_filters_are_400(user1, profile):
    for query in (f"{profile.int_field}=abc", f"{profile.int_field}=like:1",
                  f"{profile.blob_field}=x", "nope=1", f"sort={profile.blob_field}"):
        assert user1.get(url(profile, f"?{query}")).status_code == 400, query


def test_sort_and_pagination(user1, profile):
    for n in range(5):
        make(user1, profile, f"p{n}", version=f"1.{4 - n}")
    body = user1.list(profile.name, "sort=version:asc&limit=2")
    assert names(body) == ["p4", "p3"]
    assert body["total_count"] == 5
    assert body["next"].endswith(f"marker={body['artifacts'][-1]['id']}")
    seen = names(body)
    while "next" in body:
        body = user1.get(body["next"]).get_json()
        seen += names(body)
    assert seen == ["p4", "p3", "p2", "p1", "p0"]
    assert names(user1.list(profile.name, "sort=name:desc")) == [f"p{n}" for n in range(4, -1, -1)]


def test_latest_version(user1, profile):
    for version in ("1.0", "2.0.0-beta", "2.0.0", "10.0"):
        make(user1, profile, "a", version=version)
    make(user1, profile, "b", version="3.0")
    body = user1.list(profile.name, "version=latest&sort=name:asc")
    assert [(a["name"], a["version"]) for a in body["artifacts"]] == [("a", "10.0.0"),
                                                                      ("b", "3.0.0")]
    assert names(user1.list(profile.name, "version=gte:2.0.0-beta&sort=version:asc")) == [
        "a", "a", "b", "a"]


def test_lifecycle_and_visibility(user1, user2, admin, profile):
    artifact = make(user1, profile, "life")
    assert user1.patch(url(profile, f"/{artifact['id']}"),
                       [replace("/status", "active")]).status_code == 403  # not ready
    active = activate(user1, profile, artifact["id"])
    assert active["status"] == "active"
    assert active["activated_at"] is not None
    assert user2.get(url(profile, f"/{artifact['id']}")).status_code == 404
    assert user1.patch(url(profile, f"/{artifact['id']}"),
                       [replace("/visibility", "public")]).status_code == 403
    admin.update(profile.name, artifact["id"], replace("/visibility", "public"))
    assert user2.show(profile.name, artifact["id"])["visibility"] == "public"
    assert names(user2.list(profile.name)) == ["life"]
    assert user1.patch(url(profile, f"/{artifact['id']}"),
                       [replace("/description", "x")]).status_code == 403  # public: admin
    admin.update(profile.name, artifact["id"], replace("/status", "deactivated"))
    assert user1.delete(url(profile, f"/{artifact['id']}")).status_code == 403
    assert admin.delete(url(profile, f"/{artifact['id']}")).status_code == 204
    assert user1.get(url(profile, f"/{artifact['id']}")).status_code == 404


def test_immutable_after_activation(user1, profile):
    artifact = make(user1, profile, "frozen")
    activate(user1, profile, artifact["id"])
    response = user1.patch(url(profile, f"/{artifact['id']}"),
                           [replace(f"/{profile.int_field}", 5)])
    assert response.status_code == 403
    assert user1.update(profile.name, artifact["id"],
                        replace("/tags", ["t"]))["tags"] == ["t"]


def test_blob_roundtrip(user1, profile):
    artifact = make(user1, profile, "blob")
    response = user1.put(url(profile, f"/{artifact['id']}/{profile.blob_field}"),
                         data=b"payload", content_type="text/plain")
    assert response.status_code == 200
    blob = response.get_json()[profile.blob_field]
    assert (blob["size"], blob["status"], blob["content_type"]) == (7, "active", "text/plain")
    assert user1.get(url(profile, f"/{artifact['id']}/{profile.blob_field}")).data == b"payload"


def test_all_lists_both_storages_together(user1, user2):
    """``all`` merges the generic tables and the images tables: filters, sort, paging."""
    for n, type_name in enumerate(["images", "sample_artifact"] * 3):
        user1.create(type_name, name=f"n{n}", version=f"{n}.0")
    user2.create("images", name="hidden")
    body = user1.list("all", "sort=name:asc&limit=4")
    assert names(body) == ["n0", "n1", "n2", "n3"]
    assert [a["type_name"] for a in body["artifacts"]] == [
        "images", "sample_artifact", "images", "sample_artifact"]
    assert body["total_count"] == 6
    rest = user1.get(body["next"]).get_json()
    assert names(rest) == ["n4", "n5"]
    assert names(user1.list("all", "type_name=images&sort=version:desc")) == ["n4", "n2", "n0"]
    assert names(user1.list("all", "version=gte:3.0&sort=created_at:asc")) == ["n3", "n4", "n5"]
    assert user1.get(f"/artifacts/all/{body['artifacts'][0]['id']}").get_json()[
        "type_name"] == "images"
