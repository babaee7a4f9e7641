"""Maintained artifact counts (a layout's counts table): exact totals without counting.

Every write that adds, removes or moves an artifact between (type, owner, visibility,
status) keys applies the difference in its own transaction, so the counts are exactly as
consistent as the rows. A key has ``COUNT_SLOTS`` rows and an artifact always moves the
one its id picks: concurrent creates in one project touch different rows, and one
transaction's rows are updated in sorted order (no deadlock between two writers).
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from glare_core.data.query import ListQuery, Scope
from glare_core.data.sql.layout import COUNT_SLOTS

#: (type_name, owner, visibility, status, slot)
CountKey = tuple[str, str, str, str, int]


def count_key(artifact_id: str, row: Mapping[str, Any]) -> CountKey:
    """The counter an artifact row adds to."""
    slot = zlib.crc32(artifact_id.encode("utf-8")) % COUNT_SLOTS
    return (row["type_name"], row["owner"], row["visibility"], row["status"], slot)


def tally(keys: Iterable[CountKey], sign: int = 1) -> Counter[CountKey]:
    return Counter({key: sign * n for key, n in Counter(keys).items()})


def apply(conn: Connection, counts: sa.Table, changes: Mapping[CountKey, int]) -> None:
    """Add each change to its counter row (created at the change if missing)."""
    rows = [
        {"type_name": key[0], "owner": key[1], "visibility": key[2], "status": key[3],
         "slot": key[4], "artifacts": delta}
        for key, delta in sorted(changes.items()) if delta
    ]
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(counts)
    statement = statement.on_conflict_do_update(
        index_elements=[c for c in counts.primary_key.columns],
        set_={"artifacts": counts.c.artifacts + statement.excluded.artifacts},
    )
    for row in rows:  # one at a time, in order: the rows lock in the same order everywhere
        conn.execute(statement, row)


def scope_condition(counts: sa.Table, scope: Scope) -> ColumnElement[bool]:
    """The counters of the artifacts ``scope`` sees (as QueryBuilder.scope_condition)."""
    if scope.see_all:
        return sa.true()
    public = counts.c.visibility == "public"
    if scope.project_id is None:
        return public
    return sa.or_(public, counts.c.owner == scope.project_id)


def can_count(query: ListQuery) -> bool:
    """Whether the counters answer ``query``'s total: no filter and no ``latest``."""
    return not query.filters and not query.latest


def total(conn: Connection, counts: sa.Table, query: ListQuery) -> int:
    """Exact number of artifacts ``query`` matches (``can_count(query)`` must hold)."""
    conditions = [counts.c.type_name.in_(list(query.type_names)),
                  scope_condition(counts, query.scope)]
    if not query.include_deleted:
        conditions.append(counts.c.status != "deleted")
    found = conn.execute(
        sa.select(sa.func.coalesce(sa.func.sum(counts.c.artifacts), 0)).where(*conditions)
    ).scalar_one()
    return int(found)


def owned(conn: Connection, counts: sa.Table, owner: str, type_names: tuple[str, ...]) -> int:
    """Artifacts of these types ``owner`` has, in any status (quotas)."""
    found = conn.execute(
        sa.select(sa.func.coalesce(sa.func.sum(counts.c.artifacts), 0)).where(
            counts.c.owner == owner, counts.c.type_name.in_(list(type_names)))
    ).scalar_one()
    return int(found)
