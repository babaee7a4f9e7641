#!/usr/bin/env python3
"""Write throughput: creates and updates per second through a real ``glare-api``.

Starts ``glare-api`` (gunicorn, Glare's worker) on SQLite in a temporary data folder, or on
PostgreSQL (a throw-away server started with tools/pg-dev, or ``--database-url``), then
measures, for each ``--preload`` size (artifacts bulk-loaded first into the benchmark's
project):

* ``create``: ``POST /artifacts/sample_artifact`` with a small JSON body;
* ``update``: ``PATCH`` (JSON-patch replacing one field), each client on its own artifact;
* ``reference``: ``GET /versions`` on the same server, the cost of a request that does
  nothing: HTTP parsing, routing, a JSON answer;

with ``--clients`` keep-alive connections at once (1 is the sequential client), in
alternating rounds. It prints requests/s, p50/p95/p99 latency and the server's CPU time
per request (its worker processes' user + system time over the round, divided by the
requests: steadier than rates on a shared machine).

    .venv/bin/python benchmarks/write_rate.py                            # SQLite
    .venv/bin/python benchmarks/write_rate.py --database postgresql       # tools/pg-dev
    .venv/bin/python benchmarks/write_rate.py --preload 10000,1000000 --database postgresql
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
GLARE_API = Path(sys.executable).with_name("glare-api")
PG_TOOLS = REPO / "tools" / "pg-dev"
TYPE_PATH = "/artifacts/sample_artifact"
PROJECT = "bench"
IDENTITY = (f"X-Identity-Status: Confirmed\r\nX-Project-Id: {PROJECT}\r\nX-User-Id: bench\r\n"
            "X-Roles: member\r\n")
LOAD_BATCH = 5000
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# ---- a lean HTTP/1.1 keep-alive client (its CPU is taken from the server's 2 cores) ------

class Connection:
    def __init__(self, port: int) -> None:
        self.port = port
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def request(self, method: str, path: str, body: bytes | None = None,
                content_type: str = "application/json") -> tuple[int, bytes]:
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n{IDENTITY}"
        if body is not None:
            head += f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
        self.sock.sendall(head.encode() + b"\r\n" + (body or b""))
        while b"\r\n\r\n" not in self.buffer:
            self._receive()
        head_bytes, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        lines = head_bytes.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        length = next((int(line.split(":", 1)[1]) for line in lines[1:]
                       if line.lower().startswith("content-length:")), 0)
        while len(self.buffer) < length:
            self._receive()
        answer, self.buffer = self.buffer[:length], self.buffer[length:]
        if any(line.lower() == "connection: close" for line in lines[1:]):
            self.sock.close()
            self.__init__(self.port)  # type: ignore[misc]
        return status, answer

    def _receive(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("the server closed the connection")
        self.buffer += data

    def close(self) -> None:
        self.sock.close()


def create_body(tag: str) -> bytes:
    return json.dumps({"name": f"w-{tag}", "version": "1.0", "string_mutable": "first",
                       "int1": 7, "tags": ["bench"]}).encode()


# ---- the server -------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class CpuMeter:
    """CPU seconds used so far by the server (master and workers) and, when the script
    started PostgreSQL, by the database (its postmaster and every backend)."""

    def __init__(self, server_pids: list[int], database_master: int | None) -> None:
        self.server_pids = server_pids
        self.database_master = database_master

    def read(self) -> tuple[float, float | None]:
        if self.database_master is None:
            return cpu_seconds(self.server_pids), None
        # Backends come and go (connections beyond a pool's size are closed): the
        # postmaster's own count includes the time of the children it has reaped.
        backends = server_workers(self.database_master)
        return (cpu_seconds(self.server_pids),
                cpu_seconds([self.database_master], reaped=True) + cpu_seconds(backends))


def cpu_seconds(pids: list[int], *, reaped: bool = False) -> float:
    """User + system CPU of ``pids`` (``reaped``: with their ended children's)."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
            if reaped:
                total += int(fields[13]) + int(fields[14])  # cutime, cstime
    return total / CLOCK_TICKS


@contextlib.contextmanager
def glare_server(workdir: Path, database_url: str | None, workers: int,
                 threads: int | None) -> Iterator[tuple[int, list[int]]]:
    """A running glare-api: its port and the pids of the master and its workers."""
    port = free_port()
    env = {**os.environ, "GLARE_DATA_DIR": str(workdir / "data")}
    if database_url:
        env["GLARE_DATABASE_URL"] = database_url
    log = (workdir / "glare-api.log").open("wb")
    process = subprocess.Popen(
        [str(GLARE_API), "--port", str(port), "--workers", str(workers),
         *(["--threads", str(threads)] if threads else [])],
        stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"glare-api did not start:\n"
                                 f"{(workdir / 'glare-api.log').read_text()[-3000:]}")
            with contextlib.suppress(OSError):
                connection = Connection(port)
                status, _ = connection.request("GET", "/healthcheck")
                connection.close()
                children = server_workers(process.pid)
                if status == 200 and len(children) == workers:
                    break
            time.sleep(0.2)
        # For profilers (py-spy ...) attached to the server during a run.
        (workdir / "server.pids").write_text(" ".join(map(str, [process.pid, *children])))
        yield port, [process.pid, *children]
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def server_workers(master: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == master:
                found.append(int(stat.parent.name))
    return found


@contextlib.contextmanager
def postgres(workdir: Path) -> Iterator[str]:
    """A throw-away PostgreSQL (tools/pg-dev: fsync and synchronous_commit are off)."""
    data = workdir / "pg"
    started = subprocess.run([str(PG_TOOLS / "start-postgres"), str(data)],
                             capture_output=True, text=True)
    if started.returncode != 0:
        raise SystemExit(f"cannot start PostgreSQL: {started.stderr[-2000:]}")
    try:
        yield started.stdout.strip().rsplit("=", 1)[1]
    finally:
        subprocess.run([str(PG_TOOLS / "stop-postgres"), str(data)], capture_output=True)


# ---- bulk load --------------------------------------------------------------------------

class Loader:
    """Adds artifacts straight through ``SqlDataAPI.create_many``, copies (new id and name)
    of a template artifact created through the API and read back from the data API."""

    def __init__(self, workdir: Path, database_url: str | None, port: int) -> None:
        from glare_core.app import create_app

        settings: dict[str, Any] = {"GLARE_DATA_DIR": str(workdir / "data"),
                                    "GLARE_LOG_LEVEL": "WARNING"}
        if database_url:
            settings["GLARE_DATABASE_URL"] = database_url
        self.app = create_app(settings, autoload=True)
        self.state = self.app.extensions["glare"]
        self.data_api = self.state.engine.context.data_apis["sample_artifact"]
        connection = Connection(port)
        status, answer = connection.request("POST", TYPE_PATH, create_body("template"))
        connection.close()
        if status != 201:
            raise SystemExit(f"creating the template answered {status}: {answer[:300]!r}")
        self.template = self.data_api.get(json.loads(answer)["id"])
        self.loaded = 1

    def grow_to(self, total: int) -> None:
        while self.loaded < total:
            batch = []
            for _ in range(min(LOAD_BATCH, total - self.loaded)):
                artifact_id = str(uuid.uuid4())
                batch.append({**self.template, "id": artifact_id, "name": f"p-{artifact_id}"})
            self.data_api.create_many("sample_artifact", batch)
            self.loaded += len(batch)
        with self.state.database.engine.connect() as conn:  # what autovacuum would do
            conn.exec_driver_sql("ANALYZE")
            conn.commit()

    def close(self) -> None:
        self.state.database.dispose()


# ---- measuring --------------------------------------------------------------------------

def run_round(port: int, meter: CpuMeter, clients: int, requests: int,
              make: Callable[[Connection, int], Callable[[int], tuple[int, int]]]) -> dict:
    """``clients`` threads, each with its own connection, make ``requests`` in all.
    ``make(connection, client)`` prepares a client and returns its request function
    (request number → (status, the status expected))."""
    per_client = max(1, requests // clients)
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors: list[str] = []
    ready = threading.Barrier(clients + 1)
    done = threading.Barrier(clients + 1)

    def client(n: int) -> None:
        connection = Connection(port)
        send = make(connection, n)
        ready.wait()
        try:
            for i in range(per_client):
                began = time.perf_counter()
                status, expected = send(i)
                latencies[n].append(time.perf_counter() - began)
                if status != expected:
                    errors.append(f"{status} (expected {expected})")
        finally:
            done.wait()
            connection.close()

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    ready.wait()
    (server_before, database_before), began = meter.read(), time.perf_counter()
    done.wait()
    wall = time.perf_counter() - began
    server_after, database_after = meter.read()
    cpu = server_after - server_before
    for thread in threads:
        thread.join()
    ordered = sorted(t for own in latencies for t in own)
    count = len(ordered)

    def pct(p: float) -> float:
        return ordered[min(count - 1, int(p * count))] * 1000 if ordered else float("nan")

    return {"count": count, "rate": count / wall, "p50": pct(0.50), "p95": pct(0.95),
            "p99": pct(0.99), "cpu_ms": cpu * 1000 / max(count, 1), "errors": errors,
            "db_cpu_ms": None if database_before is None or database_after is None
            else (database_after - database_before) * 1000 / max(count, 1)}


def creates(tag: str) -> Callable[[Connection, int], Callable[[int], tuple[int, int]]]:
    def make(connection: Connection, client: int) -> Callable[[int], tuple[int, int]]:
        return lambda i: (connection.request("POST", TYPE_PATH,
                                             create_body(f"{tag}-{client}-{i}"))[0], 201)
    return make


def updates(tag: str) -> Callable[[Connection, int], Callable[[int], tuple[int, int]]]:
    def make(connection: Connection, client: int) -> Callable[[int], tuple[int, int]]:
        status, answer = connection.request("POST", TYPE_PATH, create_body(f"{tag}-u{client}"))
        if status != 201:
            raise SystemExit(f"creating an artifact to update answered {status}: {answer!r}")
        path = f"{TYPE_PATH}/{json.loads(answer)['id']}"

        def patch(i: int) -> tuple[int, int]:
            body = json.dumps([{"op": "replace", "path": "/string_mutable", "value": f"v{i}"}])
            return connection.request("PATCH", path, body.encode(),
                                      "application/json-patch+json")[0], 200
        return patch
    return make


def reference(connection: Connection, client: int) -> Callable[[int], tuple[int, int]]:
    return lambda i: (connection.request("GET", "/versions")[0], 300)


def measure(port: int, meter: CpuMeter, args: argparse.Namespace, preload: int) -> list[dict]:
    """Every operation at every client count, ``--rounds`` alternating rounds; the median
    round of each (by rate) is kept."""
    results: dict[tuple[str, int], list[dict]] = {}
    for round_number in range(args.rounds):
        for clients in args.clients:
            tag = f"{preload}-{round_number}-{clients}-{uuid.uuid4().hex[:8]}"
            for what, make in (("create", creates(tag)), ("update", updates(tag)),
                               ("reference", reference)):
                if what not in args.operations:
                    continue
                result = run_round(port, meter, clients, args.requests, make)
                results.setdefault((what, clients), []).append(result)
    rows = []
    for (what, clients), rounds in results.items():
        median = sorted(rounds, key=lambda r: r["rate"])[len(rounds) // 2]
        errors = [e for r in rounds for e in r["errors"]]
        rows.append({"what": what, "clients": clients, "preload": preload, **median,
                     "errors": errors})
    return rows


def print_rows(rows: list[dict]) -> None:
    print(f"{'operation':<10} {'clients':>7} {'req/s':>8} {'p50 ms':>7} {'p95 ms':>7} "
          f"{'p99 ms':>7} {'CPU ms/req':>10} {'DB CPU ms':>9} {'errors':>6}")
    for row in sorted(rows, key=lambda r: (r["clients"], r["what"] == "reference")):
        database = "-" if row["db_cpu_ms"] is None else f"{row['db_cpu_ms']:.2f}"
        print(f"{row['what']:<10} {row['clients']:>7} {row['rate']:>8.0f} {row['p50']:>7.1f} "
              f"{row['p95']:>7.1f} {row['p99']:>7.1f} {row['cpu_ms']:>10.2f} {database:>9} "
              f"{len(row['errors']):>6}")
    by_key = {(r["what"], r["clients"]): r for r in rows}
    for clients in sorted({r["clients"] for r in rows}):
        ref, create = by_key.get(("reference", clients)), by_key.get(("create", clients))
        if ref is None or create is None:
            continue
        # (CPU time is counted in clock ticks: a tiny run may see none)
        cost = (f"{create['cpu_ms'] / ref['cpu_ms']:.1f}x" if ref["cpu_ms"] else "(too short)")
        print(f"  {clients} clients: a create costs {cost} the reference's server CPU, runs "
              f"at {create['rate'] / ref['rate']:.0%} of its rate")


def print_side_by_side(all_rows: list[dict], preloads: list[int]) -> None:
    first = preloads[0]
    print(f"\nside by side (req/s; last column: the largest preload / {first:,}):")
    print(f"{'operation':<10} {'clients':>7} " + " ".join(f"{p:>10,}" for p in preloads)
          + f" {'ratio':>6}")
    keyed = {(r["what"], r["clients"], r["preload"]): r for r in all_rows}
    for what in ("create", "update", "reference"):
        for clients in sorted({r["clients"] for r in all_rows}):
            if (what, clients, first) not in keyed:
                continue
            rates = [keyed[(what, clients, p)]["rate"] for p in preloads]
            print(f"{what:<10} {clients:>7} " + " ".join(f"{r:>10.0f}" for r in rates)
                  + f" {rates[-1] / rates[0]:>6.0%}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--database-url", help="an empty PostgreSQL database to use instead "
                        "of starting one (implies --database postgresql)")
    parser.add_argument("--workers", type=int, default=2,
                        help="glare-api worker processes (default 2, for 2 cores)")
    parser.add_argument("--threads", type=int, help="threads per worker (default: glare-api's)")
    parser.add_argument("--preload", default="0",
                        help="comma-separated artifact counts to load first, ascending "
                             "(e.g. 10000,1000000); each is measured in turn")
    parser.add_argument("--clients", default="1,4,8,16",
                        help="comma-separated numbers of concurrent clients")
    parser.add_argument("--requests", type=int, default=1000,
                        help="requests per operation, client count and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--operations", default="create,update,reference",
                        help="comma-separated: which of create, update, reference to run")
    parser.add_argument("--workdir", help="where the data folder goes (default: a temp dir)")
    args = parser.parse_args()
    args.clients = [int(c) for c in args.clients.split(",")]
    args.operations = set(args.operations.split(","))
    preloads = sorted(int(p) for p in args.preload.split(","))
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="glare-writes-"))
    workdir.mkdir(parents=True, exist_ok=True)
    workdir.chmod(0o755)  # PostgreSQL runs as its own user when we are root
    failures = 0
    try:
        with contextlib.ExitStack() as stack:
            url, database_master = args.database_url, None
            if url is None and args.database == "postgresql":
                url = stack.enter_context(postgres(workdir))
                database_master = int((workdir / "pg" / "cluster" / "postmaster.pid")
                                      .read_text().split()[0])
            port, pids = stack.enter_context(
                glare_server(workdir, url, args.workers, args.threads))
            meter = CpuMeter(pids, database_master)
            database = "PostgreSQL" if url else "SQLite"
            print(f"{database}, glare-api --workers {args.workers}"
                  f"{f' --threads {args.threads}' if args.threads else ''}, "
                  f"{args.requests} requests per round, {args.rounds} rounds (median kept); "
                  f"reference: GET /versions")
            loader = Loader(workdir, url, port)
            stack.callback(loader.close)
            all_rows: list[dict] = []
            for preload in preloads:
                began = time.perf_counter()
                loader.grow_to(preload)
                print(f"\npreload {preload:,} artifacts (now {loader.loaded:,} in the "
                      f"project; loading took {time.perf_counter() - began:.1f} s)")
                rows = measure(port, meter, args, preload)
                print_rows(rows)
                all_rows.extend(rows)
                failures += sum(len(row["errors"]) for row in rows)
            if len(preloads) > 1:
                print_side_by_side(all_rows, preloads)
            if failures:
                print(f"\n{failures} requests got an unexpected status", file=sys.stderr)
    finally:
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
