#!/usr/bin/env python3
"""Chunked uploads with and without a growing reservation, side by side.

An upload of unknown size (chunked transfer, no Content-Length) into a folder or under a
data quota holds a reservation that grows as its data arrives
(glare_core/engine/reservation.py): each step takes the artifact and quota locks and
writes the blob record once. Without a folder or quota nothing is shared, so the upload
reserves its field's limit once and never grows. This script uploads the same data
chunked, through a real ``glare-api`` on the file store, into one project with a data
quota (growing) and one without (the baseline), alternating, and prints MiB/s for both,
their ratio and how many times the growing upload wrote its blob record. Only one
upload runs at a time, so the quota is never short: what is measured is the cost of the
steps.

    .venv/bin/python benchmarks/chunked_uploads.py --size 1024 --repeat 5
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import requests
from blob_throughput import HEADERS, MIB, REPO, Server, drop_caches, make_source, timed


def chunked_put(url: str, source: Path, headers: dict[str, str]) -> None:
    """PUT ``source`` with chunked framing, 1 MiB per chunk, each sent with sendfile(2)."""
    parts = urlsplit(url)
    head = (f"PUT {parts.path} HTTP/1.1\r\n" + "".join(
        f"{name}: {value}\r\n" for name, value in {
            **headers, "Host": parts.netloc, "Connection": "close",
            "Content-Type": "application/octet-stream", "Transfer-Encoding": "chunked",
        }.items()) + "\r\n")
    size = source.stat().st_size
    with socket.create_connection((parts.hostname, parts.port), timeout=600) as sock, \
            source.open("rb") as handle:
        sock.sendall(head.encode())
        offset = 0
        while offset < size:
            count = min(MIB, size - offset)
            sock.sendall(f"{count:x}\r\n".encode())
            sock.sendfile(handle, offset, count)
            sock.sendall(b"\r\n")
            offset += count
        sock.sendall(b"0\r\n\r\n")
        answer = b""
        while b"\r\n" not in answer:
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    status = int(answer.split(b" ", 2)[1])
    if status != 200:
        raise RuntimeError(f"PUT {url} answered {status}")


def revision(session: requests.Session, url: str, headers: dict[str, str]) -> int:
    """The artifact's revision, from its ETag ``"<id>-<revision>"``."""
    etag = session.get(url, headers=headers, timeout=30).headers["ETag"]
    return int(etag.strip('"').rsplit("-", 1)[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1024, help="upload size in MiB")
    parser.add_argument("--repeat", type=int, default=5, help="rounds (median)")
    parser.add_argument("--quota", type=float, default=4.0,
                        help="the data quota, in uploads' sizes (default 4: a step is then "
                             "at least 1/16 of an upload)")
    args = parser.parse_args()
    size = args.size * MIB
    work = Path(tempfile.mkdtemp(prefix="glare-chunked-"))
    site = work / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                    "--disable-pip-version-check", "--target", str(site),
                    str(REPO / "tests" / "plugins" / "demo_widgets")], check=True)
    source = work / "source.bin"
    make_source(source, size)
    server = Server(work / "data", {"PYTHONPATH": str(site)})
    times: dict[str, list[float]] = {"growing": [], "fixed": []}
    writes: list[int] = []
    try:
        session = requests.Session()
        admin = {**HEADERS, "X-Roles": "admin"}
        session.put(f"{server.url}/quotas", headers=admin, timeout=30, json=[
            {"project_id": "bench-quota", "project_quotas": [
                {"quota_name": "max_uploaded_data", "quota_value": int(args.quota * size)}]}],
        ).raise_for_status()
        projects = {"growing": {**HEADERS, "X-Project-Id": "bench-quota"},
                    "fixed": {**HEADERS, "X-Project-Id": "bench-free"}}
        for round_number in range(args.repeat):
            order = ("growing", "fixed") if round_number % 2 == 0 else ("fixed", "growing")
            for name in order:
                # A new artifact each time: a re-upload would hold the replaced blob's size
                # from the start and never grow.
                headers = projects[name]
                created = session.post(f"{server.url}/artifacts/demo_widgets",
                                       headers=headers, json={"name": f"{name}{round_number}"},
                                       timeout=30)
                created.raise_for_status()
                url = f"{server.url}/artifacts/demo_widgets/{created.json()['id']}"
                before = revision(session, url, headers)
                drop_caches()
                wall, _ = timed(lambda url=url, h=headers: chunked_put(f"{url}/payload",
                                                                       source, h))
                times[name].append(wall)
                if name == "growing":
                    # Two writes are the upload's own (saving, then active).
                    writes.append(revision(session, url, headers) - before - 2)
                session.delete(url, headers=headers, timeout=60).raise_for_status()
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    growing = size / MIB / statistics.median(times["growing"])
    fixed = size / MIB / statistics.median(times["fixed"])
    print(f"\nChunked uploads, {args.size} MiB, file store, median of {args.repeat} rounds, "
          f"{os.cpu_count()} CPUs")
    print(f"  under a data quota (reservation grows): {growing:7.0f} MiB/s, "
          f"{statistics.median(writes)} reservation steps")
    print(f"  no quota (reserved once):               {fixed:7.0f} MiB/s")
    print(f"  growing/fixed: {growing / fixed:.0%}")
    print("  rounds (growing/fixed MiB/s): " + "  ".join(
        f"{size / MIB / g:.0f}/{size / MIB / f:.0f}"
        for g, f in zip(times["growing"], times["fixed"], strict=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
