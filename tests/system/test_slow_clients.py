"""Slow and idle clients cannot stall the server (server/worker.py, server/body_rate.py).

Each attack test runs a real ``glare-api`` (one worker of four threads) and opens 200
connections that stay idle, trickle their headers, trickle an upload or a JSON body, or
read a download (a byte a second), replaced as the server closes them. A normal client
meanwhile lists, creates and asks for the health check on new connections: none of its
requests may wait for the attackers (the benchmark shows them answered within a second),
and the server must cut the attackers (a 408, or a close for a connection that sent
nothing). The attackers are those of ``benchmarks/slow_clients.py``.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import socket
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.system.conftest import MEMBER

REPO = Path(__file__).resolve().parents[2]
SAMPLE = "/artifacts/sample_artifact"
ATTACKERS = 200
#: Short deadlines, so that the attackers are cut (and come back) while the test runs.
HEAD_TIMEOUT = 3.0
GRACE = 3.0
THREADS = 4


@functools.cache
def attack_module():
    spec = importlib.util.spec_from_file_location(
        "slow_clients", REPO / "benchmarks" / "slow_clients.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def server(start_server, tmp_path: Path):
    return start_server(tmp_path / "data", threads=THREADS, env={
        "GLARE_REQUEST_HEAD_TIMEOUT": str(HEAD_TIMEOUT),
        "GLARE_MIN_UPLOAD_RATE_GRACE": str(GRACE),
        "GLARE_STREAM_THREADS": str(THREADS),
    })


def started_attack(url: str, kind: str, artifacts: list[str]):
    """``ATTACKERS`` connections of ``kind`` (a byte a second), once every one is open."""
    attack = attack_module().Attack(kind, url, ATTACKERS, 1.0, artifacts)
    attack.start()
    deadline = time.monotonic() + 30
    while attack.stats.opened < ATTACKERS and time.monotonic() < deadline:
        time.sleep(0.1)
    if attack.stats.opened < ATTACKERS:
        attack.stop()
    assert attack.stats.opened >= ATTACKERS, attack.stats  # the whole attack is on
    return attack


def normal_requests(url: str, seconds: float, *, upload_to: str | None = None
                    ) -> list[tuple[str, float, int]]:
    """A normal client's requests, one after the other on new connections, for
    ``seconds``: (what, seconds taken, status). With ``upload_to`` (an artifact id), a
    256 KiB upload to its blob too."""
    done = []
    until = time.monotonic() + seconds
    data = os.urandom(256 * 1024)
    kinds = ("healthcheck", "list", "create", *(("upload",) if upload_to else ()))
    while time.monotonic() < until:
        for what in kinds:
            started = time.monotonic()
            try:
                if what == "healthcheck":
                    response = requests.get(f"{url}/healthcheck", timeout=30)
                elif what == "list":
                    response = requests.get(f"{url}{SAMPLE}?limit=5", headers=MEMBER,
                                            timeout=30)
                elif what == "upload":
                    response = requests.put(
                        f"{url}{SAMPLE}/{upload_to}/blob", data=data, timeout=30,
                        headers={**MEMBER, "Content-Type": "application/octet-stream"})
                else:
                    response = requests.post(f"{url}{SAMPLE}", headers=MEMBER, timeout=30,
                                             json={"name": os.urandom(6).hex()})
                status = response.status_code
            except requests.RequestException:
                status = 0
            done.append((what, time.monotonic() - started, status))
        time.sleep(0.05)
    return done


@pytest.mark.parametrize("kind", ["idle", "headers", "body", "upload", "json", "download"])
def test_a_normal_client_is_answered_within_a_second_during_the_attack(server, kind):
    slow = attack_module()
    artifacts = slow.create_artifacts(server.url, ATTACKERS) if kind in ("body", "upload") \
        else []
    if kind == "download":  # 200 readers of one blob, a byte a second each
        artifacts = [slow.create_download(server.url)] * ATTACKERS
    attack = started_attack(server.url, kind, artifacts)
    try:
        # Long enough for the attackers to be cut and to come back.
        served = normal_requests(server.url, HEAD_TIMEOUT + GRACE + 3)
    finally:
        attack.stop()
    stats = attack.stats
    assert [status for *_, status in served if status not in (200, 201)] == []
    slowest = max(served, key=lambda row: row[1])
    # Held up, a request waits for the attackers' cut (3 s here) or without end. The 1 s
    # target is the benchmark's to show, on an idle machine (docs/performance.md): here
    # the machine may be loaded, and 200 attackers cut and reconnecting at once cost it
    # a moment.
    assert slowest[1] < HEAD_TIMEOUT - 0.5, (slowest, stats)
    assert len(served) >= 9
    if kind == "download":
        # Slow readers wait in the streaming lane (cut after GLARE_CLIENT_TIMEOUT, when
        # their buffers stop draining): they must not have taken the other requests' threads.
        assert stats.opened >= ATTACKERS, stats
    elif kind == "idle":
        assert stats.closed_silently >= ATTACKERS * 0.9, stats
    elif kind in ("body", "upload"):
        # In the streaming lane, the minimum body rate cuts them, four threads at a time.
        assert stats.answered.get("408", 0) >= THREADS, stats
    else:
        assert stats.answered.get("408", 0) >= ATTACKERS * 0.9, stats
    assert "Traceback" not in server.log_path.read_text()


@pytest.mark.parametrize("kind", ["body", "upload"])
def test_a_normal_upload_goes_through_while_uploads_trickle(start_server, tmp_path, kind):
    """With the streaming lane as shipped (a thread per connection, started as needed), 200
    trickling uploads hold up neither the other requests nor a real upload."""
    server = start_server(tmp_path / "data", threads=THREADS, env={
        "GLARE_REQUEST_HEAD_TIMEOUT": str(HEAD_TIMEOUT),
        "GLARE_MIN_UPLOAD_RATE_GRACE": str(GRACE)})
    slow = attack_module()
    artifacts = slow.create_artifacts(server.url, ATTACKERS)
    target = requests.post(f"{server.url}{SAMPLE}", headers=MEMBER, json={"name": "real"},
                           timeout=30).json()["id"]
    attack = started_attack(server.url, kind, artifacts)
    try:
        served = normal_requests(server.url, GRACE + 3, upload_to=target)
    finally:
        attack.stop()
    assert [status for *_, status in served if status not in (200, 201)] == []
    uploads = [took for what, took, _ in served if what == "upload"]
    # Held up, an upload would wait for the tricklers' cut (GRACE) and their replacements.
    # Unheld, it answers within 1 s on an idle machine (benchmarks/slow_clients.py), but
    # 200 tricklers cut and reconnecting at once can cost a loaded one a second more.
    assert uploads and max(uploads) < GRACE - 0.5, (uploads, attack.stats)
    # Every trickler had a thread, so every one met the minimum rate.
    assert attack.stats.answered.get("408", 0) >= ATTACKERS * 0.9, attack.stats


def test_a_slow_but_steady_upload_is_not_cut_and_a_trickle_is(start_server, tmp_path):
    """At a minimum rate of 32 KiB/s with a second of grace, an upload sent at 64 KiB/s
    for 6 s completes (though it waits on its client for most of that time) and one
    that sends 8 bytes a second is cut with a 408 while it lasts."""
    server = start_server(tmp_path / "data", threads=THREADS, env={
        "GLARE_MIN_UPLOAD_RATE": str(32 * 1024), "GLARE_MIN_UPLOAD_RATE_GRACE": "1"})
    ids = [requests.post(f"{server.url}{SAMPLE}", headers=MEMBER, json={"name": name},
                         timeout=30).json()["id"] for name in ("steady", "trickle")]
    data = os.urandom(6 * 64 * 1024)
    identity = "".join(f"{name}: {value}\r\n" for name, value in MEMBER.items())

    def upload(artifact: str, pieces: list[bytes], pause: float) -> tuple[bytes, float]:
        head = (f"PUT {SAMPLE}/{artifact}/blob HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                f"Content-Type: application/octet-stream\r\n"
                f"Content-Length: {len(data)}\r\n{identity}\r\n").encode()
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
            sock.sendall(head)
            try:
                for index, piece in enumerate(pieces):
                    # paced from the start, catching up after any delay
                    ahead = started + index * pause - time.monotonic()
                    if ahead > 0:
                        time.sleep(ahead)
                    sock.sendall(piece)
            except OSError:
                pass  # cut: the answer is waiting
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        return answer, time.monotonic() - started

    steady = [data[i:i + 8192] for i in range(0, len(data), 8192)]
    answer, took = upload(ids[0], steady, 0.125)
    assert answer.startswith(b"HTTP/1.1 200"), answer[:500]
    assert took > 5
    got = requests.get(f"{server.url}{SAMPLE}/{ids[0]}/blob", headers=MEMBER, timeout=30)
    assert got.content == data
    trickle = [b"z" * 8] * 40
    answer, took = upload(ids[1], trickle, 1.0)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:500]
    assert b"too slowly" in answer
    assert took < 30
    shown = requests.get(f"{server.url}{SAMPLE}/{ids[1]}", headers=MEMBER, timeout=30)
    assert shown.json()["blob"] is None


def test_a_head_that_never_ends_is_refused_with_json(server):
    """Past 1 MiB without its end, a head goes to gunicorn, whose limits refuse it."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(b"GET /healthcheck HTTP/1.1\r\nHost: x\r\n")
        try:
            for _ in range(200):
                sock.sendall(b"X-Big: " + b"a" * 8000 + b"\r\n")
        except OSError:
            pass  # refused before all of it was sent
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except ConnectionResetError:
            pass
    assert answer.startswith(b"HTTP/1.1 4"), answer[:300]
    assert b'"error"' in answer
