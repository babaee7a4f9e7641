#!/usr/bin/env python3
"""Blob throughput: the same data through the Glare API and straight to the store, side by side.

For each store (``file``, ``swift``) it uploads and downloads one blob (1 GiB by default)
through a real ``glare-api`` server, and moves the same bytes with the store's own raw
path in the same run: a buffered file copy with fsync (file store), python-swiftclient
``put_object``/``get_object`` (Swift). It prints MiB/s per path, the API/raw ratio and the
peak resident memory of the server's worker. Uploads have a second reference, the raw
path while computing the checksums an upload owes (``raw+digests``): the contract's
MD5, SHA-1 and SHA-256 cost more CPU than the raw copy itself. File downloads have one
too, the raw file sent over a loopback socket to the same client without Glare
(``raw+socket``): a raw read hands the bytes to no one. When nginx is installed, it
serves the raw file to the same client as well, in the same rounds: what an established
static file server makes of that download.

Fresh blobs (``--fresh-sizes``, 16 MiB, 256 MiB and 2 GiB by default): users download
what was just uploaded, so each size is uploaded through a file-store server per
``--fresh-write-cache`` setting and downloaded twice at once, the first and a repeated
download; the references in the same rounds write the same bytes to a file on the same
filesystem (buffered, and with O_DIRECT) and read it back twice, with plain reads and sent
over a loopback socket. It also prints how much of the blob the write left in the page
cache.

The client shares the machine's CPUs with the server (and Swift), so the API path is
driven by the leanest client that is still plain HTTP/1.1 over TCP: ``lean`` sends the
file with sendfile(2) and receives into one reused buffer, woken once per MiB. ``--client curl`` and
``--client requests`` measure with those clients instead.

    .venv/bin/python benchmarks/blob_throughput.py                  # both stores, 1 GiB
    .venv/bin/python benchmarks/blob_throughput.py --size 256 --stores file --repeat 3
    .venv/bin/python benchmarks/blob_throughput.py --stores none --fresh-sizes 16,256

Swift is started with tools/swift-dev/start-swift unless ST_AUTH/ST_USER/ST_KEY are set.
Page caches are dropped before every read when the script runs as root (unless
``--no-drop-caches``), so raw and API reads both start cold; fresh blobs are read right
after their write, with whatever cache the write left.
"""

from __future__ import annotations

import argparse
import ctypes
import fcntl
import hashlib
import json
import mmap
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import requests

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MIB = 1024 * 1024
CHUNK = MIB
HEADERS = {"X-Identity-Status": "Confirmed", "X-Project-Id": "bench", "X-User-Id": "bench",
           "X-Roles": "member"}


#: Drop the page cache before each read and write (only possible as root); --no-drop-caches
#: turns it off on a machine shared with other work.
DROP_CACHES = os.geteuid() == 0


def drop_caches() -> None:
    if DROP_CACHES:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n")


def busy_cpu_seconds() -> float:
    """CPU time spent by the whole machine so far (every process, user + kernel)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq = (int(v) for v in fields[:7])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def timed(action: Callable[[], None]) -> tuple[float, float]:
    """Run ``action``; returns its wall time and the machine's CPU time meanwhile."""
    cpu = busy_cpu_seconds()
    start = time.perf_counter()
    action()
    return time.perf_counter() - start, busy_cpu_seconds() - cpu


def digest_cpu_seconds(source: Path) -> float:
    """CPU time of MD5, SHA-1 and SHA-256 over ``source``: the checksums every upload owes."""
    digests = [hashlib.md5(usedforsecurity=False), hashlib.sha1(usedforsecurity=False),
               hashlib.sha256()]
    with source.open("rb") as handle:
        chunks = list(iter(lambda: handle.read(CHUNK), b""))[:256]  # 256 MiB, from memory
    start = time.process_time()
    for digest in digests:
        for chunk in chunks:
            digest.update(chunk)
    hashed = sum(len(c) for c in chunks)
    return (time.process_time() - start) * source.stat().st_size / hashed


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_source(path: Path, size: int) -> None:
    block = os.urandom(CHUNK)
    with path.open("wb") as handle:
        for _ in range(size // CHUNK):
            handle.write(block)
        handle.write(block[: size % CHUNK])


# ---- raw store paths ----------------------------------------------------------------------


#: The digests Glare computes itself while storing an upload: all three on the file
#: store; on Swift the MD5 of a plain object is the ETag Swift returns.
GLARE_DIGESTS = {"file": ("md5", "sha1", "sha256"), "swift": ("sha1", "sha256")}


class DigestingReader:
    """A file read in 1 MiB chunks while digests are computed, as an upload must.

    The reference for "the raw path plus the checksums the contract requires": MD5 on
    one helper thread and the others on a second (hashlib releases the GIL), each chunk
    handed over once. It shares no code with Glare, so it measures what that work costs
    on this machine, not how well Glare does it.
    """

    def __init__(self, path: Path, digest_names: tuple[str, ...]) -> None:
        self._handle = path.open("rb")
        digests = [hashlib.new(name) for name in digest_names]
        self._groups = [g for g in ([d for d in digests if d.name == "md5"],
                                    [d for d in digests if d.name != "md5"]) if g]
        self._helpers = [ThreadPoolExecutor(1) for _ in self._groups]
        self._pending: list[Future | None] = [None] * len(self._groups)
        self._chunk = memoryview(b"")

    def read(self, size: int = -1) -> memoryview:
        if not self._chunk:
            chunk = self._handle.read(CHUNK)
            for index, group in enumerate(self._groups):
                if (previous := self._pending[index]) is not None:
                    previous.result()
                self._pending[index] = self._helpers[index].submit(_update_all, group, chunk)
            self._chunk = memoryview(chunk)
        size = len(self._chunk) if size < 0 else size
        out, self._chunk = self._chunk[:size], self._chunk[size:]
        return out

    def __enter__(self) -> DigestingReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for previous in self._pending:
            if previous is not None:
                previous.result()
        for helper in self._helpers:
            helper.shutdown()
        self._handle.close()


def _update_all(digests: list, chunk: bytes) -> None:
    for digest in digests:
        digest.update(chunk)


def raw_file_put(source: Path, target: Path, digests: tuple[str, ...] = ()) -> None:
    src = DigestingReader(source, digests) if digests else source.open("rb")
    with src, target.open("wb") as dst:
        shutil.copyfileobj(src, dst, CHUNK)
        dst.flush()
        os.fsync(dst.fileno())


def raw_file_get(target: Path) -> None:
    with target.open("rb") as handle:
        while handle.read(CHUNK):
            pass


class RawFileServer:
    """The raw file sent over a socket: the reference for what a download owes on top of
    the raw read (``raw+socket``).

    A one-shot HTTP/1.1 responder on loopback: it reads a request's head, answers with a
    bare head and sends the file with sendfile(2), with the same sequential hint Glare's
    file store gives. No routing, no database, no Glare: what is left is the cost of
    moving the bytes from the page cache to the client, received by the same lean client
    as the API path.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}/raw"
        self._pool = ThreadPoolExecutor(1)

    def _serve_one(self) -> None:
        conn, _ = self._listener.accept()
        with conn, self._path.open("rb") as handle:
            received = b""
            while b"\r\n\r\n" not in received:
                received += conn.recv(65536)
            size = os.fstat(handle.fileno()).st_size
            os.posix_fadvise(handle.fileno(), 0, 0, os.POSIX_FADV_SEQUENTIAL)
            conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n"
                         f"Connection: close\r\n\r\n".encode())
            conn.sendfile(handle)

    def get(self) -> None:
        served = self._pool.submit(self._serve_one)
        received = lean_request("GET", self.url)
        served.result()
        if received != self._path.stat().st_size:
            raise RuntimeError(f"raw+socket: received {received} bytes")

    def close(self) -> None:
        self._pool.shutdown()
        self._listener.close()


class NginxServer:
    """nginx serving the raw file: what an established static file server makes of the
    same download (``nginx`` in the output), when an ``nginx`` binary is installed.

    One process (no master, no daemon) with ``sendfile on``, its configuration, logs
    and temporary folders under the work folder, serving the file at ``/raw``.
    """

    def __init__(self, binary: str, path: Path, work: Path) -> None:
        self._path = path
        port = free_port()
        self.url = f"http://127.0.0.1:{port}/raw"
        prefix = work / "nginx"
        prefix.mkdir(exist_ok=True)
        temp = " ".join(f"{name}_temp_path {prefix / name};" for name in
                        ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        conf = prefix / "nginx.conf"
        conf.write_text(
            f"daemon off; master_process off; worker_processes 1;\n"
            f"pid {prefix / 'nginx.pid'}; error_log {prefix / 'error.log'};\n"
            f"events {{ worker_connections 16; }}\n"
            f"http {{ access_log off; sendfile on; tcp_nopush on; {temp}\n"
            f"  server {{ listen 127.0.0.1:{port};\n"
            f"    location = /raw {{ alias {path}; default_type application/octet-stream; }}"
            f" }} }}\n")
        self.version = subprocess.run([binary, "-v"], capture_output=True,
                                      text=True).stderr.strip().split("/")[-1]
        self._process = subprocess.Popen(
            [binary, "-p", str(prefix), "-e", str(prefix / "error.log"), "-c", str(conf)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self._process.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        self.close()
        raise RuntimeError(f"nginx did not start (see {prefix / 'error.log'})")

    def get(self) -> None:
        received = lean_request("GET", self.url)
        if received != self._path.stat().st_size:
            raise RuntimeError(f"nginx: received {received} bytes")

    def close(self) -> None:
        self._process.terminate()
        self._process.wait(timeout=10)


def find_nginx() -> str | None:
    return shutil.which("nginx", path=os.pathsep.join(
        [os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin", "/sbin"]))


def swift_connection(env: dict[str, str]):
    from swiftclient.client import Connection

    return Connection(authurl=env["ST_AUTH"], user=env["ST_USER"], key=env["ST_KEY"],
                      auth_version="1")


def raw_swift_put(conn, source: Path, size: int, digests: tuple[str, ...] = ()) -> None:
    handle = DigestingReader(source, digests) if digests else source.open("rb")
    try:
        conn.put_object("bench_raw", "blob", handle, content_length=size, chunk_size=CHUNK)
    finally:
        handle.close()


def raw_swift_get(conn) -> None:
    _, body = conn.get_object("bench_raw", "blob", resp_chunk_size=CHUNK)
    for _ in body:
        pass


# ---- the API path ---------------------------------------------------------------------------


class Server:
    def __init__(self, data_dir: Path, env: dict[str, str]) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = (data_dir.parent / "server.log").open("wb")
        self.process = subprocess.Popen(
            [str(BIN / "glare-api"), "--port", str(self.port), "--data-dir", str(data_dir),
             "--workers", "1"],
            stdout=self.log, stderr=subprocess.STDOUT, env={**os.environ, **env},
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/healthcheck", timeout=1).ok:
                    return
            except (requests.ConnectionError, requests.Timeout):  # a slow first answer too
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"glare-api did not start (see {self.log.name})")

    def worker_peak_rss_mib(self) -> float:
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        peaks = []
        for child in children:
            for line in Path(f"/proc/{child}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        return max(peaks)

    def worker_cpu_seconds(self) -> float:
        """User + system CPU time of the worker (one: started with --workers 1) so far."""
        pid = self.process.pid
        (child,) = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


def lean_request(method: str, url: str, source: Path | None = None) -> int:
    """One request on a new connection; returns the number of body bytes received.

    The request body (``source``) goes out with sendfile(2), the response body is
    received into one reused 1 MiB buffer, and ``SO_RCVLOWAT`` has the kernel wake the
    client once per MiB received rather than once per loopback segment: the client's own
    CPU cost is two system calls per MiB, which leaves the machine's CPUs to the server.
    """
    parts = urlsplit(url)
    headers = {**HEADERS, "Host": parts.netloc, "Connection": "close"}
    if source is not None:
        headers.update({"Content-Type": "application/octet-stream",
                        "Content-Length": str(source.stat().st_size)})
    head = f"{method} {parts.path} HTTP/1.1\r\n" + "".join(
        f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
    buffer = memoryview(bytearray(CHUNK))
    with socket.create_connection((parts.hostname, parts.port), timeout=600) as sock:
        sock.sendall(head.encode())
        if source is not None:
            with source.open("rb") as handle:
                sock.sendfile(handle)
        received = b""
        while b"\r\n\r\n" not in received:
            count = sock.recv_into(buffer)
            if not count:
                raise RuntimeError("the server closed the connection before answering")
            received += bytes(buffer[:count])
        response_head, _, body_start = received.partition(b"\r\n\r\n")
        lines = response_head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        length = next((int(line.split(":", 1)[1]) for line in lines[1:]
                       if line.lower().startswith("content-length:")), None)
        got = len(body_start)
        wake_at = 0
        while length is None or got < length:
            # Wake only once a whole buffer (or the rest of the body) is queued: over
            # loopback, waking the reader for every 64 KiB segment halves the throughput.
            wanted = CHUNK if length is None else max(1, min(CHUNK, length - got))
            if wanted != wake_at:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVLOWAT, wanted)
                wake_at = wanted
            count = sock.recv_into(buffer)
            if not count:
                break
            got += count
    if status >= 300:
        raise RuntimeError(f"{method} {url} answered {status}")
    return got


def api_put(session: requests.Session, url: str, source: Path, size: int,
            client: str) -> None:
    if client == "lean":
        lean_request("PUT", url, source)
        return
    if client == "curl":
        _curl("-T", str(source), "-H", "Content-Type: application/octet-stream", url)
        return
    with source.open("rb") as handle:
        response = session.put(url, data=handle, timeout=3600, headers={
            "Content-Type": "application/octet-stream", "Content-Length": str(size)})
    response.raise_for_status()


def api_get(session: requests.Session, url: str, size: int, client: str) -> None:
    if client == "lean":
        received = lean_request("GET", url)
    elif client == "curl":
        received = int(_curl(url, write_out="%{size_download}"))
    else:
        received = 0
        with session.get(url, stream=True, timeout=3600) as response:
            response.raise_for_status()
            for chunk in response.iter_content(CHUNK):
                received += len(chunk)
    if received != size:
        raise RuntimeError(f"downloaded {received} of {size} bytes")


def _curl(*args: str, write_out: str = "%{http_code}") -> str:
    headers = [item for key, value in HEADERS.items() for item in ("-H", f"{key}: {value}")]
    result = subprocess.run(
        ["curl", "-sS", "--fail", "-o", "/dev/null", "-w", write_out, *headers, *args],
        capture_output=True, text=True, check=True,
    )
    return result.stdout


# ---- the run --------------------------------------------------------------------------------


def mibps(size: int, runs: list[tuple[float, float]]) -> float:
    return size / MIB / statistics.median(wall for wall, _ in runs)


def cpu_per_gib(size: int, runs: list[tuple[float, float]]) -> float:
    return statistics.median(cpu for _, cpu in runs) * 1024 * MIB / size


def run_store(store: str, size: int, repeat: int, work: Path, site: Path,
              swift_env: dict[str, str] | None, client: str,
              nginx_binary: str | None) -> dict:
    source = work / "source.bin"
    env = {"PYTHONPATH": str(site)}
    if store == "swift":
        assert swift_env is not None
        env["GLARE_DEFAULT_STORE"] = "swift"
        env["GLARE_SWIFT"] = json.dumps({"auth_url": swift_env["ST_AUTH"],
                                         "user": swift_env["ST_USER"],
                                         "key": swift_env["ST_KEY"],
                                         "container_prefix": f"bench{os.getpid()}"})
    data_dir = work / f"data-{store}"
    server = Server(data_dir, env)
    times: dict[str, list[tuple[float, float]]] = {
        k: [] for k in ("raw_put", "raw_get", "ref_put", "ref_get", "api_put", "api_get",
                        "nginx_get")}
    digests = GLARE_DIGESTS[store]
    try:
        session = requests.Session()
        session.headers.update(HEADERS)
        artifact = session.post(f"{server.url}/artifacts/demo_widgets",
                                json={"name": "bench"}, timeout=30).json()
        blob_url = f"{server.url}/artifacts/demo_widgets/{artifact['id']}/payload"
        conn = swift_connection(swift_env) if store == "swift" else None
        if conn is not None:
            conn.put_container("bench_raw")
        raw_target = data_dir / "raw-copy.bin"
        sender = RawFileServer(raw_target) if conn is None else None
        nginx = None
        if conn is None and nginx_binary:
            nginx = NginxServer(nginx_binary, raw_target, work)
        for _ in range(repeat):
            drop_caches()
            if conn is None:
                times["raw_put"].append(timed(lambda: raw_file_put(source, raw_target)))
                drop_caches()
                times["ref_put"].append(
                    timed(lambda: raw_file_put(source, raw_target, digests)))
                drop_caches()
                times["raw_get"].append(timed(lambda: raw_file_get(raw_target)))
                drop_caches()
                assert sender is not None
                times["ref_get"].append(timed(sender.get))
                if nginx is not None:
                    drop_caches()
                    times["nginx_get"].append(timed(nginx.get))
            else:
                times["raw_put"].append(timed(lambda: raw_swift_put(conn, source, size)))
                drop_caches()
                times["ref_put"].append(
                    timed(lambda: raw_swift_put(conn, source, size, digests)))
                drop_caches()
                times["raw_get"].append(timed(lambda: raw_swift_get(conn)))
            drop_caches()
            times["api_put"].append(
                timed(lambda: api_put(session, blob_url, source, size, client)))
            drop_caches()
            times["api_get"].append(timed(lambda: api_get(session, blob_url, size, client)))
        peak = server.worker_peak_rss_mib()
        if sender is not None:
            sender.close()
        if nginx is not None:
            nginx.close()
        if conn is not None:
            conn.delete_object("bench_raw", "blob")
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
    return {
        "store": store,
        "upload_api": mibps(size, times["api_put"]),
        "upload_raw": mibps(size, times["raw_put"]),
        "upload_ref": mibps(size, times["ref_put"]),
        "download_api": mibps(size, times["api_get"]),
        "download_raw": mibps(size, times["raw_get"]),
        "download_ref": mibps(size, times["ref_get"]) if times["ref_get"] else None,
        "download_nginx": mibps(size, times["nginx_get"]) if times["nginx_get"] else None,
        "nginx_version": nginx.version if nginx is not None else None,
        "nginx_rounds": times["nginx_get"],
        "upload_api_cpu": cpu_per_gib(size, times["api_put"]),
        "upload_raw_cpu": cpu_per_gib(size, times["raw_put"]),
        "download_api_cpu": cpu_per_gib(size, times["api_get"]),
        "download_raw_cpu": cpu_per_gib(size, times["raw_get"]),
        "peak_rss_mib": peak,
        # API/raw of each round (the raw run just before the API run): the spread shows
        # how much of a gap is the machine's noise.
        "upload_rounds": list(zip(times["api_put"], times["raw_put"], strict=True)),
        "download_rounds": list(zip(times["api_get"], times["raw_get"], strict=True)),
    }


# ---- fresh blobs: the first download right after the upload --------------------------------


def raw_direct_put(source: Path, target: Path) -> None:
    """The source written with O_DIRECT (page-aligned 1 MiB blocks, a buffered tail) and
    fsync: what a store that bypasses the page cache leaves for the first reader."""
    block = mmap.mmap(-1, CHUNK)  # anonymous mmaps are page-aligned, as O_DIRECT wants
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_DIRECT, 0o644)
    try:
        with source.open("rb", buffering=0) as src:
            while count := src.readinto(block):
                if count % mmap.PAGESIZE:  # the tail: no longer aligned
                    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL)
                                & ~os.O_DIRECT)
                os.write(fd, memoryview(block)[:count])
        os.fsync(fd)
    finally:
        os.close(fd)
        block.close()


def cached_share(path: Path) -> float | None:
    """Share of ``path`` in the page cache (mincore(2) over a mapping of it)."""
    size = path.stat().st_size
    if not size:
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                          ctypes.c_int, ctypes.c_long]
    pages = -(-size // mmap.PAGESIZE)
    resident = (ctypes.c_ubyte * pages)()
    with path.open("rb") as handle:
        address = libc.mmap(None, size, mmap.PROT_READ, mmap.MAP_SHARED, handle.fileno(), 0)
        if address in (None, ctypes.c_void_p(-1).value):
            return None
        try:
            if libc.mincore(ctypes.c_void_p(address), ctypes.c_size_t(size), resident):
                return None
        finally:
            libc.munmap(ctypes.c_void_p(address), ctypes.c_size_t(size))
    return sum(flag & 1 for flag in resident) / pages


def newest_file(folder: Path) -> Path:
    return max((p for p in folder.rglob("*") if p.is_file()), key=lambda p: p.stat().st_mtime)


FRESH_COLUMNS = ("write", "write_cpu", "first", "repeated", "cached")


def own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def run_fresh(sizes: list[int], write_caches: list[str], repeat: int, work: Path,
              site: Path) -> dict[tuple[int, str], dict[str, list[float]]]:
    """Upload, then download twice, each size through a server per ``write_caches``
    setting, and the raw references in the same rounds. Returns per (size, path) the
    MiB/s of the write, the first and the repeated read, and the share left cached."""
    servers: dict[str, Server] = {}
    results: dict[tuple[int, str], dict[str, list[float]]] = {}
    raw = work / "fresh-raw" / "raw.bin"
    raw.parent.mkdir(exist_ok=True)
    socket_ref = RawFileServer(raw)
    try:
        for setting in write_caches:
            env = {"PYTHONPATH": str(site)}
            if setting != "default":  # MiB, or -1 (unlimited)
                env["GLARE_BLOB_WRITE_CACHE"] = str(max(-1, int(float(setting) * MIB)))
            folder = work / f"fresh-{setting}"  # its server.log too
            folder.mkdir(exist_ok=True)
            servers[f"API, write cache {setting}"] = Server(folder / "data", env)
        blob_urls = {}
        for path, server in servers.items():
            artifact = requests.post(f"{server.url}/artifacts/demo_widgets", headers=HEADERS,
                                     json={"name": "fresh"}, timeout=30).json()
            blob_urls[path] = f"{server.url}/artifacts/demo_widgets/{artifact['id']}/payload"
        for size in sizes:
            source = work / f"fresh-{size // MIB}.bin"
            make_source(source, size)

            def measure(path: str, write: Callable[[], Path], read: Callable[[], None],
                        cpu: Callable[[], float] = own_cpu_seconds, size: int = size) -> None:
                drop_caches()
                row = results.setdefault((size, path), {k: [] for k in FRESH_COLUMNS})
                cpu_before, start = cpu(), time.perf_counter()
                written = write()
                row["write"].append(size / MIB / (time.perf_counter() - start))
                row["write_cpu"].append((cpu() - cpu_before) * 1024 * MIB / size)
                row["cached"].append(cached_share(written) or 0.0)
                for column in ("first", "repeated"):
                    start = time.perf_counter()
                    read()
                    row[column].append(size / MIB / (time.perf_counter() - start))

            def api_write(url: str, folder: Path, source: Path = source) -> Path:
                lean_request("PUT", url, source)
                return newest_file(folder / "blobs")

            def raw_write(put: Callable[[Path, Path], None], source: Path = source) -> Path:
                raw.unlink(missing_ok=True)
                put(source, raw)
                return raw

            for _ in range(repeat):
                for path, server in servers.items():
                    url = blob_urls[path]
                    measure(path, lambda url=url, server=server: api_write(
                        url, server.data_dir), lambda url=url: lean_request("GET", url),
                        server.worker_cpu_seconds)
                measure("raw+socket, buffered write", lambda: raw_write(raw_file_put),
                        socket_ref.get)
                measure("raw read, buffered write", lambda: raw_write(raw_file_put),
                        lambda: raw_file_get(raw))
                measure("raw read, O_DIRECT write", lambda: raw_write(raw_direct_put),
                        lambda: raw_file_get(raw))
            source.unlink()
    finally:
        socket_ref.close()
        for server in servers.values():
            server.stop()
            shutil.rmtree(server.data_dir.parent, ignore_errors=True)
        shutil.rmtree(raw.parent, ignore_errors=True)
    return results


def print_fresh(results: dict[tuple[int, str], dict[str, list[float]]], repeat: int) -> None:
    print(f"\nFresh blobs: the first and a repeated download right after the upload, MiB/s,"
          f" median of {repeat} round(s)")
    print(f"{'size':>9}  {'path':<30} {'write':>7} {'CPU s/GiB':>10} {'first':>7}"
          f" {'repeated':>9} {'first/repeated':>15} {'cached after write':>19}")
    for (size, path), row in results.items():
        first, repeated = (statistics.median(row[k]) for k in ("first", "repeated"))
        print(f"{size // MIB:>5} MiB  {path:<30} {statistics.median(row['write']):>7.0f}"
              f" {statistics.median(row['write_cpu']):>10.2f}"
              f" {first:>7.0f} {repeated:>9.0f} {first / repeated:>14.0%}"
              f" {statistics.median(row['cached']):>18.0%}")
    print("\nCPU s/GiB: CPU time of the writing process per GiB written (the server's worker,"
          " which also\ncomputes the upload's MD5, SHA-1 and SHA-256; this script for the raw"
          " writes).")
    print("\nAPI first download / raw+socket first download (the same file written buffered"
          " and sent\nover loopback to the same client), round by round:")
    for (size, path), row in results.items():
        if path.startswith("API"):
            ref = results[(size, "raw+socket, buffered write")]["first"]
            rounds = "  ".join(f"{api / raw:.0%}" for api, raw in zip(row["first"], ref,
                                                                        strict=True))
            print(f"  {size // MIB:>5} MiB  {path:<30} {rounds}")


def start_swift(work: Path) -> tuple[dict[str, str], Callable[[], None]]:
    if os.environ.get("ST_AUTH"):
        return {k: os.environ[k] for k in ("ST_AUTH", "ST_USER", "ST_KEY")}, lambda: None
    tools = REPO / "tools" / "swift-dev"
    data = work / "swift"
    result = subprocess.run([str(tools / "start-swift"), str(data)], capture_output=True,
                            text=True, check=True)
    env = dict(line[len("export "):].split("=", 1)
               for line in result.stdout.splitlines() if line.startswith("export "))
    return env, lambda: subprocess.run([str(tools / "stop-swift"), str(data)], check=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1024, help="blob size in MiB")
    parser.add_argument("--stores", default="file,swift", help="comma-separated stores")
    parser.add_argument("--repeat", type=int, default=1, help="runs per path (median)")
    parser.add_argument("--workdir", help="folder for data (default: a temp folder)")
    parser.add_argument("--client", choices=("lean", "curl", "requests"), default="lean",
                        help="HTTP client for the API path (default: lean, see above)")
    parser.add_argument("--nginx", default="auto",
                        help="nginx binary for the file download's nginx reference "
                             "(default: nginx if installed; 'none' to skip it)")
    parser.add_argument("--fresh-sizes", default="16,256,2048",
                        help="blob sizes in MiB for the first and repeated download right"
                             " after the upload ('none' to skip them)")
    parser.add_argument("--fresh-write-cache", default="default,0",
                        help="GLARE_BLOB_WRITE_CACHE values in MiB, one server each, for the"
                             " fresh blobs ('default': the setting's default; 0: every byte"
                             " with O_DIRECT; -1: every byte through the page cache)")
    parser.add_argument("--no-drop-caches", action="store_true",
                        help="keep the page cache (by default it is dropped before each read"
                             " and write when running as root)")
    args = parser.parse_args()
    global DROP_CACHES
    DROP_CACHES = DROP_CACHES and not args.no_drop_caches
    fresh_sizes = [] if args.fresh_sizes == "none" else [
        int(float(s) * MIB) for s in args.fresh_sizes.split(",") if s.strip()]
    nginx_binary = (find_nginx() if args.nginx == "auto"
                    else None if args.nginx == "none" else args.nginx)
    size = args.size * MIB
    work = Path(args.workdir or tempfile.mkdtemp(prefix="glare-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    site = work / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                    "--disable-pip-version-check", "--target", str(site),
                    str(REPO / "tests" / "plugins" / "demo_widgets")], check=True)
    stores = [s.strip() for s in args.stores.split(",") if s.strip() not in ("", "none")]
    digest_cpu = 0.0
    if stores:
        make_source(work / "source.bin", size)
        digest_cpu = digest_cpu_seconds(work / "source.bin") * 1024 * MIB / size
    swift_env, stop_swift = (start_swift(work) if "swift" in stores else (None, lambda: None))
    results = []
    fresh = {}
    try:
        for store in stores:
            results.append(
                run_store(store, size, args.repeat, work, site, swift_env, args.client,
                          nginx_binary))
        if fresh_sizes:
            fresh = run_fresh(fresh_sizes, args.fresh_write_cache.split(","), args.repeat,
                              work, site)
    finally:
        stop_swift()
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    if results:
        print_throughput(args, results, size, digest_cpu)
    if fresh:
        print_fresh(fresh, args.repeat)
    return 0


def print_throughput(args: argparse.Namespace, results: list[dict], size: int,
                     digest_cpu: float) -> None:
    cpus = os.cpu_count() or 1
    print(f"\nBlob throughput, {args.size} MiB, median of {args.repeat} run(s), "
          f"{cpus} CPUs{', cold caches' if DROP_CACHES else ''}, "
          f"API client: {args.client}")
    print(f"{'store':<7} {'direction':<9} {'API MiB/s':>10} {'raw MiB/s':>10} {'API/raw':>8}"
          f" {'reference':>12} {'API/that':>9} {'API CPU s/GiB':>14} {'raw CPU s/GiB':>14}"
          f" {'worker peak RSS':>16}")
    for r in results:
        for direction in ("upload", "download"):
            api, raw = r[f"{direction}_api"], r[f"{direction}_raw"]
            ref = r.get(f"{direction}_ref")
            reference = f"{ref:>12.0f} {api / ref:>8.0%}" if ref else f"{'-':>12} {'-':>8}"
            print(f"{r['store']:<7} {direction:<9} {api:>10.0f} {raw:>10.0f} {api / raw:>7.0%}"
                  f" {reference} {r[f'{direction}_api_cpu']:>14.2f}"
                  f" {r[f'{direction}_raw_cpu']:>14.2f} {r['peak_rss_mib']:>13.0f} MiB")
    for r in results:
        if r["download_nginx"]:
            nginx, api = r["download_nginx"], r["download_api"]
            print(f"nginx {r['nginx_version']} serving the raw file ({r['store']} download,"
                  f" sendfile on): {nginx:.0f} MiB/s, {nginx / r['download_raw']:.0%} of"
                  f" raw; API/nginx {api / nginx:.0%}")
    print("\nAPI/raw round by round (API MiB/s / raw MiB/s):")
    for r in results:
        for direction in ("upload", "download"):
            rounds = "  ".join(
                f"{raw / api:.0%} ({size / MIB / api:.0f}/{size / MIB / raw:.0f})"
                for (api, _), (raw, _) in r[f"{direction}_rounds"])
            print(f"  {r['store']:<7} {direction:<9} {rounds}")
        if r["nginx_rounds"]:
            rounds = "  ".join(
                f"{raw / nginx:.0%} ({size / MIB / nginx:.0f}/{size / MIB / raw:.0f})"
                for (nginx, _), (_, (raw, _)) in zip(r["nginx_rounds"], r["download_rounds"],
                                                     strict=True))
            print(f"  {r['store']:<7} {'nginx/raw':<9} {rounds}")
    print(f"\nreference, uploads (raw+digests): the raw upload path while computing the digests"
          f" Glare computes itself\n(file: MD5, SHA-1, SHA-256; Swift: SHA-1, SHA-256, the MD5"
          f" being Swift's ETag).\nreference, file downloads (raw+socket): the raw file sent"
          f" with sendfile(2) over loopback to the same\nclient by a bare responder, without"
          f" Glare.\nCPU s/GiB: busy CPU time of the whole machine (server, client and Swift)"
          f" per GiB moved.\nMD5 + SHA-1 + SHA-256 of 1 GiB, which every API upload computes"
          f" and no raw path does: {digest_cpu:.2f} CPU s.")


if __name__ == "__main__":
    sys.exit(main())
