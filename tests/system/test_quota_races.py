"""Quota enforcement is atomic: many parallel creates and uploads, spread over two server
processes (two workers each) on one database, never end above a limit."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from tests.conftest import run_parallel
from tests.system.conftest import MEMBER

SAMPLE = "/artifacts/sample_artifact"
MIB = 1024 * 1024




def two_servers(start_server, tmp_path: Path, types: dict):
    env = {"GLARE_TYPES": json.dumps({"sample_artifact": types})}
    data = tmp_path / "shared"
    return [start_server(data, workers=2, env=env), start_server(data, workers=2, env=env)]


def test_parallel_creates_never_exceed_the_count_quota(start_server, tmp_path):
    servers = two_servers(start_server, tmp_path, {"max_artifact_number": 5})

    def create(n: int) -> int:
        url = servers[n % 2].url
        return requests.post(f"{url}{SAMPLE}", json={"name": f"a{n}"}, headers=MEMBER,
                             timeout=60).status_code

    outcome = run_parallel(20, create)
    assert outcome == Counter({201: 5, 403: 15})
    listing = requests.get(f"{servers[0].url}{SAMPLE}", headers=MEMBER, timeout=10).json()
    assert listing["total_count"] == 5


def test_parallel_uploads_never_exceed_the_data_quota(start_server, tmp_path):
    servers = two_servers(start_server, tmp_path, {"max_uploaded_data": 1000})
    ids = [requests.post(f"{servers[0].url}{SAMPLE}", json={"name": f"u{n}"}, headers=MEMBER,
                         timeout=30).json()["id"] for n in range(10)]

    def upload(n: int) -> int:
        url = servers[n % 2].url
        return requests.put(f"{url}{SAMPLE}/{ids[n]}/blob", data=b"d" * 300,
                            headers={**MEMBER, "Content-Type": "application/octet-stream"},
                            timeout=60).status_code

    outcome = run_parallel(10, upload)
    assert outcome == Counter({200: 3, 413: 7})
    sizes = [
        (requests.get(f"{servers[1].url}{SAMPLE}/{i}", headers=MEMBER, timeout=10)
         .json()["blob"] or {}).get("size") or 0
        for i in ids
    ]
    assert sum(sizes) == 900


def test_a_chunked_upload_in_progress_holds_only_what_it_received(start_server, tmp_path):
    """Through real servers: a chunked upload that has sent 1 MiB holds 1.5 MiB of the
    3 MiB quota, not all of it, so an upload on the other server fits beside it; both
    end within the quota."""
    servers = two_servers(start_server, tmp_path, {"max_uploaded_data": 3 * MIB})
    first_id, second_id = (
        requests.post(f"{servers[0].url}{SAMPLE}", json={"name": name}, headers=MEMBER,
                      timeout=30).json()["id"] for name in ("held", "beside"))
    release = threading.Event()

    def held_body() -> Iterator[bytes]:
        yield b"a" * MIB  # the server reads a chunked body in 1 MiB pieces
        assert release.wait(60)
        yield b"a" * (MIB // 2)

    def record(artifact_id: str) -> dict:
        return requests.get(f"{servers[1].url}{SAMPLE}/{artifact_id}", headers=MEMBER,
                            timeout=10).json()["blob"] or {}

    headers = {**MEMBER, "Content-Type": "application/octet-stream"}
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(requests.put, f"{servers[0].url}{SAMPLE}/{first_id}/blob",
                            data=held_body(), headers=headers, timeout=60)
        deadline = time.monotonic() + 30
        while record(first_id).get("size") != MIB * 3 // 2:
            assert time.monotonic() < deadline, record(first_id)
            time.sleep(0.05)
        second = requests.put(f"{servers[1].url}{SAMPLE}/{second_id}/blob",
                              data=iter([b"b" * MIB]), headers=headers, timeout=60)
        release.set()
        assert second.status_code == 200, second.text
        assert first.result().status_code == 200, first.result().text
    assert [record(first_id)["size"], record(second_id)["size"]] == [MIB * 3 // 2, MIB]
