"""A real ``glare-api`` process: start-up on the embedded default, the main API path over
HTTP, and no lost updates when several processes patch one artifact concurrently."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from pathlib import Path
from urllib.parse import quote

import requests
from alembic.script import ScriptDirectory

from glare_core.data.migrations import (
    CORE,
    MigrationSource,
    alembic_config,
    migrations_directory,
)
from tests.system.conftest import MEMBER

SAMPLE = "/artifacts/sample_artifact"
PATCH = {**MEMBER, "Content-Type": "application/json-patch+json"}


def test_first_start_creates_the_database_and_serves(start_server, tmp_path: Path) -> None:
    data_dir = tmp_path / "fresh"
    server = start_server(data_dir)
    assert (data_dir / "glare.db").exists()
    with sqlite3.connect(data_dir / "glare.db") as db:
        (revision,) = db.execute("SELECT version_num FROM alembic_version").fetchone()
    core = MigrationSource(CORE, str(Path(migrations_directory()) / "versions"),
                           "alembic_version")
    assert {revision} == set(ScriptDirectory.from_config(alembic_config(core)).get_heads())
    versions = requests.get(f"{server.url}/versions", timeout=5)
    assert versions.status_code == 300
    created = requests.post(f"{server.url}{SAMPLE}", json={"name": "smoke", "version": "2"},
                            headers=MEMBER, timeout=5)
    assert created.status_code == 201
    assert created.json()["version"] == "2.0.0"
    artifact_id = created.json()["id"]
    patched = requests.patch(
        f"{server.url}{SAMPLE}/{artifact_id}",
        json=[{"op": "replace", "path": "/string_required", "value": "x"},
              {"op": "replace", "path": "/status", "value": "active"}],
        headers=PATCH, timeout=5,
    )
    assert patched.status_code == 200
    assert patched.json()["status"] == "active"
    listing = requests.get(f"{server.url}{SAMPLE}?status=active", headers=MEMBER, timeout=5)
    assert [a["id"] for a in listing.json()["artifacts"]] == [artifact_id]
    assert requests.get(f"{server.url}/nowhere", timeout=5).json()["code"] == 404


def test_restart_keeps_data(start_server, tmp_path: Path) -> None:
    data_dir = tmp_path / "kept"
    first = start_server(data_dir)
    created = requests.post(f"{first.url}{SAMPLE}", json={"name": "kept"}, headers=MEMBER,
                            timeout=5).json()
    first.stop()
    second = start_server(data_dir)
    shown = requests.get(f"{second.url}{SAMPLE}/{created['id']}", headers=MEMBER, timeout=5)
    assert shown.status_code == 200
    assert shown.json()["name"] == "kept"


def test_the_longest_folder_key_fits_the_request_line(start_server, tmp_path: Path) -> None:
    """A folder key may be 1000 characters (§28); percent-encoded, 1000 Cyrillic letters
    take 6000 bytes of the request line, over gunicorn's default limit of 4094."""
    server = start_server(tmp_path / "long-key")
    created = requests.post(f"{server.url}{SAMPLE}", json={"name": "keys"}, headers=MEMBER,
                            timeout=5).json()
    key = "\u0434" * 1000
    folder = f"{server.url}{SAMPLE}/{created['id']}/dict_of_blobs"
    put = requests.put(f"{folder}/{quote(key)}", data=b"long",
                       headers={**MEMBER, "Content-Type": "text/plain"}, timeout=10)
    assert put.status_code == 200, put.text
    assert list(put.json()["dict_of_blobs"]) == [key]
    got = requests.get(f"{folder}/{quote(key)}", headers=MEMBER, timeout=10)
    assert got.status_code == 200 and got.content == b"long"


def test_concurrent_patches_from_several_processes_lose_nothing(start_server, tmp_path):
    """Two servers (two workers each) on one database; 6 clients each add 15 tags."""
    data_dir = tmp_path / "shared"
    servers = [start_server(data_dir, workers=2), start_server(data_dir, workers=2)]
    artifact = requests.post(f"{servers[0].url}{SAMPLE}", json={"name": "busy"},
                             headers=MEMBER, timeout=5).json()
    errors: list[str] = []

    def add_tags(client_no: int) -> None:
        session = requests.Session()
        base = servers[client_no % len(servers)].url
        for n in range(15):
            op = [{"op": "add", "path": "/tags/-", "value": f"c{client_no}-t{n}"}]
            for _ in range(50):  # a busy lock answers 409: retry, as a client would
                response = session.patch(f"{base}{SAMPLE}/{artifact['id']}", json=op,
                                         headers=PATCH, timeout=30)
                if response.status_code != 409:
                    break
            if response.status_code != 200:
                errors.append(f"{response.status_code} {response.text}")

    threads = [threading.Thread(target=add_tags, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    final = requests.get(f"{servers[1].url}{SAMPLE}/{artifact['id']}", headers=MEMBER,
                         timeout=5).json()
    expected = {f"c{c}-t{n}" for c in range(6) for n in range(15)}
    assert set(final["tags"]) == expected


def test_a_kept_alive_connection_serves_requests_after_uploads(start_server, tmp_path: Path):
    """The upload reads the server's own input stream; it must stop at the body's end so
    the next request on the same connection is read intact (with and without a length)."""
    import http.client

    server = start_server(tmp_path / "keepalive")
    host, port = server.url.removeprefix("http://").split(":")
    created = requests.post(f"{server.url}{SAMPLE}", json={"name": "ka"}, headers=MEMBER,
                            timeout=5).json()
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    blob = b"0123456789" * 100_000
    headers = {**MEMBER, "Content-Type": "application/octet-stream"}
    try:
        connection.request("PUT", f"{SAMPLE}/{created['id']}/blob", body=blob,
                           headers={**headers, "Content-Length": str(len(blob))})
        sized = connection.getresponse()
        assert sized.status == 200, sized.read()
        assert json.loads(sized.read())["blob"]["size"] == len(blob)
        small = blob[:1500]  # the folder's limit is 2000 bytes
        connection.request("PUT", f"{SAMPLE}/{created['id']}/dict_of_blobs/k",
                           body=iter([small[:700], small[700:]]),
                           headers=headers, encode_chunked=True)
        chunked = connection.getresponse()
        assert chunked.status == 200, chunked.read()
        assert json.loads(chunked.read())["dict_of_blobs"]["k"]["size"] == len(small)
        connection.request("GET", f"{SAMPLE}/{created['id']}/blob", headers=MEMBER)
        download = connection.getresponse()
        assert download.status == 200
        assert download.read() == blob
        assert connection.sock is not None  # still the one connection
    finally:
        connection.close()


def _read_response(stream) -> tuple[int, bytes]:
    status = int(stream.readline().split()[1])
    length = 0
    while (line := stream.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value)
    return status, stream.read(length)


def test_pipelined_requests_after_an_upload_are_served_in_order(start_server, tmp_path: Path):
    """Headers, body and the next request in one send: gunicorn holds part of the body
    and all of the next request when the upload starts reading from its socket."""
    import hashlib
    import socket

    server = start_server(tmp_path / "pipelined")
    host, port = server.url.removeprefix("http://").split(":")
    created = requests.post(f"{server.url}{SAMPLE}", json={"name": "pipe"}, headers=MEMBER,
                            timeout=5).json()
    blob = bytes(range(256)) * 12_000  # 3 MiB and change
    head = "".join(f"{k}: {v}\r\n" for k, v in MEMBER.items())
    path = f"{SAMPLE}/{created['id']}/blob"
    wire = (f"PUT {path} HTTP/1.1\r\nHost: {host}\r\n{head}Content-Type: application/octet-stream"
            f"\r\nContent-Length: {len(blob)}\r\n\r\n").encode() + blob
    wire += f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{head}\r\n".encode()
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sender = threading.Thread(target=sock.sendall, args=(wire,))
        sender.start()
        stream = sock.makefile("rb")
        upload_status, upload_body = _read_response(stream)
        download_status, download_body = _read_response(stream)
        sender.join()
    assert upload_status == 200, upload_body
    assert json.loads(upload_body)["blob"]["md5"] == hashlib.md5(blob).hexdigest()
    assert download_status == 200
    assert download_body == blob


def test_requests_gunicorn_refuses_get_json_errors(start_server, tmp_path: Path):
    """Requests refused before the app sees them keep gunicorn's status but get the §5.1
    JSON envelope, not gunicorn's HTML page; the server serves on afterwards."""
    import socket

    server = start_server(tmp_path / "refused")
    host, port = server.url.removeprefix("http://").split(":")
    head = "".join(f"{k}: {v}\r\n" for k, v in MEMBER.items())
    put = f"PUT {SAMPLE}/x/blob HTTP/1.1\r\nHost: {host}\r\n{head}Content-Type: text/plain\r\n"
    cases = {
        put + "Content-Length: abc\r\n\r\n": (400, "BadRequest"),
        put + "Content-Length: -4\r\n\r\n": (400, "BadRequest"),
        put + "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nabc": (400, "BadRequest"),
        # gunicorn passes compressed codings on; Glare would store the body still encoded.
        put + "Transfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n":
            (501, "NotImplemented"),
        f"GET {SAMPLE}/{'k' * 8200} HTTP/1.1\r\nHost: {host}\r\n\r\n": (414, "RequestURITooLong"),
    }
    for wire, (status, error_type) in cases.items():
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(wire.encode())
            stream = sock.makefile("rb")
            status_line = stream.readline()
            headers = {}
            while (line := stream.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode().partition(":")
                headers[name.strip().lower()] = value.strip()
            body = stream.read(int(headers["content-length"]))
        assert int(status_line.split()[1]) == status, (wire[:60], status_line)
        assert headers["content-type"] == "application/json; charset=UTF-8"
        error = json.loads(body)
        assert error["code"] == status
        assert error["error"]["type"] == error_type
        assert error["error"]["message"]
    assert requests.get(f"{server.url}{SAMPLE}", headers=MEMBER, timeout=5).status_code == 200


def test_an_error_that_leaves_the_body_unread_closes_the_connection(start_server, tmp_path):
    """A JSON body over its limit or a blob over the field's limit is answered without
    reading it; the server cannot serve another request on that connection, so the
    response says ``Connection: close`` and the client's next request reconnects."""
    import http.client

    server = start_server(tmp_path / "unread")
    host, port = server.url.removeprefix("http://").split(":")
    created = requests.post(f"{server.url}{SAMPLE}", json={"name": "unread"}, headers=MEMBER,
                            timeout=5).json()
    too_big_json = json.dumps({"name": "x", "description": "d" * (3 << 20)}).encode()
    too_big_blob = b"b" * (11 << 20)  # the sample's small_blob takes at most 10 bytes
    requests_to_refuse = [
        ("POST", SAMPLE, too_big_json, "application/json"),
        ("PUT", f"{SAMPLE}/{created['id']}/small_blob", too_big_blob, "text/plain"),
    ]
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        for method, path, body, content_type in requests_to_refuse:
            # The server may close before the whole body is sent.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                connection.request(method, path, body=body,
                                   headers={**MEMBER, "Content-Type": content_type})
            refused = connection.getresponse()
            assert refused.status == 413, refused.read()
            assert refused.getheader("Connection") == "close"
            refused.read()
            connection.request("GET", SAMPLE, headers=MEMBER)  # reconnects: says close
            listing = connection.getresponse()
            assert listing.status == 200
            assert json.loads(listing.read())["total_count"] == 1
            assert listing.getheader("Connection") == "keep-alive"
    finally:
        connection.close()


def test_malformed_chunked_bodies_are_400(start_server, tmp_path: Path):
    """A chunked body that breaks HTTP's framing (gunicorn's reader raises) is the client's
    fault: 400 with the JSON envelope, for JSON bodies and blob uploads alike."""
    import socket

    server = start_server(tmp_path / "chunks")
    host, port = server.url.removeprefix("http://").split(":")
    created = requests.post(f"{server.url}{SAMPLE}", json={"name": "chunks"}, headers=MEMBER,
                            timeout=5).json()
    head = "".join(f"{k}: {v}\r\n" for k, v in MEMBER.items())
    targets = [("POST", SAMPLE, "application/json"),
               ("PUT", f"{SAMPLE}/{created['id']}/blob", "text/plain")]
    bodies = ["zz\r\nhello\r\n0\r\n\r\n", "-1\r\nhello\r\n0\r\n\r\n", "5\r\nhelloXX0\r\n\r\n"]
    for method, path, content_type in targets:
        for body in bodies:
            wire = (f"{method} {path} HTTP/1.1\r\nHost: {host}\r\n{head}"
                    f"Content-Type: {content_type}\r\nTransfer-Encoding: chunked\r\n\r\n{body}")
            with socket.create_connection((host, int(port)), timeout=10) as sock:
                sock.sendall(wire.encode())
                status, payload = _read_response(sock.makefile("rb"))
            assert status == 400, (method, body, payload)
            assert json.loads(payload)["error"]["type"] == "BadRequest"
    shown = requests.get(f"{server.url}{SAMPLE}/{created['id']}", headers=MEMBER, timeout=5)
    assert shown.json()["blob"] is None
    assert requests.get(f"{server.url}{SAMPLE}", headers=MEMBER, timeout=5).json()[
        "total_count"] == 1



def test_servers_open_no_shared_control_socket(start_server, tmp_path: Path) -> None:
    """gunicorn 25.1+ opens a control socket at one path per user whatever the port;
    two Glare servers on one host must not fight over it (glare-api opens none)."""
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    env = {"XDG_RUNTIME_DIR": str(runtime), "HOME": str(tmp_path / "home")}
    first = start_server(tmp_path / "one", env=env)
    second = start_server(tmp_path / "two", env=env)
    for server in (first, second):
        assert requests.get(f"{server.url}/healthcheck", timeout=5).text == "OK"
    assert list(runtime.iterdir()) == []
    assert not (tmp_path / "home" / ".gunicorn").exists()
    for server in (first, second):
        assert "control socket" not in server.log_path.read_text().lower()


def _read_head(stream) -> tuple[int, dict[str, str]]:
    status = int(stream.readline().split()[1])
    headers = {}
    while (line := stream.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers


def test_expect_continue_is_answered_only_when_the_body_is_wanted(start_server, tmp_path):
    """``Expect: 100-continue``: an upload refused by its headers (over the field's limit,
    no such artifact) gets its final answer at once, so the client never sends the body;
    an accepted one gets ``100 Continue`` first, then stores what follows."""
    import socket

    server = start_server(tmp_path / "expect")
    created = requests.post(f"{server.url}{SAMPLE}", json={"name": "expect"}, headers=MEMBER,
                            timeout=5).json()
    host, port = server.url.removeprefix("http://").split(":")
    head = "".join(f"{k}: {v}\r\n" for k, v in MEMBER.items())

    def put(path: str, length: int) -> tuple[socket.socket, object]:
        sock = socket.create_connection((host, int(port)), timeout=10)
        sock.sendall(f"PUT {path} HTTP/1.1\r\nHost: {host}\r\n{head}Content-Type: text/plain\r\n"
                     f"Content-Length: {length}\r\nExpect: 100-continue\r\n\r\n".encode())
        return sock, sock.makefile("rb")

    for path, status in ((f"{SAMPLE}/{created['id']}/blob", 413),  # 10 MiB allowed
                         (f"{SAMPLE}/00000000-0000-0000-0000-000000000000/blob", 404)):
        sock, stream = put(path, 20_000_000)
        with sock:
            got, headers = _read_head(stream)  # with no byte of the body sent
            assert got == status
            assert headers["connection"] == "close"
            assert json.loads(stream.read(int(headers["content-length"])))["code"] == status

    sock, stream = put(f"{SAMPLE}/{created['id']}/blob", 5)
    with sock:
        assert _read_head(stream)[0] == 100
        sock.sendall(b"hello")
        got, headers = _read_head(stream)
        assert got == 200
        assert json.loads(stream.read(int(headers["content-length"])))["blob"]["size"] == 5
    download = requests.get(f"{server.url}{SAMPLE}/{created['id']}/blob", headers=MEMBER,
                            timeout=5)
    assert download.content == b"hello"

    body = b'{"name": "json-after-continue"}'
    sock = socket.create_connection((host, int(port)), timeout=10)
    with sock:
        stream = sock.makefile("rb")
        sock.sendall(f"POST {SAMPLE} HTTP/1.1\r\nHost: {host}\r\n{head}"
                     f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                     "Expect: 100-continue\r\n\r\n".encode())
        assert _read_head(stream)[0] == 100
        sock.sendall(body)
        assert _read_head(stream)[0] == 201


def test_a_json_body_over_the_limit_is_refused_before_100_continue(start_server, tmp_path):
    """A JSON body (create, PATCH, PUT /quotas, a location) whose Content-Length is over
    1 MiB gets its 413 as the first answer: no ``100 Continue``, so the client never sends
    the body, and ``Connection: close``, since the body is left unread."""
    import socket

    server = start_server(tmp_path / "expect-json")
    created = requests.post(f"{server.url}{SAMPLE}", json={"name": "expect-json"},
                            headers=MEMBER, timeout=5).json()
    host, port = server.url.removeprefix("http://").split(":")
    admin = {**MEMBER, "X-Roles": "admin"}
    location = "application/vnd+openstack.glare-custom-location+json"
    for method, path, content_type in (
            ("POST", SAMPLE, "application/json"),
            ("PATCH", f"{SAMPLE}/{created['id']}", "application/json-patch+json"),
            ("PUT", "/quotas", "application/json"),
            ("PUT", f"{SAMPLE}/{created['id']}/blob", location)):
        head = "".join(f"{k}: {v}\r\n" for k, v in admin.items())
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            stream = sock.makefile("rb")
            sock.sendall(f"{method} {path} HTTP/1.1\r\nHost: {host}\r\n{head}"
                         f"Content-Type: {content_type}\r\nContent-Length: {2**20 + 1}\r\n"
                         "Expect: 100-continue\r\n\r\n".encode())
            status, headers = _read_head(stream)  # no byte of the body was sent
            assert status == 413, (method, path)
            assert headers["connection"] == "close"
            body = json.loads(stream.read(int(headers["content-length"])))
            assert body["error"]["type"] == "RequestEntityTooLarge"
            assert stream.read() == b""  # and the server closed the connection
