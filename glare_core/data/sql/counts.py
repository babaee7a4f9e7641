"""Maintained artifact counts (a layout's counts tables): exact totals without counting.

Every write that adds, removes or moves an artifact between (type, owner, visibility,
status) keys, or changes its tags, applies the difference in its own transaction, so the
counts are exactly as consistent as the rows. A key has ``COUNT_SLOTS`` rows and an
artifact always moves the one its id picks: concurrent creates in one project touch
different rows, and one transaction's rows are updated in sorted order (no deadlock
between two writers).
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from glare_core.data.query import ListQuery
from glare_core.data.sql.filters import visible_in
from glare_core.data.sql.layout import COUNT_SLOTS, SqlLayout

#: A counter row's primary key, in the table's column order: (type_name, owner,
#: visibility, status, slot) or, per tag, (type_name, owner, visibility, status, tag, slot).
CountKey = tuple[Any, ...]


@dataclass
class Tally:
    """Count changes of one write, per counter row."""

    artifacts: Counter[CountKey] = field(default_factory=Counter)
    tags: Counter[CountKey] = field(default_factory=Counter)

    def add(self, artifact_id: str, row: Mapping[str, Any], tags: Iterable[str] = (),
            sign: int = 1) -> Tally:
        """Count (``sign`` -1: uncount) an artifact whose counted columns are ``row``."""
        slot = zlib.crc32(artifact_id.encode("utf-8")) % COUNT_SLOTS
        key = (row["type_name"], row["owner"], row["visibility"], row["status"])
        self.artifacts[(*key, slot)] += sign
        for tag in set(tags):
            self.tags[(*key, tag, slot)] += sign
        return self


def apply(conn: Connection, layout: SqlLayout, tally: Tally) -> None:
    """Add each change to its counter row (created at the change if missing)."""
    for table, changes in ((layout.counts, tally.artifacts),
                           (layout.tag_counts, tally.tags)):
        if table is not None:
            _apply(conn, table, changes)


def _apply(conn: Connection, counts: sa.Table, changes: Mapping[CountKey, int]) -> None:
    keys = [column.name for column in counts.primary_key.columns]
    rows = [{**dict(zip(keys, key, strict=True)), "artifacts": delta}
            for key, delta in sorted(changes.items()) if delta]
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(counts)
    statement = statement.on_conflict_do_update(
        index_elements=list(counts.primary_key.columns),
        set_={"artifacts": counts.c.artifacts + statement.excluded.artifacts},
    )
    for row in rows:  # one at a time, in order: the rows lock in the same order everywhere
        conn.execute(statement, row)


def counter_for(layout: SqlLayout, query: ListQuery) -> tuple[sa.Table, str | None] | None:
    """The counts table that answers ``query``'s total, and the tag it is read for: with
    no filter the artifact counts, with one one-tag filter the tag counts; else None."""
    if query.latest:
        return None
    if not query.filters:
        return None if layout.counts is None else (layout.counts, None)
    (only, *more) = query.filters
    if more or only.target not in ("tags_all", "tags_any") or len(only.operands) != 1:
        return None
    return None if layout.tag_counts is None else (layout.tag_counts, only.operands[0])


def total(conn: Connection, counter: tuple[sa.Table, str | None], query: ListQuery) -> int:
    """Exact number of artifacts ``query`` matches (``counter`` from ``counter_for``)."""
    counts, tag = counter
    conditions = [counts.c.type_name.in_(list(query.type_names)),
                  visible_in(counts, query.scope)]
    if tag is not None:
        conditions.append(counts.c.tag == tag)
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
