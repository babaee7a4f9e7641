"""Bounded memory: streaming a 2 GiB blob up and down through a real server process (chunked
upload, no Content-Length) grows the worker's resident memory by less than 64 MiB."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import requests

from tests.system.blobtools import MIB, pattern_chunks
from tests.system.conftest import MEMBER

WIDGETS = "/artifacts/demo_widgets"
SIZE = 2048 * MIB
LIMIT = 64 * MIB


def worker_pids(master_pid: int) -> list[int]:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    return [int(pid) for pid in children]


def memory_kib(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1])
    raise AssertionError(f"no {key} for {pid}")


@pytest.mark.slow
@pytest.mark.parametrize("store", ["file", "swift"])
def test_streaming_2gib_keeps_worker_memory_bounded(request, start_server, tmp_path,
                                                    demo_plugin_site, store):
    env = {"PYTHONPATH": str(demo_plugin_site)}
    if store == "swift":
        swift = request.getfixturevalue("swift_server")
        prefix = request.getfixturevalue("swift_prefix")
        env.update(GLARE_DEFAULT_STORE="swift",
                   GLARE_SWIFT=json.dumps(swift.settings(container_prefix=prefix)))
    server = start_server(tmp_path / "data", workers=1, env=env)
    (worker,) = worker_pids(server.process.pid)
    session = requests.Session()
    session.headers.update(MEMBER)
    created = session.post(f"{server.url}{WIDGETS}", json={"name": "big"}, timeout=30)
    assert created.status_code == 201, created.text
    blob_url = f"{server.url}{WIDGETS}/{created.json()['id']}/payload"
    # Warm up the code paths (imports, connections) before taking the baseline.
    session.put(blob_url, data=b"warm-up", headers={"Content-Type": "text/plain"}, timeout=60)
    assert session.get(blob_url, timeout=60).content == b"warm-up"
    baseline = memory_kib(worker, "VmRSS")

    sent = hashlib.sha256()

    def body():
        for chunk in pattern_chunks(SIZE):
            sent.update(chunk)
            yield chunk

    uploaded = session.put(blob_url, data=body(),
                           headers={"Content-Type": "application/octet-stream"}, timeout=600)
    assert uploaded.status_code == 200, uploaded.text
    blob = uploaded.json()["payload"]
    assert blob["size"] == SIZE
    assert blob["sha256"] == sent.hexdigest()
    after_upload = memory_kib(worker, "VmHWM")

    received, total = hashlib.sha256(), 0
    with session.get(blob_url, stream=True, timeout=600) as response:
        assert response.status_code == 200
        assert int(response.headers["Content-Length"]) == SIZE
        for chunk in response.iter_content(MIB):
            received.update(chunk)
            total += len(chunk)
    assert total == SIZE
    assert received.hexdigest() == sent.hexdigest()
    peak = memory_kib(worker, "VmHWM")

    growth = (max(after_upload, peak) - baseline) * 1024
    print(f"{store}: worker RSS baseline {baseline // 1024} MiB, peak growth "
          f"{growth / MIB:.1f} MiB while streaming 2 GiB up and down")
    assert growth < LIMIT
