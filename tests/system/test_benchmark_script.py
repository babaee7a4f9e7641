"""The throughput benchmark itself runs end to end (a tiny blob, file store only), so a
change to the API or the CLI cannot silently break the figures docs/performance.md cites."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_blob_throughput_prints_every_path(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "blob_throughput.py"), "--size", "4",
         "--stores", "file", "--repeat", "1", "--workdir", str(tmp_path),
         "--fresh-sizes", "2,3", "--fresh-write-cache", "default,0", "--no-drop-caches"],
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
    _assert_fresh_rows(result.stdout)


def _assert_fresh_rows(stdout: str) -> None:
    """Fresh blobs: per size, each server and reference with write and read speeds and the
    share of the blob its write left in the page cache."""
    rows = {(m[1], m[2]): m.groups()[2:] for m in re.finditer(
        r"^ +(\d+) MiB  (API, write cache \S+|raw\S* [^\d]+?) +(\d+) +([\d.]+) +(\d+)"
        r" +(\d+) +(\d+)% +(\d+)%$", stdout, re.MULTILINE)}
    paths = ["API, write cache default", "API, write cache 0", "raw+socket, buffered write",
             "raw read, buffered write", "raw read, O_DIRECT write"]
    assert set(rows) == {(size, path) for size in ("2", "3") for path in paths}, stdout
    for write, _cpu, first, repeated, _ratio, _cached in rows.values():
        assert int(write) > 0 and int(first) > 0 and int(repeated) > 0
    # The default write cache keeps a small fresh blob in the page cache, like a buffered
    # write; O_DIRECT (a write cache of 0) leaves none of it there.
    cached = {path: rows[("3", path)][-1] for path in paths}
    assert cached == {"API, write cache default": "100", "API, write cache 0": "0",
                      "raw+socket, buffered write": "100", "raw read, buffered write": "100",
                      "raw read, O_DIRECT write": "0"}, stdout
    assert re.search(r"^ +3 MiB  API, write cache 0 +\d+%$", stdout, re.MULTILINE), stdout


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


SCALE_SHAPES = ("get by id", "name=eq:X", "version=latest&name=X", "default list (no filter)",
                "int1=eq:V (0.1 %)", "tags=T (1 %)", "version=latest (no name)",
                "sort=int1:desc", "page 200 with marker", "str1=like:abc% (1 %)",
                "str1=like:%abc% (1 %)", "limit=0 (count only)",
                "tags=common&limit=0 (count of all)", "all: default list")


def _run_scale(tmp_path: Path, *options: str) -> tuple[str, dict]:
    """benchmarks/scale.py on a tiny catalog grown in two steps; its output and JSON."""
    out = tmp_path / "scale.json"
    result = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "scale.py"), "--sizes", "300,400",
         "--requests", "3", "--warmup", "1", "--verify", "5", "--explain", "all",
         "--json", str(out), *options],
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout, json.loads(out.read_text())


def _check_scale_run(stdout: str, results: dict, backend: str, plan_pattern: str) -> None:
    runs = results["results"]
    assert [(run["backend"], run["size"], run["loaded"]) for run in runs] == [
        (backend, 300, 300), (backend, 400, 100)]
    for run in runs:
        # every shape timed, with its target; the sample read back over HTTP matched
        assert [shape["label"] for shape in run["shapes"]] == [
            "reference: GET /healthcheck", *SCALE_SHAPES]
        assert all(shape["requests"] == 3 and 0 < shape["p50_ms"] <= shape["p99_ms"]
                   for shape in run["shapes"])
        assert run["verified"] == 5
        # --explain all: the plan of every shape, of the SQL the request really sent
        assert set(run["plans"]) == {shape["shape"] for shape in run["shapes"][1:]}
        default_plans = "\n".join(plan["plan"] for plan in run["plans"]["default"])
        assert re.search(plan_pattern, default_plans), default_plans
    assert stdout.count("verified 5 artifacts read back over HTTP") == 2
    table = stdout.split(f"{backend}, 400 artifacts", 1)[1]
    for label in SCALE_SHAPES:
        assert re.search(rf"^{re.escape(label)} +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +\d+ms  (ok|OVER)$",
                         table, re.MULTILINE), label
    assert re.search(r"^reference: GET /healthcheck +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +-  -$",
                     table, re.MULTILINE)
    growth = stdout.split("and its growth", 1)[1]
    assert all(re.search(rf"^{re.escape(label)} .* (ok|OVER)$", growth, re.MULTILINE)
               for label in SCALE_SHAPES)


def test_scale_benchmark_on_sqlite(tmp_path: Path) -> None:
    stdout, results = _run_scale(tmp_path, "--backend", "sqlite")
    _check_scale_run(stdout, results, "sqlite", r"\b(SCAN|SEARCH) glare_artifact\w*\b")


def test_scale_benchmark_on_postgres(tmp_path: Path, postgres_url: str) -> None:
    """The script starts a PostgreSQL of its own (with auto_explain): the session's
    ``postgres_url`` only says whether tools/pg-dev can start one here (failing loudly in
    CI when it cannot)."""
    stdout, results = _run_scale(tmp_path, "--backend", "postgres")
    _check_scale_run(stdout, results, "postgres", r"on glare_artifact\w* .*\(actual time=")


class _ClientSession:
    """What the scale benchmark's verification asks of a requests.Session, over the
    in-process app (Flask's test client)."""

    def __init__(self, client) -> None:
        self.client = client

    def get(self, url: str, headers: dict):
        return _Response(self.client.get(url, headers=headers))


class _Response:
    def __init__(self, response) -> None:
        self.status_code, self.text = response.status_code, response.get_data(as_text=True)
        self._body = response.get_json()

    def json(self):
        return self._body


def test_scale_verification_catches_a_row_unlike_the_api(tmp_path: Path) -> None:
    """The read-back compares every field: one property changed behind the loader's back
    (as a bulk path writing its own rows could get wrong) stops the run."""
    import random

    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        from scalebench import dataset
        from scalebench.loader import Loader, verify
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    loader = Loader({"GLARE_DATA_DIR": str(tmp_path), "GLARE_LOG_LEVEL": "WARNING"})
    loader.load(0, 40, batch=16)
    session = _ClientSession(loader.client)
    assert verify(session, "", loader, 40, 40, random.Random(1)) == 40
    changed = dataset.artifact_id(7)
    loader.data_api.update(changed, {"tags": ["common", "t99", "extra"]}, revision=1)
    try:
        verify(session, "", loader, 40, 40, random.Random(1))
    except RuntimeError as exc:
        assert "artifact 7 differs" in str(exc) and "extra" in str(exc)
    else:
        raise AssertionError("the changed artifact passed the verification")


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
