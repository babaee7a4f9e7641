#!/usr/bin/env python3
"""Many writers on one artifact: how many wait their turn, how many get a 409.

Every write to an artifact (an upload's two short metadata phases, a JSON-patch) holds the
artifact's lock. ``--writers`` threads start together; each makes ``--rounds`` uploads of
a few bytes to its own folder key and ``--rounds`` patches adding its own tag, all to one
artifact, in process (Flask's test client: everything but the HTTP server). The script
prints the answers by status, the wall time and the slowest request, and checks that
every upload and tag that was answered 200 is there (nothing lost).

    .venv/bin/python benchmarks/lock_contention.py                       # SQLite
    .venv/bin/python benchmarks/lock_contention.py --database-url postgresql+psycopg://...

On PostgreSQL, ``--locks rows,advisory`` runs the same writers with each lock store in
turn, in one run: ``rows`` is the polled ``glare_locks`` rows every database used before
(and SQLite still uses), ``advisory`` the lock queue PostgreSQL serves now.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from collections import Counter
from typing import Any

from glare_core.app import create_app
from glare_core.data.migrations import ensure_schema
from glare_core.data.sql.locks import SqlLockStore, lock_store

HEADERS = {"X-Identity-Status": "Confirmed", "X-Project-Id": "bench", "X-User-Id": "bench",
           "X-Roles": "member"}
TYPE_URL = "/artifacts/sample_artifact"


def contend(app: Any, writers: int, rounds: int, run: int) -> dict[str, Any]:
    """Run the writers against one new artifact; return what they were answered."""
    client = app.test_client()
    created = client.post(TYPE_URL, headers=HEADERS,
                          json={"name": f"contended-{run}-{time.time_ns()}"})
    artifact_url = f"{TYPE_URL}/{created.get_json()['id']}"
    answers: Counter[tuple[str, int]] = Counter()
    slowest = [0.0]
    guard = threading.Lock()
    start = threading.Barrier(writers)

    def write(n: int) -> None:
        caller = app.test_client()
        start.wait()
        for r in range(rounds):
            for kind, send in (
                ("upload", lambda r=r: caller.put(
                    f"{artifact_url}/dict_of_blobs/w{n}-{r}", data=b"0123456789",
                    headers={**HEADERS, "Content-Type": "application/octet-stream"})),
                ("patch", lambda r=r: caller.patch(
                    artifact_url, json=[{"op": "add", "path": "/tags/-", "value": f"w{n}-{r}"}],
                    headers={**HEADERS, "Content-Type": "application/json-patch+json"})),
            ):
                began = time.perf_counter()
                status = send().status_code
                took = time.perf_counter() - began
                with guard:
                    answers[(kind, status)] += 1
                    slowest[0] = max(slowest[0], took)

    began = time.perf_counter()
    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    final = client.get(artifact_url, headers=HEADERS).get_json()
    return {"answers": answers, "wall": wall, "slowest": slowest[0],
            "keys": len(final["dict_of_blobs"] or {}), "tags": len(final["tags"] or [])}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writers", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=2, help="uploads and patches per writer")
    parser.add_argument("--repeat", type=int, default=3, help="runs, each on a new artifact")
    parser.add_argument("--database-url", help="default: SQLite in a temp folder")
    parser.add_argument("--lock-wait", type=float, help="GLARE_LOCK_WAIT (default: Glare's)")
    parser.add_argument("--locks", default="glare",
                        help="comma-separated lock stores to compare: glare (what Glare picks "
                             "for the database), rows, advisory (PostgreSQL only)")
    args = parser.parse_args()
    settings: dict[str, Any] = {"GLARE_DATA_DIR": tempfile.mkdtemp(prefix="glare-locks-"),
                                "GLARE_LOG_LEVEL": "WARNING"}
    if args.database_url:
        settings["GLARE_DATABASE_URL"] = args.database_url
    if args.lock_wait is not None:
        settings["GLARE_LOCK_WAIT"] = args.lock_wait
    app = create_app(settings, autoload=True)
    ensure_schema(app)
    state = app.extensions["glare"]
    stale_after = app.config["GLARE_LOCK_STALE_AFTER"]
    stores = {"glare": lambda: lock_store(state.database, stale_after=stale_after),
              "rows": lambda: SqlLockStore(state.database, stale_after=stale_after),
              "advisory": lambda: lock_store(state.database, stale_after=stale_after)}
    kinds = [kind.strip() for kind in args.locks.split(",") if kind.strip()]
    if unknown := set(kinds) - set(stores):
        parser.error(f"unknown lock stores: {', '.join(sorted(unknown))}")
    if "advisory" in kinds and state.database.lock_engine is None:
        parser.error("advisory locks need PostgreSQL (--database-url)")
    print(f"{state.database.dialect}: {args.writers} writers x {args.rounds} uploads and "
          f"{args.rounds} patches, one artifact, lock wait {app.config['GLARE_LOCK_WAIT']} s")
    print(f"{'locks':<8} {'run':>3} {'wall s':>7} {'slowest s':>9} {'upload 200/409':>15} "
          f"{'patch 200/409':>14} {'other':>6} {'kept':>5}")
    failures = 0
    runs = [(kind, run) for run in range(1, args.repeat + 1) for kind in kinds]
    for kind, run in runs:  # the stores alternate, so a slow spell touches both
        state.engine.context.locker.store = stores[kind]()
        result = contend(app, args.writers, args.rounds, run)
        answers = result["answers"]
        other = sum(count for (_, status), count in answers.items() if status not in (200, 409))
        kept = (result["keys"] == answers[("upload", 200)]
                and result["tags"] == answers[("patch", 200)])
        failures += other + (not kept)
        print(f"{kind:<8} {run:>3} {result['wall']:>7.2f} {result['slowest']:>9.2f} "
              f"{answers[('upload', 200)]:>9}/{answers[('upload', 409)]:<5} "
              f"{answers[('patch', 200)]:>8}/{answers[('patch', 409)]:<5} {other:>6} "
              f"{'yes' if kept else 'NO':>5}")
    app.extensions["glare"].database.dispose()
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
