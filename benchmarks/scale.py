#!/usr/bin/env python3
"""Scale: the latency of every list shape of issue 20 at 10k, 100k and 1M artifacts.

Loads N ``sample_artifact`` artifacts into PostgreSQL (a throw-away server of
tools/pg-dev, or ``--database-url``) or the embedded SQLite, serves them with a real
``glare-api --workers 2`` and times each query shape with one sequential keep-alive
client: p50/p95/p99 and requests/s per shape, next to the shape's target, and, with
several ``--sizes``, each shape at every size next to itself at the smallest (the catalog
grows in place: load 10k, measure, add 90k, measure, ...). For each shape over target the
plans of its slow SQL are printed (PostgreSQL: auto_explain's ``EXPLAIN ANALYZE`` of what
the server ran; SQLite: ``EXPLAIN QUERY PLAN`` of the captured statements).

The catalog (benchmarks/scalebench/dataset.py; artifact i is a function of i):

* owners: one big project ``bench`` owns everything except artifacts i % 100 == 99 below
  30,000, which belong to three other projects (300 in all from 30k artifacts on); the
  client is a member of ``bench``;
* names ``pkg-NNNNNN`` shared by 10 versions each (N/10 names), semantic versions
  0.9.0 .. 10.0.0 with a pre-release (so a version sort must be semantic);
* status 60 % active, 37 % drafted, 3 % deactivated; public: 1 % of the big project's
  active artifacts and half of the other projects' (the big project sees those);
* ``int1``: 1000 values (``int1=eq:V`` matches 0.1 %); ``str1`` "<prefix>-<infix>-<i>"
  with 100 prefixes and 100 infixes (``like:ab%`` and ``like:%kq%`` match 1 % each);
  tags: ``common`` plus one of 100 (``tags=t42`` matches 1 %); ``dict_of_str`` arch;
* created_at every 30 s from 2024-01-01 (so the default sort, newest first, is real).

Loading goes through ``SqlDataAPI.create_many`` (the rows ``create`` writes, in batches)
from a template artifact created through the API; a sample is then read back over HTTP
and compared field by field, and the count the big project sees must be exact. On
PostgreSQL the load is followed by ``VACUUM ANALYZE``.

    .venv/bin/python benchmarks/scale.py --backend postgres --sizes 10k,100k,1M
    .venv/bin/python benchmarks/scale.py --backend sqlite --sizes 10k,100k
    .venv/bin/python benchmarks/scale.py --backend both --sizes 10k --requests 50 --json out.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scalebench import explain, report
from scalebench.loader import Loader, verify
from scalebench.services import GlareApi, Postgres
from scalebench.shapes import SHAPES, Catalog, find_marker, time_shape


def parse_sizes(text: str) -> list[int]:
    units = {"k": 1000, "m": 1_000_000}
    sizes = []
    for part in text.lower().split(","):
        part = part.strip().replace("_", "")
        sizes.append(int(part[:-1]) * units[part[-1]] if part[-1] in units else int(part))
    if sorted(sizes) != sizes or len(set(sizes)) != len(sizes) or sizes[0] < 1:
        raise argparse.ArgumentTypeError("sizes must grow: 10k,100k,1M")
    return sizes


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("postgres", "sqlite", "both"), default="postgres")
    parser.add_argument("--sizes", type=parse_sizes, default=parse_sizes("10k"),
                        help="catalog sizes, growing: 10k,100k,1M")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per shape")
    parser.add_argument("--warmup", type=int, help="untimed requests first (requests/10)")
    parser.add_argument("--database-url", help="a PostgreSQL to load into instead of one "
                        "the script starts (a database of its own: rows are added, none removed)")
    parser.add_argument("--workdir", help="folder for the databases (default: a temp folder); "
                        "a kept one is grown, not reloaded")
    parser.add_argument("--keep", action="store_true", help="keep the workdir for re-runs")
    parser.add_argument("--batch", type=int, default=2000, help="artifacts per transaction")
    parser.add_argument("--verify", type=int, default=20, help="artifacts read back over HTTP")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--explain", choices=("over", "all", "none"), default="over",
                        help="print the plans of the shapes over target (or of all, or none)")
    parser.add_argument("--markdown", action="store_true",
                        help="end with the tables in docs/performance.md's format")
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--json", dest="json_path", help="write the results there")
    args = parser.parse_args(argv)
    if args.database_url and args.backend != "postgres":
        parser.error("--database-url is a PostgreSQL: use it with --backend postgres")
    return args


class BackendRun:
    """One database: the catalog grows to each size in turn and is measured there."""

    def __init__(self, backend: str, args: argparse.Namespace, workdir: Path) -> None:
        self.backend, self.args = backend, args
        self.postgres = None
        settings = {"GLARE_LOG_LEVEL": "WARNING"}
        url = args.database_url
        if backend == "postgres" and not url:
            self.postgres = Postgres(workdir / "pg")
            url = self.postgres.start()
        if backend == "postgres":
            settings["GLARE_DATABASE_URL"] = url
        self.data_dir = workdir / f"{backend}-data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        settings["GLARE_DATA_DIR"] = str(self.data_dir)
        self.server: GlareApi | None = None
        self.rng = random.Random(args.seed)
        self.session = requests.Session()
        try:
            self.loader = Loader(settings)
        except BaseException:
            self.close()
            raise

    def run(self) -> list[dict[str, Any]]:
        results, by_size = [], {}
        try:
            for count in self.args.sizes:
                result = self.measure(count)
                by_size[count] = result.pop("timings")
                results.append(result)
            report.print_growth(self.backend, by_size)
        finally:
            self.close()
        return results

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()
        if self.postgres is not None:
            self.postgres.stop()

    def serve(self) -> GlareApi:
        if self.server is None:  # started once the first catalog is loaded and analysed
            self.server = GlareApi(self.data_dir, self.loader.app.config["GLARE_DATABASE_URL"],
                                   self.args.workers)
            self.server.wait_ready()
        return self.server

    def measure(self, count: int) -> dict[str, Any]:
        args, loader = self.args, self.loader
        loaded = loader.loaded()
        if loaded > count:
            raise RuntimeError(f"the database holds {loaded:,} artifacts, more than {count:,}")
        print(f"\n== {self.backend}: loading artifacts {loaded:,} .. {count:,}", flush=True)
        seconds = loader.load(loaded, count, args.batch)
        rate = (count - loaded) / seconds if count > loaded else 0.0
        print(f"loaded {count - loaded:,} artifacts in {seconds:.1f} s ({rate:,.0f}/s)")
        analyzed = loader.analyze()
        if analyzed is not None:
            print(f"VACUUM ANALYZE: {analyzed:.1f} s")
        url = self.serve().url
        checked = verify(self.session, url, loader, count, args.verify, self.rng)
        print(f"verified {checked} artifacts read back over HTTP (every field), and the "
              "count the big project sees")
        catalog = Catalog(count, self.rng)
        find_marker(self.session, url, catalog)
        print(f"marker: the last artifact of page {catalog.marker_page - 1}", flush=True)
        warmup = args.warmup if args.warmup is not None else max(3, args.requests // 10)
        timings = [time_shape(self.session, url, shape, catalog, args.requests, warmup)
                   for shape in SHAPES]
        report.print_timings(self.backend, count, timings)
        plans = {timing.shape.key: self.plans(timing.shape, catalog)
                 for timing in timings
                 if timing.shape.target_ms is not None
                 and (args.explain == "all" or (args.explain == "over" and timing.over_target))}
        return {"backend": self.backend, "size": count, "loaded": count - loaded,
                "load_seconds": round(seconds, 1), "load_per_s": round(rate),
                "analyze_seconds": analyzed and round(analyzed, 1), "verified": checked,
                "marker_page": catalog.marker_page,
                "shapes": [timing.as_dict() for timing in timings], "plans": plans,
                "timings": timings}

    def plans(self, shape: Any, catalog: Catalog) -> list[dict[str, Any]]:
        if self.postgres is not None:
            # a statement of a fifth of the target is worth seeing; --explain all: every one
            threshold = 0 if self.args.explain == "all" else max(5.0, shape.target_ms / 5)
            found = explain.pg_plans(self.postgres, self.session, self.serve().url, shape,
                                     catalog, threshold)
            how = "auto_explain: EXPLAIN ANALYZE of the statements the server ran"
        else:
            found = explain.captured_plans(self.loader, shape, catalog)
            how = "captured in process; each statement re-run and explained"
        explain.print_plans(shape, found, how)
        return [{"ms": round(ms, 1), "plan": plan} for ms, plan in found]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    backends = ("postgres", "sqlite") if args.backend == "both" else (args.backend,)
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="glare-scale-"))
    workdir.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        workdir.chmod(0o755)  # PostgreSQL runs as 'postgres' and must reach its folder
    load = os.getloadavg()
    print(f"glare scale benchmark: {', '.join(backends)}, sizes "
          f"{', '.join(report.size_label(s) for s in args.sizes)}, {args.requests} requests "
          f"per shape; {os.cpu_count()} CPUs, load average {load[0]:.2f} at the start; "
          f"workdir {workdir}", flush=True)
    results: list[dict[str, Any]] = []
    try:
        for backend in backends:
            results.extend(BackendRun(backend, args, workdir).run())
    finally:
        if args.keep or args.workdir:
            print(f"\nkept {workdir}: re-run with --workdir {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.markdown:
        print("\n" + report.markdown(results))
    if args.json_path:
        Path(args.json_path).write_text(json.dumps({
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                        "load_average_at_start": load},
            "requests_per_shape": args.requests, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
