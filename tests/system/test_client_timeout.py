"""Clients that stall mid-request cannot hold the server's threads (GLARE_CLIENT_TIMEOUT).

Each test runs a real ``glare-api`` with one worker of two threads and a one-second limit,
then makes more clients stall than there are threads: partway through their headers,
partway through an upload, or without reading a download. The server must still answer
everyone else, and a stalled upload must leave nothing behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from pathlib import Path

import pytest
import requests

from tests.system.conftest import MEMBER

SAMPLE = "/artifacts/sample_artifact"
LIMIT = 1.0
THREADS = 2


@pytest.fixture
def server(start_server, tmp_path: Path):
    return start_server(tmp_path / "data", threads=THREADS,
                        env={"GLARE_CLIENT_TIMEOUT": str(LIMIT)})


def member_headers() -> str:
    return "".join(f"{name}: {value}\r\n" for name, value in MEMBER.items())


def open_stalled(server, request_start: bytes, receive_buffer: int | None = None):
    sock = socket.socket()
    if receive_buffer is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.connect(("127.0.0.1", server.port))
    sock.sendall(request_start)
    return sock


def seconds_to_answer(server) -> float:
    start = time.monotonic()
    response = requests.get(f"{server.url}/healthcheck", timeout=20)
    assert response.status_code == 200
    return time.monotonic() - start


def read_response(sock: socket.socket, timeout: float = 20) -> bytes:
    sock.settimeout(timeout)
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def new_artifact(server) -> str:
    response = requests.post(f"{server.url}{SAMPLE}", json={"name": os.urandom(4).hex()},
                             headers=MEMBER, timeout=10)
    assert response.status_code == 201
    return response.json()["id"]


def test_clients_stalled_in_their_headers_are_dropped(server) -> None:
    """No thread waits for a head (the worker's main thread gathers it), and one that
    stalls is answered 408 once the client has been silent for the limit."""
    stalled = [open_stalled(server, b"GET /healthcheck HTTP/1.1\r\nHost: x\r\n")
               for _ in range(THREADS * 2)]
    time.sleep(0.3)
    assert seconds_to_answer(server) < 10 * LIMIT  # without the limit: never
    for sock in stalled:
        response = read_response(sock)
        assert response.startswith(b"HTTP/1.1 408"), response[:300]
        assert b"The client sent nothing for 1 seconds" in response
        sock.close()
    assert "Traceback" not in server.log_path.read_text()


def test_stalled_uploads_get_a_408_and_leave_nothing(server, tmp_path: Path) -> None:
    blobs = [f"{SAMPLE}/{new_artifact(server)}/blob" for _ in range(THREADS + 1)]
    stalled = [
        open_stalled(server, (
            f"PUT {blob} HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
            f"Content-Length: 5000000\r\n{member_headers()}\r\n").encode() + b"x" * 100_000)
        for blob in blobs
    ]
    for sock in stalled:
        response = read_response(sock)
        sock.close()
        status_line, _, rest = response.partition(b"\r\n")
        assert status_line.startswith(b"HTTP/1.1 408"), response[:300]
        assert b'"RequestTimeout"' in rest
        assert b"abandoned after" in rest
    for blob in blobs:
        shown = requests.get(f"{server.url}{blob.rsplit('/', 1)[0]}", headers=MEMBER,
                             timeout=10)
        assert shown.json()["blob"] is None
    assert [p for p in (tmp_path / "data" / "blobs").rglob("*") if p.is_file()] == []
    data = os.urandom(300_000)
    uploaded = requests.put(f"{server.url}{blobs[0]}", data=data, timeout=20, headers={
        **MEMBER, "Content-Type": "application/octet-stream"})
    assert uploaded.status_code == 200
    assert uploaded.json()["blob"]["status"] == "active"
    assert requests.get(f"{server.url}{blobs[0]}", headers=MEMBER, timeout=20).content == data


def test_a_slow_upload_that_keeps_sending_is_not_cut(server) -> None:
    """The limit is on silence, not on duration: pauses shorter than it are fine."""
    artifact_id = new_artifact(server)
    pieces = [os.urandom(50_000) for _ in range(6)]
    head = (f"PUT {SAMPLE}/{artifact_id}/blob HTTP/1.1\r\nHost: x\r\n"
            f"Content-Type: application/octet-stream\r\nConnection: close\r\n"
            f"Content-Length: {sum(map(len, pieces))}\r\n{member_headers()}\r\n").encode()
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(head)
        for piece in pieces:  # 6 pauses of 0.6 limit: 3.6 limits in all
            time.sleep(0.6 * LIMIT)
            sock.sendall(piece)
        response = read_response(sock)
    assert response.startswith(b"HTTP/1.1 200"), response[:300]
    downloaded = requests.get(f"{server.url}{SAMPLE}/{artifact_id}/blob", headers=MEMBER,
                              timeout=20)
    assert downloaded.content == b"".join(pieces)


@pytest.fixture(params=["file", "swift"])
def any_store_server(request, start_server, tmp_path: Path):
    """The server above, on the file store (sent with sendfile) or on a real Swift (sent
    chunk by chunk)."""
    env = {"GLARE_CLIENT_TIMEOUT": str(LIMIT)}
    if request.param == "swift":
        swift = request.getfixturevalue("swift_server")
        env |= {"GLARE_DEFAULT_STORE": "swift", "GLARE_SWIFT": json.dumps(
            swift.settings(container_prefix=request.getfixturevalue("swift_prefix")))}
    return start_server(tmp_path / "data", threads=THREADS, env=env)


def test_downloads_left_unread_are_dropped(any_store_server) -> None:
    server = any_store_server
    artifact_id = new_artifact(server)
    blob = f"{SAMPLE}/{artifact_id}/blob"
    size = 9 * 1024 * 1024  # more than the socket buffers hold, so the sender blocks
    uploaded = requests.put(f"{server.url}{blob}", data=os.urandom(size), timeout=30,
                            headers={**MEMBER, "Content-Type": "application/octet-stream"})
    assert uploaded.status_code == 200
    request = f"GET {blob} HTTP/1.1\r\nHost: x\r\n{member_headers()}\r\n".encode()
    stalled = [open_stalled(server, request, receive_buffer=4096) for _ in range(THREADS)]
    time.sleep(0.3)
    # Downloads stream in a lane of their own: the stalled ones hold none of the threads
    # other requests need.
    assert seconds_to_answer(server) < 10 * LIMIT
    time.sleep(5 * LIMIT)  # past the limit, with room for a loaded machine: dropped now
    for sock in stalled:
        # The connection ends (reset, or closed) before the whole blob was sent.
        received = 0
        with contextlib.suppress(ConnectionResetError):
            while chunk := read_response_chunk(sock):
                received += len(chunk)
        assert received < size
        sock.close()
    assert "Traceback" not in server.log_path.read_text()


def test_a_download_read_steadily_is_not_cut(server) -> None:
    """A reader that keeps taking data completes, however long the download lasts: the
    limit is on the time the send buffer stays full (see ``server/client_timeout.py``)."""
    artifact_id = new_artifact(server)
    blob = f"{SAMPLE}/{artifact_id}/blob"
    data = os.urandom(9 * 1024 * 1024)
    assert requests.put(f"{server.url}{blob}", data=data, timeout=30, headers={
        **MEMBER, "Content-Type": "application/octet-stream"}).status_code == 200
    request = (f"GET {blob} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
               f"{member_headers()}\r\n").encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=20) as sock:
        sock.sendall(request)
        started, received = time.monotonic(), b""
        while chunk := sock.recv(128 * 1024):
            received += chunk
            # Paced at 2.5 MiB/s, catching up after any delay: about 3.6 s for the blob,
            # where being cut takes falling behind 1.3 MiB within one limit.
            ahead = len(received) / (2.5 * 1024 * 1024) - (time.monotonic() - started)
            if ahead > 0:
                time.sleep(ahead)
    assert time.monotonic() - started > 2 * LIMIT
    assert received.partition(b"\r\n\r\n")[2] == data


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_a_stalled_json_body_gets_a_408(server, method: str) -> None:
    path, media = SAMPLE, "application/json"
    if method == "PATCH":
        path, media = f"{SAMPLE}/{new_artifact(server)}", "application/json-patch+json"
    sock = open_stalled(server, (
        f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {media}\r\n"
        f"Content-Length: 200\r\n{member_headers()}\r\n[").encode())
    response = read_response(sock)
    sock.close()
    assert response.startswith(b"HTTP/1.1 408"), response[:300]
    assert b'"RequestTimeout"' in response
    assert "Traceback" not in server.log_path.read_text()


def read_response_chunk(sock: socket.socket) -> bytes:
    sock.settimeout(20)
    return sock.recv(1 << 20)


def test_refused_uploads_whose_clients_stall_do_not_hold_up_the_server(start_server,
                                                                        tmp_path: Path):
    """An upload refused before its body is read (here 401: no credentials) ends with a
    lingering close, which waits up to two seconds for the client to stop sending. gunicorn
    does that on its worker's main thread, where no other connection is accepted meanwhile;
    Glare's worker does it on the request's own thread. (The body is larger than the
    64 KiB the main thread would gather whole before a thread takes the request.)"""
    server = start_server(tmp_path / "data", threads=8)  # default client timeout (60 s)
    unknown = "00000000-0000-4000-8000-000000000000"
    refused = (f"PUT {SAMPLE}/{unknown}/blob HTTP/1.1\r\nHost: x\r\n"
               f"Content-Type: text/plain\r\nContent-Length: 150000\r\n\r\n").encode() \
        + b"z" * 70_000
    stalled = []
    for _ in range(4):
        stalled.append(open_stalled(server, refused))
        stalled[-1].settimeout(10)
        assert stalled[-1].recv(12) == b"HTTP/1.1 401"  # answered, then the linger starts
    # Four lingering closes on the main thread would delay the next answer by about 8 s.
    assert seconds_to_answer(server) < 1.5
    for sock in stalled:
        sock.close()
