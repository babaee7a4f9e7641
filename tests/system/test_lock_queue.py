"""Writers to one artifact spread over two server processes (two workers each) on one
database wait their turn for its lock: none is answered 409 and none is lost, on SQLite
and on a real PostgreSQL (where the lock is an advisory lock shared by the processes)."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import pytest
import requests

from tests.conftest import run_parallel
from tests.system.conftest import MEMBER

SAMPLE = "/artifacts/sample_artifact"
WRITERS = 40
ROUNDS = 2


def content(name: str) -> bytes:
    return f"data of {name}".encode()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_env(request: pytest.FixtureRequest) -> dict[str, str]:
    """No setting for SQLite (the servers share their data folder's database); the
    session's PostgreSQL, emptied, otherwise."""
    if request.param == "sqlite":
        return {}
    request.getfixturevalue("postgres_app")  # empties the tables
    return {"GLARE_DATABASE_URL": request.getfixturevalue("postgres_schema")}


def test_parallel_writers_on_two_servers_all_get_their_turn(start_server, tmp_path: Path,
                                                            database_env):
    data = tmp_path / "shared"
    # Threads enough for every writer at once (4 workers), and on PostgreSQL well within
    # its 100 connections: one per thread to work with, one per lock held or waited for.
    servers = [start_server(data, workers=2, threads=WRITERS // 4, env=database_env)
               for _ in range(2)]
    created = requests.post(f"{servers[0].url}{SAMPLE}", json={"name": "contended"},
                            headers=MEMBER, timeout=30)
    assert created.status_code == 201, created.text
    artifact = f"{SAMPLE}/{created.json()['id']}"

    def write(n: int) -> tuple[int, ...]:
        base = servers[n % 2].url + artifact
        statuses = []
        with requests.Session() as session:
            for r in range(ROUNDS):
                name = f"w{n}-{r}"
                statuses.append(session.put(
                    f"{base}/dict_of_blobs/{name}", data=content(name), timeout=120,
                    headers={**MEMBER, "Content-Type": "application/octet-stream"},
                ).status_code)
                statuses.append(session.patch(
                    base, json=[{"op": "add", "path": "/tags/-", "value": name}], timeout=120,
                    headers={**MEMBER, "Content-Type": "application/json-patch+json"},
                ).status_code)
        return tuple(statuses)

    assert run_parallel(WRITERS, write) == Counter({(200,) * 2 * ROUNDS: WRITERS})
    final = requests.get(servers[1].url + artifact, headers=MEMBER, timeout=30).json()
    names = {f"w{n}-{r}" for n in range(WRITERS) for r in range(ROUNDS)}
    assert sorted(final["tags"]) == sorted(names)
    assert {name: blob["md5"] for name, blob in final["dict_of_blobs"].items()} == {
        name: hashlib.md5(content(name)).hexdigest() for name in names}
