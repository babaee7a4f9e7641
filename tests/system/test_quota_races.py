"""Quota enforcement is atomic: many parallel creates and uploads, spread over two server
processes (two workers each) on one database, never end above a limit."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import requests

from tests.conftest import run_parallel
from tests.system.conftest import MEMBER

SAMPLE = "/artifacts/sample_artifact"




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
