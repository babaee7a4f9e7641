"""Fixtures that run real ``glare-api`` server processes on free ports."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

GLARE_API = Path(sys.executable).with_name("glare-api")
MEMBER = {"X-Identity-Status": "Confirmed", "X-Project-Id": "p1", "X-User-Id": "u1",
          "X-Roles": "member"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def raw_get(url: str, path: str, headers: str) -> tuple[int, dict]:
    """GET ``path`` from the server at ``url`` with ``headers`` written as they are (raw
    header lines, so a header may be repeated); the status and the JSON body."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{headers}"
                     "Connection: close\r\n\r\n".encode())
        stream = sock.makefile("rb")
        status = int(stream.readline().split()[1])
        length = None
        while (line := stream.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        body = stream.read(length) if length is not None else stream.read()
    return status, json.loads(body)


def _parent_pid(stat_file: Path) -> int | None:
    try:
        return int(stat_file.read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None  # the process ended meanwhile


class ServerProcess:
    def __init__(self, data_dir: Path, *, workers: int = 1, threads: int | None = None,
                 env: dict | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = data_dir
        self.env = dict(env or {})
        self.log_path = data_dir.parent / f"glare-api-{self.port}.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [str(GLARE_API), "--port", str(self.port), "--data-dir", str(data_dir),
             "--workers", str(workers),
             *(["--threads", str(threads)] if threads is not None else [])],
            stdout=self._log, stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"glare-api exited: {self.log_path.read_text()[-2000:]}")
            try:
                if requests.get(f"{self.url}/healthcheck", timeout=5).status_code == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):
                # not listening yet, or a loaded machine answering slowly: ask again
                pass
            time.sleep(0.1)
        raise RuntimeError(f"glare-api did not answer: {self.log_path.read_text()[-2000:]}")

    def kill(self) -> None:
        """SIGKILL the master, then its workers: a crash, with no chance to clean up."""
        workers = [
            int(stat.parent.name) for stat in Path("/proc").glob("[0-9]*/stat")
            if _parent_pid(stat) == self.process.pid
        ]
        self.process.kill()
        self.process.wait()
        for pid in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    """Start ``glare-api`` processes (stopped at the end of the test)."""
    servers: list[ServerProcess] = []

    def start(data_dir: Path | None = None, **kwargs) -> ServerProcess:
        server = ServerProcess(data_dir or tmp_path / "data", **kwargs)
        servers.append(server)
        server.wait_ready()
        return server

    yield start
    for server in servers:
        server.stop()


# Fixtures of a deployment of two instances on one PostgreSQL and one Swift (defined there,
# with the helpers their tests use).
from tests.system.instances import deploy  # noqa: E402, F401
