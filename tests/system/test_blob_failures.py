"""Failure safety of uploads, against real server processes and real stores.

Each case breaks an upload in a different way: the client disconnects mid-body or stalls
there (GLARE_CLIENT_TIMEOUT), the size limit is crossed mid-stream, Swift stops
mid-upload (and starts again), the disk fills.
Afterwards: the blob is not active with partial data (the previous blob is back), the
store holds no fragment, other artifacts are intact, the server answers, and the blob can
be uploaded again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import SwiftServer, service_unavailable
from tests.system.blobtools import (
    MIB,
    SAMPLE,
    Api,
    files_under,
    pattern_chunks,
    raw_upload,
    wait_for,
)

SEGMENT = MIB
CLIENT_TIMEOUT = 2  # seconds of silence before the server drops a client


@pytest.fixture(params=["file", "swift"])
def store_server(request, start_server, tmp_path):
    """(server, store name, function listing what the store holds) for each store."""
    env = {"GLARE_CLIENT_TIMEOUT": str(CLIENT_TIMEOUT)}
    if request.param == "swift":
        swift = request.getfixturevalue("swift_server")
        prefix = request.getfixturevalue("swift_prefix")
        env |= {"GLARE_DEFAULT_STORE": "swift",
               "GLARE_SWIFT": json.dumps(swift.settings(container_prefix=prefix,
                                                        segment_size=SEGMENT,
                                                        large_object_size=SEGMENT))}
        conn = swift.connection()

        def holdings() -> list[str]:
            return sorted(
                f"{container}/{name}"
                for container in (f"{prefix}_sample_artifact",
                                  f"{prefix}_sample_artifact_segments")
                for name in object_names(conn, container)
            )
    else:
        def holdings() -> list[str]:
            return [str(p) for p in files_under(tmp_path / "data" / "blobs")]
    server = start_server(tmp_path / "data", env=env)
    return server, request.param, holdings


def prepare(api: Api) -> tuple[dict, dict, bytes, bytes]:
    """Artifact A with blob v1 (the upload target) and artifact B with its own blob."""
    first, other = os.urandom(1000), os.urandom(3000)
    a = api.create(name="target")
    b = api.create(name="bystander")
    assert api.upload(a["id"], "blob", first).status_code == 200
    assert api.upload(b["id"], "blob", other).status_code == 200
    return api.show(a["id"]), api.show(b["id"]), first, other


def assert_unharmed(api: Api, a: dict, b: dict, first: bytes, other: bytes,
                    holdings_before: list[str], holdings) -> None:
    shown = api.show(a["id"])
    assert shown["blob"] == a["blob"]  # the previous blob is back, unchanged
    assert api.download(a["id"], "blob") == first
    assert api.show(b["id"]) == b
    assert api.download(b["id"], "blob") == other
    assert holdings() == holdings_before  # no fragment of the failed upload is left
    again = os.urandom(2 * MIB)
    response = api.upload(a["id"], "blob", again)
    assert response.status_code == 200, response.text
    assert response.json()["blob"]["sha256"] == hashlib.sha256(again).hexdigest()
    assert api.download(a["id"], "blob") == again


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_client_disconnects_mid_upload(store_server, framing):
    server, _, holdings = store_server
    api = Api(server.url)
    a, b, first, other = prepare(api)
    before = holdings()
    start = api.revision(a["id"])
    total = 8 * MIB
    status, _ = raw_upload(
        server.url, f"{SAMPLE}/{a['id']}/blob", pattern_chunks(3 * MIB),
        content_length=total if framing == "content-length" else None, abort=True,
    )
    assert status is None
    api.wait_rolled_back(a["id"], start)
    wait_for(lambda: holdings() == before, what="the partial data to be removed")
    assert_unharmed(api, a, b, first, other, before, holdings)


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_client_stalls_mid_upload(store_server, framing):
    """The client sends 3 MiB of 8 (two 1 MiB Swift segments and part of a third) and then
    nothing, without closing: after GLARE_CLIENT_TIMEOUT it gets a 408 and nothing of the
    upload is kept."""
    server, _, holdings = store_server
    api = Api(server.url)
    a, b, first, other = prepare(api)
    before = holdings()
    last_sent: list[float] = []
    status, body = raw_upload(
        server.url, f"{SAMPLE}/{a['id']}/blob", pattern_chunks(3 * MIB),
        content_length=8 * MIB if framing == "content-length" else None, end_body=False,
        on_chunk=lambda _: last_sent.append(time.monotonic()), timeout=30,
    )
    waited = time.monotonic() - last_sent[-1]
    assert status == 408, body
    assert body["error"]["type"] == "RequestTimeout"
    assert CLIENT_TIMEOUT * 0.9 <= waited < CLIENT_TIMEOUT * 2 + 5
    wait_for(lambda: holdings() == before, what="the partial data to be removed")
    assert_unharmed(api, a, b, first, other, before, holdings)


@pytest.mark.parametrize("recovery", ["scrub", "next upload"])
@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_server_killed_mid_upload_then_recovered(store_server, start_server, framing,
                                                 recovery):
    """kill -9 of the server (master and worker) mid-upload. The restarted server shows
    the blob as not active; once the upload is stale, ``glare-manage scrub`` brings the
    previous blob back, or the next upload replaces it, and either removes every
    fragment the dead upload left: its temporary file, or its Swift segments, of which
    no manifest was ever written."""
    first_server, _, holdings = store_server
    first_server.stop()  # its client timeout is too short to wait for the first segment
    server = start_server(first_server.data_dir,
                          env={**first_server.env, "GLARE_CLIENT_TIMEOUT": "60"})
    api = Api(server.url)
    a, b, first, other = prepare(api)
    before = holdings()
    killed = threading.Event()

    def kill_once_fragments_exist(sent: int) -> None:
        # Past 4 MiB: the sample type's upload hook hides the size from the Swift store,
        # which buffers that much before it knows it has a large object to segment.
        if sent >= 6 * MIB and not killed.is_set():
            wait_for(lambda: holdings() != before, what="the upload to store some data")
            killed.set()
            server.kill()

    with contextlib.suppress(OSError):
        raw_upload(server.url, f"{SAMPLE}/{a['id']}/blob", pattern_chunks(9 * MIB),
                   content_length=9 * MIB if framing == "content-length" else None,
                   on_chunk=kill_once_fragments_exist)
    assert killed.is_set()
    stale = {**server.env, "GLARE_UPLOAD_STALE_AFTER": "1"}
    again = start_server(server.data_dir, env=stale)
    api = Api(again.url)
    time.sleep(1.5)
    assert api.show(a["id"])["blob"] == a["blob"]  # never active with part data
    assert holdings() != before
    if recovery == "scrub":
        glare_manage(server.data_dir, stale, "scrub")
        assert_unharmed(api, a, b, first, other, before, holdings)
        return
    replacement = os.urandom(1000)  # one file, or one plain object: as the blob it replaces
    response = api.upload(a["id"], "blob", replacement)
    assert response.status_code == 200, response.text
    assert api.download(a["id"], "blob") == replacement
    assert api.show(b["id"]) == b and api.download(b["id"], "blob") == other
    assert len(holdings()) == len(before)  # a's new blob and b's: no fragment, no v1


def test_reads_show_the_previous_blob_once_a_killed_upload_is_stale(store_server,
                                                                    start_server):
    """kill -9 of the server while two uploads run: a re-upload of A's blob and a first
    upload of C's. A server restarted with the default stale time shows them ``saving``
    (downloads 409). Restarted with a stale time of 1 s, once they are stale, and with no
    write in between (their fragments are still stored), reads show what their recovery
    will leave: A's previous blob (GET, list, download, HEAD) and no blob for C (the
    download is the 404 of a blob never uploaded). The scrubber then changes nothing a
    reader sees, the ETag included, and removes the fragments."""
    first_server, _, holdings = store_server
    first_server.stop()  # its client timeout is too short to wait for the first segment
    env = {**first_server.env, "GLARE_CLIENT_TIMEOUT": "60"}
    server = start_server(first_server.data_dir, env=env)
    api = Api(server.url)
    a, b, first, other = prepare(api)
    c = api.create(name="first-upload")
    before = holdings()
    killed = threading.Event()

    def hold_at_6_mib(sent: int) -> None:
        # Past the Swift store's 4 MiB peek at bodies it cannot size (the sample type's
        # upload hook hides the size), so that it stores segments.
        if sent >= 6 * MIB:
            killed.wait(60)

    def upload(artifact_id: str, content_length: int | None) -> None:
        with contextlib.suppress(OSError):
            raw_upload(server.url, f"{SAMPLE}/{artifact_id}/blob", pattern_chunks(9 * MIB),
                       content_length=content_length, on_chunk=hold_at_6_mib)

    uploads = [threading.Thread(target=upload, args=(a["id"], 9 * MIB)),
               threading.Thread(target=upload, args=(c["id"], None))]
    for thread in uploads:
        thread.start()
    try:
        wait_for(lambda: holdings() != before and all(
            (api.show(art["id"])["blob"] or {}).get("status") == "saving" for art in (a, c)),
            what="both uploads to be under way and to store some data")
        server.kill()
    finally:
        killed.set()
        for thread in uploads:
            thread.join(60)

    def blob_url(artifact: dict, field: str = "blob") -> str:
        return f"{api.url}{SAMPLE}/{artifact['id']}/{field}"

    restarted = start_server(server.data_dir, env=env)
    api = Api(restarted.url)
    for artifact in (a, c):
        assert api.show(artifact["id"])["blob"]["status"] == "saving"
        assert api.session.get(blob_url(artifact), timeout=30).status_code == 409
    restarted.stop()

    stale = {**env, "GLARE_UPLOAD_STALE_AFTER": "1"}
    server = start_server(server.data_dir, env=stale)
    api = Api(server.url)
    time.sleep(1.5)
    shown = api.session.get(f"{api.url}{SAMPLE}/{a['id']}", timeout=30)
    assert shown.json() == a
    listed = api.session.get(f"{api.url}{SAMPLE}?name=target", timeout=30).json()
    assert listed["artifacts"] == [a]
    assert api.download(a["id"], "blob") == first
    head = api.session.head(blob_url(a), timeout=30)
    assert (head.status_code, head.headers["Content-Length"]) == (200, str(len(first)))
    assert api.show(c["id"]) == c and c["blob"] is None
    missing = api.session.get(blob_url(c), timeout=30)
    never = api.session.get(blob_url(c, "small_blob"), timeout=30)
    assert (missing.status_code, missing.json()["error"]) == (404, never.json()["error"])
    assert holdings() != before  # nothing was recovered: the fragments are still there

    glare_manage(server.data_dir, stale, "scrub")
    recovered = api.session.get(f"{api.url}{SAMPLE}/{a['id']}", timeout=30)
    assert recovered.json() == a and recovered.headers["ETag"] == shown.headers["ETag"]
    assert api.show(c["id"]) == c
    assert_unharmed(api, a, b, first, other, before, holdings)


def test_a_blob_file_cut_short_or_grown_on_disk_is_an_error_not_a_cut_connection(
        start_server, tmp_path):
    """Under the real server (sendfile sends the file): a blob file truncated or grown
    outside Glare was sent with the recorded Content-Length, and the connection cut
    midway; now a 404 error envelope, and an error line in the server's log."""
    server = start_server(tmp_path / "data")
    api = Api(server.url)
    art = api.create(name="cut-on-disk")
    data = os.urandom(3 * MIB)
    assert api.upload(art["id"], "blob", data).status_code == 200
    (path,) = files_under(tmp_path / "data" / "blobs")
    for size in (MIB, 4 * MIB):
        with path.open("r+b") as file:
            file.truncate(size)
        for headers in ({}, {"Range": "bytes=0-99"}):
            response = api.session.get(f"{server.url}{SAMPLE}/{art['id']}/blob",
                                       headers=headers, timeout=30)
            assert response.status_code == 404, response.headers
            assert response.headers["Content-Type"].startswith("application/json")
            assert "damaged" in response.json()["error"]["message"]
    log = server.log_path.read_text()
    assert f"holds {MIB} bytes where {3 * MIB} were recorded" in log
    assert f"holds {4 * MIB} bytes where {3 * MIB} were recorded" in log
    assert art["id"] in log and path.name in log


def test_size_limit_crossed_mid_stream(store_server):
    server, _, holdings = store_server
    api = Api(server.url)
    a, b, first, other = prepare(api)
    before = holdings()
    # No Content-Length: the limit (10 MiB for sample_artifact.blob) is found mid-stream.
    status, body = raw_upload(server.url, f"{SAMPLE}/{a['id']}/blob",
                              pattern_chunks(11 * MIB))
    assert status == 413
    assert body["error"]["type"] == "RequestEntityTooLarge"
    assert_unharmed(api, a, b, first, other, before, holdings)


def test_announced_size_over_limit_is_refused_before_reading(store_server):
    server, _, holdings = store_server
    api = Api(server.url)
    a, b, first, other = prepare(api)
    before = holdings()
    status, body = raw_upload(server.url, f"{SAMPLE}/{a['id']}/blob", [b"x" * 100],
                              content_length=11 * MIB)
    assert status == 413
    assert "10485760" in body["error"]["message"]
    assert_unharmed(api, a, b, first, other, before, holdings)


def object_names(conn, container: str) -> list[str]:
    from swiftclient.exceptions import ClientException

    try:
        return sorted(o["name"] for o in conn.get_container(container, full_listing=True)[1])
    except ClientException as exc:
        if exc.http_status == 404:
            return []
        raise


def glare_manage(data_dir: Path, env: dict, *args: str) -> str:
    command = Path(sys.executable).with_name("glare-manage")
    result = subprocess.run(
        [str(command), *args], capture_output=True, text=True, timeout=120,
        env={**os.environ, "GLARE_DATA_DIR": str(data_dir), **env},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("layout", ["segmented", "plain"])
def test_swift_stops_mid_upload_then_recovers(start_server, tmp_path, swift_prefix, layout):
    """``segmented``: a chunked upload becomes SLO segments; ``plain``: an upload of known
    size under ``large_object_size`` streams into a single object PUT."""
    swift = SwiftServer(tmp_path / "own-swift")
    swift.start()
    try:
        stopped = threading.Event()
        large = SEGMENT if layout == "segmented" else 64 * MIB
        swift_env = {"GLARE_DEFAULT_STORE": "swift",
                     "GLARE_SWIFT": json.dumps(swift.settings(container_prefix=swift_prefix,
                                                              segment_size=SEGMENT,
                                                              large_object_size=large))}
        server = start_server(tmp_path / "data", env=swift_env)
        api = Api(server.url)
        a, b, first, other = prepare(api)
        conn = swift.connection()
        container = f"{swift_prefix}_sample_artifact"
        before = object_names(conn, container)
        segments_before = object_names(conn, f"{container}_segments")
        start = api.revision(a["id"])

        def stop_swift_once(sent: int) -> None:
            if sent >= 4 * MIB and not stopped.is_set():
                stopped.set()
                swift.stop()

        status, body = raw_upload(
            server.url, f"{SAMPLE}/{a['id']}/blob", pattern_chunks(9 * MIB),
            content_length=9 * MIB if layout == "plain" else None, on_chunk=stop_swift_once)
        assert stopped.is_set()
        assert status in (503, None)  # 503, unless the server closed before answering
        if status == 503:
            assert "Swift" in body["error"]["message"]
        # Swift is down: the server still answers and the artifact is not half-written.
        assert requests.get(f"{server.url}/healthcheck", timeout=5).status_code == 200
        api.wait_rolled_back(a["id"], start)
        assert api.show(a["id"])["blob"] == a["blob"]
        assert api.show(b["id"]) == b
        # Swift comes back on the same port; the scrubber removes what the upload left.
        swift.start()
        glare_manage(tmp_path / "data", swift_env, "scrub")
        conn = swift.connection()
        assert object_names(conn, container) == before
        assert object_names(conn, f"{container}_segments") == segments_before
        assert api.download(a["id"], "blob") == first
        assert api.download(b["id"], "blob") == other
        again = os.urandom(3 * MIB)
        assert api.upload(a["id"], "blob", again).status_code == 200
        assert api.download(a["id"], "blob") == again
    finally:
        swift.stop()


@pytest.fixture
def small_disk(tmp_path):
    """A 6 MiB tmpfs mounted for the blob folder (needs root)."""
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        service_unavailable("the disk-full test mounts a tmpfs and needs root")
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs",
                             str(mount_point)], capture_output=True, text=True)
    if result.returncode != 0:
        service_unavailable(f"cannot mount a tmpfs: {result.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


def test_disk_full(start_server, tmp_path, small_disk):
    server = start_server(tmp_path / "data", env={"GLARE_BLOB_DIR": str(small_disk)})
    api = Api(server.url)
    a, b, first, other = prepare(api)
    before = [str(p) for p in files_under(small_disk)]
    status, body = raw_upload(server.url, f"{SAMPLE}/{a['id']}/blob",
                              pattern_chunks(9 * MIB), content_length=9 * MIB)
    assert status == 507
    assert body["error"]["type"] == "InsufficientStorage"
    assert [str(p) for p in files_under(small_disk)] == before
    usage = shutil.disk_usage(small_disk)
    assert usage.used < 1 * MIB  # the partial file's space was given back
    shown = api.show(a["id"])
    assert shown["blob"] == a["blob"]
    assert api.download(a["id"], "blob") == first
    assert api.show(b["id"]) == b
    assert api.download(b["id"], "blob") == other
    assert requests.get(f"{server.url}/healthcheck", timeout=5).status_code == 200
    again = os.urandom(1 * MIB)
    assert api.upload(a["id"], "blob", again).status_code == 200
    assert api.download(a["id"], "blob") == again
