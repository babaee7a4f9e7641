"""The throughput benchmark itself runs end to end (a tiny blob, file store only), so a
change to the API or the CLI cannot silently break the figures docs/performance.md cites."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_blob_throughput_prints_every_path(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "blob_throughput.py"), "--size", "4",
         "--stores", "file", "--repeat", "1", "--workdir", str(tmp_path)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    rows = {tuple(line.split()[:2]): line.split() for line in result.stdout.splitlines()
            if line.startswith("file ")}
    upload, download = rows[("file", "upload")], rows[("file", "download")]
    # API MiB/s, raw MiB/s, API/raw, reference MiB/s, API/reference, 2 CPU columns; the
    # references are raw+digests (uploads) and raw+socket (file downloads)
    for row in (upload, download):
        assert float(row[2]) > 0 and float(row[3]) > 0 and float(row[5]) > 0
        assert re.fullmatch(r"\d+%", row[4]) and re.fullmatch(r"\d+%", row[6])
    assert "MiB" in upload[-1] and float(upload[-2]) > 0  # the worker's peak RSS
    assert re.search(r"^ +file +upload +\d+% \(\d+/\d+\)$", result.stdout, re.MULTILINE)
    # nginx serving the same file is a further download reference wherever it is installed
    nginx_line = re.search(r"^nginx \S+ serving the raw file \(file download, .*\): (\d+)"
                           r" MiB/s, \d+% of raw; API/nginx \d+%$", result.stdout, re.MULTILINE)
    if _benchmark_module().find_nginx():
        assert nginx_line and int(nginx_line[1]) > 0, result.stdout
    else:
        assert nginx_line is None


def _benchmark_module():
    spec = importlib.util.spec_from_file_location(
        "blob_throughput", REPO / "benchmarks" / "blob_throughput.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_listing_benchmark_prints_every_query() -> None:
    script = REPO / "benchmarks" / "listing.py"
    result = subprocess.run([sys.executable, str(script), "--artifacts", "40", "--rounds", "1"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "created 40 artifacts" in result.stdout
    rows = [line.split() for line in result.stdout.splitlines()
            if re.match(r"^ +\d+\.\d+ +\d+\.\d+ +\d+ ", line)]
    queries = {row[3] for row in rows}
    assert {"(no", "int1=gte:0", "version=latest", "dict_of_str.k=v1"} <= queries
    baseline = next(row for row in rows if row[3] == "(no")
    assert (baseline[1], baseline[2]) == ("1.0", "40")
    assert dict((row[3], int(row[2])) for row in rows)["int1=in:5,50,500"] == 1


def test_chunked_upload_benchmark_counts_the_reservation_steps() -> None:
    script = REPO / "benchmarks" / "chunked_uploads.py"
    result = subprocess.run([sys.executable, str(script), "--size", "8", "--repeat", "1"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    growing = re.search(r"reservation grows\): +(\d+) MiB/s, ([\d.]+) reservation steps",
                        result.stdout)
    fixed = re.search(r"reserved once\): +(\d+) MiB/s", result.stdout)
    assert growing and fixed, result.stdout
    # 8 MiB in 1 MiB chunks under a 32 MiB quota: 1 -> 1.5, 2 -> 3, 4 -> 6, 7 -> 10.5 MiB.
    assert float(growing[2]) == 4
    assert int(growing[1]) > 0 and int(fixed[1]) > 0
    assert re.search(r"growing/fixed: \d+%", result.stdout)


def test_lock_contention_benchmark_prints_every_run() -> None:
    script = REPO / "benchmarks" / "lock_contention.py"
    result = subprocess.run([sys.executable, str(script), "--writers", "4", "--rounds", "2",
                             "--repeat", "2"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.startswith("sqlite: 4 writers x 2 uploads and 2 patches")
    rows = re.findall(r"^glare +(\d) +[\d.]+ +[\d.]+ +(\d+)/(\d+) +(\d+)/(\d+) +(\d+) +(\w+)$",
                      result.stdout, re.MULTILINE)
    assert rows == [("1", "8", "0", "8", "0", "0", "yes"), ("2", "8", "0", "8", "0", "0", "yes")]


def test_slow_clients_benchmark_prints_each_attack() -> None:
    """A short run (20 connections, 3 s per attack, Glare's worker only: gunicorn's stock
    worker would not answer for the whole attack)."""
    script = REPO / "benchmarks" / "slow_clients.py"
    result = subprocess.run(
        [sys.executable, str(script), "--connections", "20", "--duration", "3",
         "--interval", "1", "--attacks", "none,headers,body", "--servers", "glare",
         "--workers", "1", "--threads", "2"],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = {line.split()[1]: line.split() for line in result.stdout.splitlines()
            if line.startswith("glare ")}
    assert set(rows) == {"none", "headers", "body"}, result.stdout
    for row in rows.values():
        requests_made, p50, p99, slowest = int(row[2]), int(row[3]), int(row[4]), int(row[5])
        assert requests_made > 0 and p50 <= p99 <= slowest
        assert row[7] == "0"  # no request of the normal client failed
    assert "20 opened" in " ".join(rows["headers"])


def test_write_rate_benchmark_prints_every_operation() -> None:
    """Creates, updates and the reference at two client counts, before and after a bulk
    load of 30 artifacts, side by side."""
    script = REPO / "benchmarks" / "write_rate.py"
    result = subprocess.run(
        [sys.executable, str(script), "--requests", "8", "--rounds", "1", "--clients", "1,2",
         "--preload", "0,30", "--workers", "1"],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "preload 30 artifacts (now 30 in the project" in result.stdout
    rows = re.findall(r"^(create|update|reference) +(\d+) +(\d+) +([\d.]+) +([\d.]+) +([\d.]+)"
                      r" +([\d.]+) +- +(\d+)$", result.stdout, re.MULTILINE)
    # 3 operations x 2 client counts x 2 preloads, none with an unexpected answer
    assert len(rows) == 12, result.stdout
    for _, _, rate, p50, p95, p99, cpu, errors in rows:
        assert int(rate) > 0 and float(p50) <= float(p95) <= float(p99) and float(cpu) >= 0
        assert errors == "0"
    side_by_side = re.findall(r"^(create|update|reference) +([12]) +(\d+) +(\d+) +(\d+)%$",
                              result.stdout, re.MULTILINE)
    assert len(side_by_side) == 6, result.stdout
