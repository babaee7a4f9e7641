"""One page of a listing and its exact total, as cheaply as the query allows.

* The total of an unfiltered listing (or of one tag) is a sum of maintained counters
  (counts.py), not a count of the rows; a filtered one counts index entries (the value
  indexes carry the artifact id).
* ``version=latest`` keeps an artifact when no matching one of its name is newer (one
  index probe per candidate), instead of ranking every matching artifact.
* A sort by a sortable property field joins its rows (every artifact has one), so the
  database reads the page in index order; a marker seeks to its place on that index.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from glare_core.data.database import Database
from glare_core.data.query import ListQuery, ListResult
from glare_core.data.sql import counts
from glare_core.data.sql.filters import QueryBuilder
from glare_core.data.sql.layout import SqlLayout
from glare_core.data.sql.sort_rows import SortRows


class SqlLister:
    def __init__(self, database: Database, layout: SqlLayout, sort_rows: SortRows,
                 assemble: Callable[[Any, list], list[dict[str, Any]]]) -> None:
        self.db = database
        self.layout = layout
        self.query = QueryBuilder(layout)
        self.sort_rows = sort_rows
        self.assemble = assemble

    def list(self, query: ListQuery) -> ListResult:
        art = self.layout.artifacts
        where = self.query.where_clause(query)
        if query.latest:
            where = sa.and_(where, self.query.latest_condition(query))
        property_sorts = [key.field.name for key in query.sort
                          if not self.layout.is_column(key.field)]
        joined = self.sort_rows.complete(query.type_names, property_sorts)
        plan = self.query.sort_plan(query.sort, joined)
        page_query = sa.select(art).select_from(plan.apply_joins(art)).where(where)
        if query.marker is not None:
            page_query = page_query.where(plan.after_marker(query.marker))
        page_query = page_query.order_by(*plan.order_by()).limit(query.limit)
        with self.db.read() as conn:
            counter = counts.counter_for(self.layout, query)
            if counter is not None:
                total = counts.total(conn, counter, query)
            else:
                total = conn.execute(
                    sa.select(sa.func.count()).select_from(art).where(where)).scalar_one()
            rows = conn.execute(page_query).mappings().all() if query.limit > 0 else []
            return ListResult(artifacts=self.assemble(conn, rows), total=total)
