"""Blobs in a deployment of two ``glare-api`` instances, each with a data folder of its
own, on one PostgreSQL and one Swift (tests/system/instances.py): an upload streaming
into one instance is alive for the other (which neither takes it for dead nor lets a
second upload in), a download from one outlives a replacement made on the other, uploads
that died with their instance are recovered by the other, and scrubbers run at once with
either instance's settings clean up exactly once."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import threading
import time
from typing import Any

import pytest
import requests

from tests.system.blobtools import MIB, SAMPLE, Api, pattern_chunks, raw_upload, wait_for
from tests.system.conftest import MEMBER
from tests.system.instances import STALE_AFTER, finish

pytestmark = [pytest.mark.postgres, pytest.mark.swift, pytest.mark.slow]

PIECE = 16 * 1024
PIECES = 48  # the slow upload: 768 KiB, one plain Swift object


def test_an_upload_streaming_into_a_lives_while_b_works_on_its_artifact(deploy):
    """A client streams into A for well over ``upload_stale_after``, a piece at a time,
    while B changes the artifact (each write undoes the uploads it finds dead), shows it
    and is asked for its blob: B sees the upload alive throughout (``saving``, never the
    blob it replaces), refuses a second upload to that blob, and the upload ends active,
    replacing the first blob, which Swift no longer holds."""
    d = deploy()
    a, b = Api(d.a.url), Api(d.b.url)
    artifact = a.create(name="streamed")
    first = os.urandom(3000)
    assert a.upload(artifact["id"], "blob", first).status_code == 200
    assert b.download(artifact["id"], "blob") == first  # uploaded on A, read on B
    before = d.holdings()
    pieces = threading.Semaphore(0)
    answer: list[tuple] = []

    def slow_body():
        for n in range(PIECES):
            assert pieces.acquire(timeout=300)
            yield bytes([n]) * PIECE

    def stream() -> None:
        answer.append(raw_upload(d.a.url, f"{SAMPLE}/{artifact['id']}/blob", slow_body(),
                                 content_length=PIECES * PIECE, timeout=300))

    uploader = threading.Thread(target=stream)
    uploader.start()
    pieces.release()
    try:
        wait_for(lambda: b.show(artifact["id"])["blob"]["status"] == "saving", timeout=60,
                 what="the upload to start")
        started, rounds = time.monotonic(), 0
        while time.monotonic() - started < 2.5 * STALE_AFTER or rounds < 3:
            tagged = b.session.patch(f"{d.b.url}{SAMPLE}/{artifact['id']}", timeout=60,
                                     headers={"Content-Type": "application/json-patch+json"},
                                     json=[{"op": "add", "path": "/tags/-",
                                            "value": f"r{rounds}"}])
            assert tagged.status_code == 200, tagged.text
            assert b.show(artifact["id"])["blob"]["status"] == "saving"
            download = b.session.get(f"{d.b.url}{SAMPLE}/{artifact['id']}/blob", timeout=60)
            assert download.status_code == 409, download.text
            rounds += 1
            pieces.release()
            time.sleep(1)
        second = b.upload(artifact["id"], "blob", b"second")
        assert second.status_code == 409, second.text
        assert "in progress" in second.json()["error"]["message"]
    finally:
        pieces.release(PIECES)
        uploader.join(300)
    status, body = answer[0]
    assert status == 200, body
    expected = b"".join(bytes([n]) * PIECE for n in range(PIECES))
    assert b.download(artifact["id"], "blob") == expected
    assert set(b.show(artifact["id"])["tags"]) == {f"r{n}" for n in range(rounds)}
    after = d.holdings()
    assert len(after) == len(before) and after != before  # the first blob's object went


def open_download(url: str, path: str) -> tuple[socket.socket, Any, int]:
    """GET ``path`` through a socket with a small receive buffer; (socket, its stream
    positioned at the body, the body's length). Until the client reads on, the server
    can send only what the two sockets' buffers hold: a few MiB (the kernel caps a send
    buffer at net.core.wmem_max, 4 MiB by default), not a whole 9 MiB blob."""
    host, port = url.removeprefix("http://").split(":")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    sock.settimeout(60)
    sock.connect((host, int(port)))
    head = "".join(f"{name}: {value}\r\n" for name, value in MEMBER.items())
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{head}"
                 "Connection: close\r\n\r\n".encode())
    stream = sock.makefile("rb")
    assert stream.readline().split()[1] == b"200"
    length = None
    while (line := stream.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    assert length is not None
    return sock, stream, length


def test_a_download_from_a_outlives_a_replacement_on_b(deploy):
    """A download of a Swift large object (read segment by segment) from A holds a reader
    lease in the database: B's replacement, made while A still sends, leaves the data to
    it, and the download ending deletes it."""
    d = deploy()
    a, b = Api(d.a.url), Api(d.b.url)
    artifact = a.create(name="read-while-replaced")
    large = b"".join(pattern_chunks(9 * MIB))
    assert b.upload(artifact["id"], "blob", large).status_code == 200
    old = d.holdings()
    assert len(old) > 2  # a manifest and its segments
    sock, stream, length = open_download(d.a.url, f"{SAMPLE}/{artifact['id']}/blob")
    with sock, stream:
        head = stream.read(MIB)
        assert b.upload(artifact["id"], "blob", b"replacement").status_code == 200
        assert set(old) <= set(d.holdings())  # still read: kept
        rest = stream.read(length - MIB)
    assert head + rest == large
    wait_for(lambda: len(d.holdings()) == 1 and not set(d.holdings()) & set(old),
             what="the last reader to delete the replaced data")
    assert a.download(artifact["id"], "blob") == b"replacement"


def test_uploads_that_died_with_a_are_recovered_by_b_and_scrubbers_on_both(deploy):
    """kill -9 of A while two uploads stream into it (Swift holds segments of both):
    one replacing X's blob, the other Y's first. Once they are stale, B shows X's first
    blob and no blob for Y; B's next write to X recovers it for real. Then scrubbers run
    at once with A's settings and with B's: they recover Y, purge the artifacts deleted
    meanwhile (delayed delete) each exactly once, say nothing is wrong, and leave Swift
    holding exactly the live blobs."""
    d = deploy(GLARE_DELAYED_DELETE="true")
    a, b = Api(d.a.url), Api(d.b.url)
    x, y = a.create(name="replaced"), a.create(name="first-upload")
    first = os.urandom(2000)
    assert a.upload(x["id"], "blob", first).status_code == 200
    x = a.show(x["id"])
    live = d.holdings()
    doomed = [a.create(name=f"doomed-{n}") for n in range(4)]
    for n, artifact in enumerate(doomed):
        api = (a, b)[n % 2]
        assert api.upload(artifact["id"], "blob", os.urandom(100 + n)).status_code == 200
        api.delete(artifact["id"])
    before_uploads = d.holdings()
    killed = threading.Event()

    def hold_at_6_mib(sent: int) -> None:
        # past the 4 MiB the Swift store reads before it cuts a body of unknown size
        if sent >= 6 * MIB:
            killed.wait(120)

    def upload(artifact_id: str, content_length: int | None) -> None:
        with contextlib.suppress(OSError):
            raw_upload(d.a.url, f"{SAMPLE}/{artifact_id}/blob", pattern_chunks(9 * MIB),
                       content_length=content_length, on_chunk=hold_at_6_mib)

    uploads = [threading.Thread(target=upload, args=(x["id"], 9 * MIB)),
               threading.Thread(target=upload, args=(y["id"], None))]
    for thread in uploads:
        thread.start()
    try:
        wait_for(lambda: len(d.holdings()) >= len(before_uploads) + 2 and all(
            (b.show(art["id"])["blob"] or {}).get("status") == "saving" for art in (x, y)),
            timeout=120, what="both uploads to store segments")
        d.a.kill()
    finally:
        killed.set()
        for thread in uploads:
            thread.join(120)

    wait_for(lambda: b.show(x["id"]) == x and b.show(y["id"]) == y, timeout=20 * STALE_AFTER,
             what="B to take the uploads for dead")
    assert b.download(x["id"], "blob") == first
    missing = b.session.get(f"{d.b.url}{SAMPLE}/{y['id']}/blob", timeout=30)
    assert missing.status_code == 404, missing.text
    tagged = b.session.patch(f"{d.b.url}{SAMPLE}/{x['id']}", json=[
        {"op": "add", "path": "/tags/-", "value": "after"}],
        headers={"Content-Type": "application/json-patch+json"}, timeout=30)
    assert tagged.status_code == 200, tagged.text
    assert tagged.json()["blob"] == x["blob"]

    outputs = [finish(process) for process in (d.manage(0, "scrub"), d.manage(1, "scrub"))]
    counts = [int(re.fullmatch(r"scrubbed (\d+) artifact\(s\)\n", out)[1])
              for out, _ in outputs]
    assert sum(counts) == len(doomed), outputs
    for _, err in outputs:
        assert "Traceback" not in err and "cannot" not in err, err
    assert d.holdings() == live
    for artifact in doomed:
        gone = requests.get(f"{d.b.url}{SAMPLE}/{artifact['id']}", headers=MEMBER, timeout=30)
        assert gone.status_code == 404
    assert b.show(y["id"]) == y and b.download(x["id"], "blob") == first
    assert b.upload(y["id"], "blob", b"again").status_code == 200
