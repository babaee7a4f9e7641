#!/usr/bin/env python3
"""Listing latency: filtered and sorted listings next to the plain listing of a page.

Creates ``--artifacts`` sample artifacts through the API (in process, Flask's test
client: everything but the HTTP server), then times each listing below. The baseline,
measured in the same run, is the first page with no filter: a filter or a sort should
cost about what listing the same page costs, whatever the number of artifacts. A cost
that grows with the number of artifacts shows as a ratio that grows with
``--artifacts``.

    .venv/bin/python benchmarks/listing.py                      # SQLite, 3,000 artifacts
    .venv/bin/python benchmarks/listing.py --artifacts 10000
    .venv/bin/python benchmarks/listing.py --database-url postgresql+psycopg://...

On PostgreSQL the database should be empty and analysed: right after a bulk load,
before autovacuum has gathered statistics, the planner can pick nested loops.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from typing import Any

from glare_core.app import create_app
from glare_core.data.migrations import ensure_schema

HEADERS = {"X-Identity-Status": "Confirmed", "X-Project-Id": "bench", "X-User-Id": "bench",
           "X-Roles": "member"}
BASELINE = ""
QUERIES = [
    BASELINE,
    "sort=name:asc,version:desc",
    "name=like:n4%25",
    "version=latest",
    "int1=gt:{half}",
    "int1=gte:0",
    "int1=gt:{half}&sort=int1:asc",
    "str1=s3&tags=t3",
    "tags-any=t3,t4",
    "dict_of_str.k=v1",
    "dict_of_str=k",
    "int1=in:5,50,500",
]


def populate(client: Any, count: int) -> None:
    for i in range(count):
        response = client.post("/artifacts/sample_artifact", headers=HEADERS, json={
            "name": f"n{i % 500}", "version": f"1.{i // 500}", "int1": i, "str1": f"s{i % 7}",
            "tags": [f"t{i % 10}"], "dict_of_str": {"k": f"v{i % 3}"}})
        if response.status_code != 201:
            raise RuntimeError(response.get_data(as_text=True))


def median_ms(client: Any, query: str, rounds: int) -> tuple[float, int]:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        response = client.get(f"/artifacts/sample_artifact?{query}", headers=HEADERS)
        times.append(time.perf_counter() - start)
        if response.status_code != 200:
            raise RuntimeError(response.get_data(as_text=True))
    return statistics.median(times) * 1000, response.get_json()["total_count"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--artifacts", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=7, help="timings per query (median)")
    parser.add_argument("--database-url", help="default: SQLite in a temp folder")
    args = parser.parse_args()
    settings = {"GLARE_DATA_DIR": tempfile.mkdtemp(prefix="glare-listing-"),
                "GLARE_LOG_LEVEL": "WARNING"}
    if args.database_url:
        settings["GLARE_DATABASE_URL"] = args.database_url
    app = create_app(settings, autoload=True)
    ensure_schema(app)
    client = app.test_client()
    start = time.perf_counter()
    populate(client, args.artifacts)
    print(f"created {args.artifacts} artifacts in {time.perf_counter() - start:.1f} s "
          f"({app.extensions['glare'].database.dialect})")
    queries = [query.format(half=args.artifacts // 2) for query in QUERIES]
    timings = {query: median_ms(client, query, args.rounds) for query in queries}
    base_ms = timings[BASELINE][0]
    print(f"\n{'ms':>8} {'x page':>7} {'matches':>8}  query (first page of 25)")
    for query, (ms, total) in timings.items():
        print(f"{ms:8.1f} {ms / base_ms:7.1f} {total:8}  {query or '(no filter: the baseline)'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
