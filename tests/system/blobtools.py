"""Helpers for blob tests against real server processes: raw HTTP uploads that can be cut
off mid-body, and views of what a store really holds."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import requests

from tests.system.conftest import MEMBER

SAMPLE = "/artifacts/sample_artifact"
MIB = 1024 * 1024


def raw_upload(
    url: str,
    path: str,
    chunks: Iterable[bytes],
    *,
    content_length: int | None = None,
    abort: bool = False,
    end_body: bool = True,
    on_chunk: Callable[[int], None] | None = None,
    timeout: float = 60,
) -> tuple[int | None, dict[str, Any] | None]:
    """PUT ``chunks`` over a plain socket (chunked unless ``content_length`` is given).

    ``abort``: drop the connection after the last chunk, as a client that dies would.
    ``end_body=False``: send no chunked terminator, then wait, as a client that stalls
    would (with ``content_length``, simply send fewer bytes).
    Returns (status, JSON body) of the response, or (None, None) when there was none.
    """
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=timeout)
    headers = {**MEMBER, "Host": host, "Content-Type": "application/octet-stream"}
    if content_length is None:
        headers["Transfer-Encoding"] = "chunked"
    else:
        headers["Content-Length"] = str(content_length)
    head = f"PUT {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    sent = 0
    try:
        sock.sendall((head + "\r\n").encode())
        for chunk in chunks:
            frame = chunk if content_length is not None else (
                f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            sock.sendall(frame)
            sent += len(chunk)
            if on_chunk is not None:
                on_chunk(sent)
        if abort:
            sock.close()
            return None, None
        if content_length is None and end_body:
            sock.sendall(b"0\r\n\r\n")
    except OSError:
        pass  # the server stopped reading (e.g. it already answered 413)
    return _read_response(sock)


def _read_response(sock: socket.socket) -> tuple[int | None, dict[str, Any] | None]:
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            piece = sock.recv(65536)
            if not piece:
                break
            data += piece
        if b"\r\n\r\n" not in data:
            return None, None
        head, _, body = data.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        while len(body) < length:
            piece = sock.recv(65536)
            if not piece:
                break
            body += piece
        return status, json.loads(body) if body else None
    except OSError:
        return None, None
    finally:
        sock.close()


def pattern_chunks(total: int, chunk: int = MIB, seed: bytes = b"glare") -> Iterable[bytes]:
    """``total`` bytes of a repeating pattern (cheap to produce, easy to verify)."""
    block = (seed * (chunk // len(seed) + 1))[:chunk]
    full, rest = divmod(total, chunk)
    for _ in range(full):
        yield block
    if rest:
        yield block[:rest]


def wait_for(predicate: Callable[[], bool], timeout: float = 20, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class Api:
    """A few typed calls against a running server, as project p1."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.session = requests.Session()
        self.session.headers.update(MEMBER)

    def create(self, type_path: str = SAMPLE, **values: Any) -> dict[str, Any]:
        response = self.session.post(f"{self.url}{type_path}", json=values, timeout=30)
        assert response.status_code == 201, response.text
        return response.json()

    def show(self, artifact_id: str, type_path: str = SAMPLE) -> dict[str, Any]:
        response = self.session.get(f"{self.url}{type_path}/{artifact_id}", timeout=30)
        assert response.status_code == 200, response.text
        return response.json()

    def revision(self, artifact_id: str, type_path: str = SAMPLE) -> int:
        """The artifact's revision, from its ETag (it moves on with every change)."""
        response = self.session.get(f"{self.url}{type_path}/{artifact_id}", timeout=30)
        assert response.status_code == 200, response.text
        return int(response.headers["ETag"].strip('"').rsplit("-", 1)[1])

    def wait_rolled_back(self, artifact_id: str, start_revision: int) -> None:
        """Wait until a failed upload was marked saving and then restored (two revisions)."""
        wait_for(lambda: self.revision(artifact_id) >= start_revision + 2
                 and self.show(artifact_id)["blob"]["status"] == "active",
                 what="the failed upload to be rolled back")

    def upload(self, artifact_id: str, field: str, data: bytes,
               type_path: str = SAMPLE) -> requests.Response:
        return self.session.put(f"{self.url}{type_path}/{artifact_id}/{field}", data=data,
                                headers={"Content-Type": "application/octet-stream"},
                                timeout=60)

    def download(self, artifact_id: str, field: str, type_path: str = SAMPLE) -> bytes:
        response = self.session.get(f"{self.url}{type_path}/{artifact_id}/{field}", timeout=60)
        assert response.status_code == 200, response.text
        return response.content

    def delete(self, artifact_id: str, type_path: str = SAMPLE) -> None:
        response = self.session.delete(f"{self.url}{type_path}/{artifact_id}", timeout=30)
        assert response.status_code == 204, response.text


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []
