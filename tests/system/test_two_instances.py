"""Two ``glare-api`` instances, each with a data folder of its own, on one PostgreSQL and
one Swift (README, Production: several machines) serve one catalog: what one writes the
other reads, conflicting writes sent to both at once have exactly one winner and the
contract's 409 (or 412) for the others, and a project's quotas hold over both.

Uploads, uploads that die with their instance, and the scrubber run from both:
test_two_instances_blobs.py.
"""

from __future__ import annotations

import os
import subprocess
from collections import Counter

import pytest
import requests

from tests.conftest import run_parallel
from tests.system.blobtools import SAMPLE, files_under
from tests.system.conftest import MEMBER, ServerProcess
from tests.system.instances import ADMIN, MANAGE, PATCH, member

pytestmark = [pytest.mark.postgres, pytest.mark.swift]


def activate_op(**fields: str) -> list[dict]:
    return [*({"op": "replace", "path": f"/{name}", "value": value}
              for name, value in fields.items()),
            {"op": "replace", "path": "/status", "value": "active"}]


def test_instances_starting_together_on_an_empty_database_migrate_it_once(
        empty_database, tmp_path):
    """End to end: both instances start and serve one catalog, the schema up to date.
    (Each takes the migrations' lock in the database, not in its own data folder; the
    race itself is forced in tests/contract/test_postgres_migration_lock.py.)"""
    env = {"GLARE_DATABASE_URL": empty_database}
    servers = [ServerProcess(tmp_path / name, env=env) for name in ("a", "b")]
    try:
        for server in servers:
            server.wait_ready(timeout=180)
        current = subprocess.run(
            [str(MANAGE), "db", "current", "--data-dir", str(tmp_path / "a")],
            capture_output=True, text=True, timeout=120,
            env={**os.environ, **env})
        assert current.returncode == 0, current.stderr
        assert "(up to date)" in current.stdout and "needs upgrade" not in current.stdout
        created = requests.post(f"{servers[0].url}{SAMPLE}", json={"name": "first"},
                                headers=MEMBER, timeout=30)
        assert created.status_code == 201, created.text
        shown = requests.get(f"{servers[1].url}{SAMPLE}/{created.json()['id']}",
                             headers=MEMBER, timeout=30)
        assert shown.json() == created.json()
    finally:
        for server in servers:
            server.stop()
    for server in servers:
        log = server.log_path.read_text()
        assert "Traceback" not in log, log


def test_what_one_instance_writes_the_other_serves(deploy):
    d = deploy()
    s = requests.Session()
    s.headers.update(MEMBER)
    created = s.post(d.url(0), json={"name": "shared", "version": "1.0", "tags": ["a"]},
                     timeout=30)
    assert created.status_code == 201, created.text
    artifact = created.json()
    on_a = s.get(d.url(0, f"{SAMPLE}/{artifact['id']}"), timeout=30)
    on_b = s.get(d.url(1, f"{SAMPLE}/{artifact['id']}"), timeout=30)
    assert on_b.json() == on_a.json() == artifact
    assert on_b.headers["ETag"] == on_a.headers["ETag"]
    assert s.get(f"{d.url(1)}?name=shared", timeout=30).json()["artifacts"] == [artifact]
    assert s.post(d.url(1), json={"name": "shared", "version": "1.0"},
                  timeout=30).status_code == 409

    # tags and the lifecycle, changed on B, are what A shows
    patched = s.patch(d.url(1, f"{SAMPLE}/{artifact['id']}"), headers=PATCH, timeout=30,
                      json=[{"op": "add", "path": "/tags/-", "value": "from-b"},
                            *activate_op(string_required="x")])
    assert patched.status_code == 200, patched.text
    assert patched.json()["status"] == "active"
    assert s.get(d.url(0, f"{SAMPLE}/{artifact['id']}"), timeout=30).json() == patched.json()
    tagged = s.get(f"{d.url(0)}?tags=from-b", timeout=30).json()["artifacts"]
    assert [a["id"] for a in tagged] == [artifact["id"]]

    # published on A (admin), another project sees it on B; deleted on B, gone on A
    published = requests.patch(
        d.url(0, f"{SAMPLE}/{artifact['id']}"), headers={**ADMIN, **PATCH}, timeout=30,
        json=[{"op": "replace", "path": "/visibility", "value": "public"}])
    assert published.status_code == 200, published.text
    other = requests.get(f"{d.url(1)}?name=shared", headers=member("p2"), timeout=30)
    assert [a["visibility"] for a in other.json()["artifacts"]] == ["public"]
    deleted = requests.delete(d.url(1, f"{SAMPLE}/{artifact['id']}"), headers=ADMIN,
                              timeout=30)
    assert deleted.status_code == 204, deleted.text
    assert s.get(d.url(0, f"{SAMPLE}/{artifact['id']}"), timeout=30).status_code == 404
    assert s.get(d.url(0), timeout=30).json()["total_count"] == 0


def test_conflicting_writes_sent_to_both_instances_have_one_winner(deploy):
    d = deploy()

    def create_same(n: int) -> int:
        return requests.post(d.url(n), json={"name": "race", "version": "1.0"},
                             headers=MEMBER, timeout=120).status_code

    assert run_parallel(8, create_same) == Counter({201: 1, 409: 7})

    # Eight PATCHes made against the same revision: the first to take the artifact's lock
    # changes it; the others find another revision there.
    response = requests.post(d.url(0), json={"name": "patched"}, headers=MEMBER, timeout=30)
    path = f"{SAMPLE}/{response.json()['id']}"
    etag = response.headers["ETag"]

    def patch_revision(n: int) -> int:
        return requests.patch(
            d.url(n, path), timeout=120,
            headers={**MEMBER, **PATCH, "If-Match": etag},
            json=[{"op": "add", "path": "/tags/-", "value": f"t{n}"}]).status_code

    assert run_parallel(8, patch_revision) == Counter({200: 1, 412: 7})
    assert len(requests.get(d.url(1, path), headers=MEMBER, timeout=30).json()["tags"]) == 1

    # One name and version, active in six projects, published at once: public names
    # and versions are unique, so one publication wins.
    ids = []
    for n in range(6):
        made = requests.post(d.url(n), json={"name": "pub", "version": "2.0"},
                             headers=member(f"p{n}"), timeout=30).json()
        active = requests.patch(d.url(n, f"{SAMPLE}/{made['id']}"), timeout=30,
                                headers={**member(f"p{n}"), **PATCH},
                                json=activate_op(string_required="x"))
        assert active.status_code == 200, active.text
        ids.append(made["id"])

    def publish(n: int) -> int:
        return requests.patch(
            d.url(n, f"{SAMPLE}/{ids[n]}"), headers={**ADMIN, **PATCH}, timeout=120,
            json=[{"op": "replace", "path": "/visibility", "value": "public"}]).status_code

    assert run_parallel(6, publish) == Counter({200: 1, 409: 5})
    public = requests.get(f"{d.url(1)}?name=pub&visibility=public", headers=ADMIN,
                          timeout=30).json()
    assert public["total_count"] == 1


def test_a_project_quota_holds_over_both_instances(deploy):
    """Quotas set through A apply on B; creates and uploads of one project sent to both
    at once never end above them."""
    d = deploy()
    quotas = [{"project_id": "p1", "project_quotas": [
        {"quota_name": "max_artifact_number", "quota_value": 5},
        {"quota_name": "max_uploaded_data", "quota_value": 1000}]}]
    assert requests.put(f"{d.a.url}/quotas", json=quotas, headers=ADMIN,
                        timeout=30).status_code == 200
    shown = requests.get(f"{d.b.url}/project-quotas/p1", headers=ADMIN, timeout=30).json()
    assert {q["quota_name"]: q["quota_value"] for q in shown[0]["project_quotas"]} == {
        "max_artifact_number": 5, "max_uploaded_data": 1000}

    def create(n: int) -> int:
        return requests.post(d.url(n), json={"name": f"q{n}"}, headers=MEMBER,
                             timeout=120).status_code

    assert run_parallel(14, create) == Counter({201: 5, 403: 9})
    listed = [requests.get(d.url(n), headers=MEMBER, timeout=30).json() for n in (0, 1)]
    assert [page["total_count"] for page in listed] == [5, 5]
    ids = [a["id"] for a in listed[0]["artifacts"]]

    def upload(n: int) -> int:
        return requests.put(d.url(n, f"{SAMPLE}/{ids[n]}/blob"), data=b"d" * 300,
                            headers={**MEMBER, "Content-Type": "application/octet-stream"},
                            timeout=120).status_code

    assert run_parallel(5, upload) == Counter({200: 3, 413: 2})
    sizes = [(requests.get(d.url(1, f"{SAMPLE}/{i}"), headers=MEMBER, timeout=30)
              .json()["blob"] or {}).get("size") or 0 for i in ids]
    assert sum(sizes) == 900
    assert len(d.holdings()) == 3  # one Swift object per stored blob, nothing else
    # Nothing of the catalog lives in an instance's data folder: no database, no blobs.
    assert files_under(d.a.data_dir) == files_under(d.b.data_dir) == []
