"""The plans of a shape over its target.

On the PostgreSQL the benchmark started, auto_explain logs the plans the server really
ran (``EXPLAIN ANALYZE`` of the statements the API sent, prepared or not) while the shape
is requested again; the log gives them back. On SQLite, or a PostgreSQL given by
``--database-url``, the in-process app runs the shape once while its SQL is captured, and
each captured statement is timed and explained again with the same parameters.
"""

from __future__ import annotations

import re
import time
from typing import Any

import sqlalchemy as sa

from scalebench.loader import Loader, headers
from scalebench.services import Postgres, set_auto_explain
from scalebench.shapes import Catalog, Shape, get_json

HEADER = re.compile(r"LOG:  duration: ([\d.]+) ms  plan:$")
REQUESTS = 5  # requests of the shape while its plans are logged
PLANS_SHOWN = 3


def pg_plans(postgres: Postgres, session: Any, url: str, shape: Shape, catalog: Catalog,
             threshold: float) -> list[tuple[float, str]]:
    """The slowest distinct statements of ``REQUESTS`` requests of ``shape`` (their
    auto_explain entries: statements of ``threshold`` ms or more), slowest first."""
    offset = postgres.log_size()
    set_auto_explain(postgres.url, threshold)
    try:
        for _ in range(REQUESTS):
            get_json(session, url + shape.path(catalog))
    finally:
        set_auto_explain(postgres.url, None)
    time.sleep(0.3)
    return _slowest(parse_log(postgres.log_since(offset)))


def parse_log(text: str) -> list[tuple[float, str]]:
    """auto_explain entries of a server log: (duration ms, query text and plan)."""
    entries: list[tuple[float, list[str]]] = []
    current: list[str] | None = None
    for line in text.splitlines():
        if match := HEADER.search(line):
            current = []
            entries.append((float(match[1]), current))
        elif current is not None and line.startswith("\t"):
            current.append(line[1:])
        else:
            current = None
    # not the benchmark's own statements switching auto_explain on and off
    return [(ms, "\n".join(lines)) for ms, lines in entries
            if lines and "pg_reload_conf()" not in lines[0]]


def _slowest(entries: list[tuple[float, str]]) -> list[tuple[float, str]]:
    """The slowest entry of each distinct query text, slowest first."""
    by_query: dict[str, tuple[float, str]] = {}
    for ms, entry in entries:
        query = entry.split("(cost=", 1)[0].rsplit("\n", 1)[0]
        if query not in by_query or by_query[query][0] < ms:
            by_query[query] = (ms, entry)
    return sorted(by_query.values(), reverse=True)[:PLANS_SHOWN]


def captured_plans(loader: Loader, shape: Shape, catalog: Catalog) -> list[tuple[float, str]]:
    """Run ``shape`` once in process, then time and explain each SELECT it sent."""
    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            statements.append((statement, parameters))

    engine = loader.database.engine
    sa.event.listen(engine, "before_cursor_execute", capture)
    try:
        response = loader.client.get(shape.path(catalog), headers=headers())
    finally:
        sa.event.remove(engine, "before_cursor_execute", capture)
    if response.status_code != 200:
        raise RuntimeError(f"{shape.path(catalog)}: {response.get_data(as_text=True)}")
    postgres = engine.dialect.name == "postgresql"
    explain = "EXPLAIN (ANALYZE, BUFFERS) " if postgres else "EXPLAIN QUERY PLAN "
    results = []
    with engine.connect() as conn:
        for statement, parameters in statements:
            start = time.perf_counter()
            conn.exec_driver_sql(statement, parameters).fetchall()
            ms = (time.perf_counter() - start) * 1000
            rows = conn.exec_driver_sql(explain + statement, parameters).fetchall()
            plan = "\n".join(str(row[-1]) for row in rows)  # SQLite: (id, parent, _, detail)
            results.append((ms, f"Query Text: {statement}\n{plan}"))
    return _slowest(results)


LONG_SELECT = re.compile(r"SELECT ([\w.]+), [^()]{60,}?\s+FROM")
ID_ARRAY = re.compile(r"\{([0-9a-f-]{36})(,[0-9a-f-]{36})+\}")
PARAMETERS = re.compile(r"(\$\d+::VARCHAR|\?)(, (\$\d+::VARCHAR|\?)){3,}")


def shorten(text: str) -> str:
    """Long column lists, lists of ids and of parameters: their first and an ellipsis."""
    text = LONG_SELECT.sub(r"SELECT \1, ... FROM", text)
    text = ID_ARRAY.sub(r"{\1,...}", text)
    return PARAMETERS.sub(r"\1, ...", text)


def print_plans(shape: Shape, plans: list[tuple[float, str]], how: str) -> None:
    print(f"\n-- plans of '{shape.label}' ({how}):")
    if not plans:
        print("   no statement over the logging threshold in the re-run "
              "(slow at the tail only)")
    for ms, plan in plans:
        print(f"   [{ms:.1f} ms]")
        for line in shorten(plan).splitlines():
            print(f"   {line}")
