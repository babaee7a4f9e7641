#!/usr/bin/env python3
"""Slow clients: a normal client's latency while many connections trickle or sit idle.

For each server (``gthread``: gunicorn's stock threaded worker serving the same app, i.e.
what Glare's worker is built on; ``glare``: ``glare-api`` as shipped) and each attack, it
opens ``--connections`` connections that

- ``idle``: connect and send nothing;
- ``headers``: send a request line, then one byte of a header every ``--interval`` s;
- ``body``: send a complete upload head (``Content-Length`` 10 MiB, one artifact each),
  then one byte of the body every ``--interval`` s;
- ``upload``: the same with ``Expect: 100-continue`` (not waiting for the 100);
- ``json``: the same with a JSON body (``POST`` of 1,000 bytes announced);
- ``download``: ask for an 8 MiB blob, then read one byte of it every ``--interval`` s
  (with a small receive buffer, so the server's sends wait on it);

keeps that many open for ``--duration`` s (a connection the server closes is replaced at
the next tick), and meanwhile a normal client sends, one after the other on new
connections, ``GET /healthcheck``, a listing, a create and a 256 KiB upload. It prints
the normal client's latency (p50, p99, max, and how many requests failed or took more
than 1 s), the attack connections the server cut, and how, side by side for both
servers. ``none`` is the same normal client without an attack: the reference of the run.

    .venv/bin/python benchmarks/slow_clients.py                        # 200 connections
    .venv/bin/python benchmarks/slow_clients.py --connections 50 --duration 20 \\
        --attacks headers,body --servers glare
    .venv/bin/python benchmarks/slow_clients.py --url http://127.0.0.1:9494  # a server

Every attacking byte goes to 127.0.0.1 (or ``--url``, which must be a server of yours).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import selectors
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import requests

BIN = Path(sys.executable).parent
HEADERS = {"X-Identity-Status": "Confirmed", "X-Project-Id": "bench", "X-User-Id": "bench",
           "X-Roles": "member"}
SAMPLE = "/artifacts/sample_artifact"
ATTACKS = ("none", "idle", "headers", "body", "upload", "json", "download")
#: The blob every ``download`` attacker asks for: more than socket buffers hold.
DOWNLOAD_SIZE = 8 << 20
#: How long the normal client waits for one answer before counting it as failed.
PROBE_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A server on a fresh data folder: ``glare-api`` or gunicorn's stock gthread worker.

    ``spec`` is ``glare``, ``gthread``, or either with settings of its own for the same run
    (``glare:GLARE_STREAM_THREADS=8``)."""

    def __init__(self, spec: str, work: Path, workers: int, threads: int,
                 env: dict[str, str]) -> None:
        kind, _, own = spec.partition(":")
        env = {**env, **dict(item.split("=", 1) for item in own.split(",") if item)}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        data = work / f"data-{self.port}"
        shutil.rmtree(data, ignore_errors=True)
        self.log = (work / f"server-{self.port}.log").open("wb")
        if kind == "glare":
            command = [str(BIN / "glare-api"), "--port", str(self.port), "--data-dir", str(data),
                       "--workers", str(workers), "--threads", str(threads)]
        else:
            command = [str(BIN / "gunicorn"), "-k", "gthread", "-w", str(workers),
                       "--threads", str(threads), "-b", f"127.0.0.1:{self.port}",
                       "--no-control-socket", "glare_core.wsgi:app"]
        self.process = subprocess.Popen(
            command, stdout=self.log, stderr=subprocess.STDOUT,
            env={**os.environ, "GLARE_DATA_DIR": str(data), **env})
        wait_healthy(self.url, 60)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def wait_healthy(url: str, timeout: float) -> None:
    """Wait until ``url`` answers its healthcheck within a second."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"{url}/healthcheck", timeout=1).ok:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer its healthcheck within {timeout} s")


def create_artifacts(url: str, count: int) -> list[str]:
    session = requests.Session()
    ids = []
    for _ in range(count):
        response = session.post(f"{url}{SAMPLE}", headers=HEADERS, timeout=60,
                                json={"name": f"slow-{os.urandom(6).hex()}"})
        response.raise_for_status()
        ids.append(response.json()["id"])
    session.close()
    return ids


def create_download(url: str) -> str:
    """An artifact with a ``DOWNLOAD_SIZE`` blob, for the download attack."""
    (artifact,) = create_artifacts(url, 1)
    response = requests.put(f"{url}{SAMPLE}/{artifact}/blob", data=os.urandom(DOWNLOAD_SIZE),
                            headers={**HEADERS, "Content-Type": "application/octet-stream"},
                            timeout=120)
    response.raise_for_status()
    return artifact


def attack_script(kind: str, host: str, artifact: str | None) -> tuple[bytes, bytes]:
    """What an attacking connection sends at once, and the bytes it then trickles."""
    identity = "".join(f"{name}: {value}\r\n" for name, value in HEADERS.items())
    if kind == "download":
        return (f"GET {SAMPLE}/{artifact}/blob HTTP/1.1\r\nHost: {host}\r\n{identity}"
                "\r\n").encode(), b""
    if kind == "headers":
        return f"GET /healthcheck HTTP/1.1\r\nHost: {host}\r\nX-Slow: ".encode(), b"a"
    if kind in ("body", "upload"):
        expect = "Expect: 100-continue\r\n" if kind == "upload" else ""
        return (f"PUT {SAMPLE}/{artifact}/blob HTTP/1.1\r\nHost: {host}\r\n{identity}"
                f"Content-Type: application/octet-stream\r\nContent-Length: {10 << 20}\r\n"
                f"{expect}\r\n").encode(), b"x"
    if kind == "json":
        return (f"POST {SAMPLE} HTTP/1.1\r\nHost: {host}\r\n{identity}"
                f"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n").encode(), b" "
    return b"", b""


@dataclass
class AttackStats:
    opened: int = 0
    closed_silently: int = 0
    answered: dict[str, int] = field(default_factory=dict)


class Attack(threading.Thread):
    """``count`` attacking connections kept open, each sending one byte per ``interval``."""

    def __init__(self, kind: str, url: str, count: int, interval: float,
                 artifacts: list[str]) -> None:
        super().__init__(name=f"attack-{kind}", daemon=True)
        parts = urlsplit(url)
        self.address = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.kind, self.count, self.interval = kind, count, interval
        self.scripts = [attack_script(kind, parts.netloc, artifacts[i] if artifacts else None)
                        for i in range(count)]
        self.stats = AttackStats()
        self.stopping = threading.Event()
        self.selector = selectors.DefaultSelector()
        self.sockets: list[socket.socket | None] = [None] * count

    def open(self, index: int) -> None:
        try:
            sock = socket.socket()
            if self.kind == "download":  # a small window: the server's sends wait on us
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.settimeout(5)
            sock.connect(self.address)
            sock.setblocking(False)
            sock.send(self.scripts[index][0])
        except OSError:
            sock.close()
            return  # tried again at the next tick
        self.stats.opened += 1
        self.sockets[index] = sock
        if self.kind != "download":  # a reader takes its byte at each tick instead
            self.selector.register(sock, selectors.EVENT_READ, index)

    def read_a_byte(self, index: int) -> None:
        """The download attacker's tick: one byte of its answer, if any."""
        sock = self.sockets[index]
        try:
            if sock is not None and sock.recv(1) == b"":
                self.drop(index, b"")
        except BlockingIOError:
            pass
        except OSError:
            self.drop(index, b"")

    def drop(self, index: int, answer: bytes) -> None:
        sock = self.sockets[index]
        if sock is None:
            return
        if self.kind != "download":
            self.selector.unregister(sock)
        sock.close()
        self.sockets[index] = None
        if answer:
            status = answer.split(b" ", 2)[1].decode(errors="replace") if b" " in answer else "?"
            self.stats.answered[status] = self.stats.answered.get(status, 0) + 1
        else:
            self.stats.closed_silently += 1

    def run(self) -> None:
        next_tick = time.monotonic()
        while not self.stopping.is_set():
            now = time.monotonic()
            if now >= next_tick:
                next_tick = now + self.interval
                for index in range(self.count):
                    if self.stopping.is_set():
                        break
                    sock = self.sockets[index]
                    if sock is None:
                        self.open(index)
                    elif self.kind == "download":
                        self.read_a_byte(index)
                    elif self.scripts[index][1]:
                        try:
                            sock.send(self.scripts[index][1])
                        except OSError:
                            self.drop(index, b"")
            if self.kind == "download":
                time.sleep(max(0.0, min(0.2, next_tick - now)))
                continue
            for key, _ in self.selector.select(timeout=max(0.0, min(0.2, next_tick - now))):
                index = key.data
                try:
                    answer = key.fileobj.recv(65536)
                except OSError:
                    answer = b""
                if answer.startswith(b"HTTP/1.1 100 "):  # the go-ahead for the body
                    answer = answer.partition(b"\r\n\r\n")[2]
                    if not answer:
                        continue
                self.drop(index, answer)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=30)
        for sock in self.sockets:
            if sock is not None:
                sock.close()
        self.selector.close()


#: What the normal client uploads in its turn (an upload like any other, not a trickle).
PROBE_UPLOAD = os.urandom(256 * 1024)


def probe(url: str, until: float, target: str) -> tuple[list[float], int]:
    """The normal client: healthcheck, listing, create and a 256 KiB upload in turn, each
    on a new connection, until ``until``; returns the latencies (s) and the number of
    failures. ``target``: the artifact whose blob it uploads."""
    latencies, failures, turn = [], 0, 0
    while time.monotonic() < until:
        started = time.monotonic()
        try:
            if turn % 4 == 0:
                response = requests.get(f"{url}/healthcheck", timeout=PROBE_TIMEOUT)
            elif turn % 4 == 1:
                response = requests.get(f"{url}{SAMPLE}?limit=5", headers=HEADERS,
                                        timeout=PROBE_TIMEOUT)
            elif turn % 4 == 2:
                response = requests.post(f"{url}{SAMPLE}", headers=HEADERS,
                                         timeout=PROBE_TIMEOUT,
                                         json={"name": f"probe-{os.urandom(6).hex()}"})
            else:
                response = requests.put(
                    f"{url}{SAMPLE}/{target}/blob", data=PROBE_UPLOAD, timeout=PROBE_TIMEOUT,
                    headers={**HEADERS, "Content-Type": "application/octet-stream"})
            ok = response.status_code in (200, 201)
        except requests.RequestException:
            ok = False
        latencies.append(time.monotonic() - started)
        failures += not ok
        turn += 1
        time.sleep(0.1)
    return latencies, failures


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run_attack(url: str, kind: str, connections: int, duration: float,
               interval: float) -> dict:
    artifacts = create_artifacts(url, connections) if kind in ("body", "upload") else []
    if kind == "download":
        artifacts = [create_download(url)] * connections
    (target,) = create_artifacts(url, 1)  # before the attack: the stock worker may not answer
    attack = None
    if kind != "none":
        attack = Attack(kind, url, connections, interval, artifacts)
        attack.start()
        time.sleep(min(2.0, interval))  # every connection open before the probe starts
    try:
        latencies, failures = probe(url, time.monotonic() + duration, target)
    finally:
        if attack is not None:
            attack.stop()
    wait_healthy(url, 120)  # the next attack starts on a server at rest
    return {
        "attack": kind, "requests": len(latencies), "failures": failures,
        "p50": statistics.median(latencies), "p99": percentile(latencies, 0.99),
        "max": max(latencies), "over_1s": sum(1 for t in latencies if t > 1.0),
        "stats": attack.stats if attack is not None else None,
    }


def cut_summary(stats: AttackStats | None) -> str:
    if stats is None:
        return "-"
    answered = ", ".join(f"{count}x{status}" for status, count in sorted(stats.answered.items()))
    return (f"{stats.opened} opened; closed silently {stats.closed_silently}"
            + (f"; answered {answered}" if answered else ""))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=200, help="attacking connections")
    parser.add_argument("--duration", type=float, default=60.0,
                        help="seconds each attack lasts (the normal client probes meanwhile)")
    parser.add_argument("--interval", type=float, default=5.0,
                        help="seconds between two bytes of a trickling connection")
    parser.add_argument("--attacks", default=",".join(ATTACKS), help="comma-separated")
    parser.add_argument("--servers", default="gthread,glare",
                        help="comma-separated: gthread (gunicorn's stock worker), glare; "
                             "either may take settings of its own after a colon, joined "
                             "by '+' (glare:GLARE_STREAM_THREADS=8)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--url", help="attack this running server instead of starting any")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="extra environment for the servers started (repeatable)")
    args = parser.parse_args()
    attacks = [a.strip() for a in args.attacks.split(",") if a.strip()]
    unknown = set(attacks) - set(ATTACKS)
    if unknown:
        parser.error(f"unknown attacks: {', '.join(sorted(unknown))}")
    env = dict(item.split("=", 1) for item in args.env)
    servers = ["url"] if args.url else [s.strip().replace("+", ",")
                                         for s in args.servers.split(",") if s.strip()]
    results: dict[str, list[dict]] = {}
    work = Path(tempfile.mkdtemp(prefix="glare-slow-"))
    try:
        for kind in servers:
            server = None if args.url else Server(kind, work, args.workers, args.threads, env)
            url = args.url or server.url
            try:
                results[kind] = [run_attack(url, attack, args.connections, args.duration,
                                            args.interval) for attack in attacks]
            finally:
                if server is not None:
                    server.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\nA normal client's latency while {args.connections} connections attack "
          f"({args.duration:.0f} s each, one byte per {args.interval:g} s; "
          f"{args.workers} workers x {args.threads} threads; {os.cpu_count()} CPUs)")
    width = max(8, *(len(kind) for kind in results))
    print(f"{'server':<{width}} {'attack':<8} {'requests':>8} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'max ms':>8} {'>1 s':>5} {'failed':>6}  attacking connections")
    for kind, rows in results.items():
        for row in rows:
            print(f"{kind:<{width}} {row['attack']:<8} {row['requests']:>8}"
                  f" {row['p50'] * 1000:>8.0f} {row['p99'] * 1000:>8.0f}"
                  f" {row['max'] * 1000:>8.0f} {row['over_1s']:>5}"
                  f" {row['failures']:>6}  {cut_summary(row['stats'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
