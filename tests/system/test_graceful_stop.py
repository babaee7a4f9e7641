"""SIGTERM while a slow upload runs past ``GLARE_GRACEFUL_TIMEOUT``: before gunicorn's
arbiter would kill the worker, the upload fails with a JSON 503, its previous blob is
restored and its partial data removed (a temporary file, Swift segments); the server
exits, and once restarted on the same data it serves the previous blob."""

from __future__ import annotations

import json
import signal
import socket
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.system.blobtools import MIB, SAMPLE, Api, files_under, wait_for
from tests.system.conftest import MEMBER
from tests.system.test_blob_failures import object_names

GRACEFUL = 4  # seconds


@pytest.fixture(params=["file", "swift"])
def store(request, tmp_path: Path):
    """(server environment, function listing what the store holds) for each store."""
    env = {"GLARE_GRACEFUL_TIMEOUT": str(GRACEFUL)}
    if request.param == "file":
        return env, lambda: [str(p) for p in files_under(tmp_path / "data" / "blobs")]
    swift = request.getfixturevalue("swift_server")
    prefix = request.getfixturevalue("swift_prefix")
    env |= {"GLARE_DEFAULT_STORE": "swift", "GLARE_SWIFT": json.dumps(swift.settings(
        container_prefix=prefix, segment_size=MIB, large_object_size=MIB))}
    conn = swift.connection()

    def holdings() -> list[str]:
        return sorted(f"{container}/{name}" for container in (
            f"{prefix}_sample_artifact", f"{prefix}_sample_artifact_segments")
            for name in object_names(conn, container))

    return env, holdings


def test_sigterm_rolls_back_a_slow_upload(start_server, tmp_path: Path, store) -> None:
    env, holdings = store
    server = start_server(tmp_path / "data", env=env)
    api = Api(server.url)
    artifact = api.create(name="target")["id"]
    previous = b"the previous blob" * 100
    assert api.upload(artifact, "blob", previous).status_code == 200
    before = holdings()
    # A chunked upload (Swift: 1 MiB segments) that sends 6 MiB at once, then 64 KiB/s:
    # a real client on a slow link, which would need minutes more.
    identity = "".join(f"{name}: {value}\r\n" for name, value in MEMBER.items())
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    sock.sendall((f"PUT {SAMPLE}/{artifact}/blob HTTP/1.1\r\nHost: x\r\n{identity}"
                  f"Content-Type: application/octet-stream\r\n"
                  f"Transfer-Encoding: chunked\r\n\r\n").encode())
    stop_sending = threading.Event()

    def send() -> None:
        piece = b"p" * (64 * 1024)
        try:
            for index in range(10_000):
                if stop_sending.is_set():
                    return
                sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                if index >= 96:
                    time.sleep(1.0)
        except OSError:
            pass

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    try:
        wait_for(lambda: holdings() != before, what="the upload to store some data")
        stopped_at = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except OSError:
            pass  # the client may lose the answer to a reset; the store is what matters
        server.process.wait(timeout=GRACEFUL + 20)
        took = time.monotonic() - stopped_at
    finally:
        stop_sending.set()
        sock.close()
        sender.join(timeout=10)
    assert took < GRACEFUL + 3  # it exits on its own, within the graceful timeout
    if answer:
        assert answer.startswith(b"HTTP/1.1 503"), answer[:300]
        body = json.loads(answer.partition(b"\r\n\r\n")[2])
        assert body["error"]["type"] == "ServiceUnavailable"
        assert "shutting down" in body["error"]["message"]
    assert holdings() == before  # no temporary file, no segment left
    log = server.log_path.read_text()
    assert "Traceback" not in log
    again = start_server(tmp_path / "data", env=env)
    shown = requests.get(f"{again.url}{SAMPLE}/{artifact}", headers=MEMBER, timeout=30).json()
    assert shown["blob"]["status"] == "active"
    assert Api(again.url).download(artifact, "blob") == previous
