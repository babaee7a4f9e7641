"""Translate listing filters, sort keys and markers into SQL expressions for a layout.

Fields stored as columns compare the column. Other fields (and tags/metadata) are
``id IN (...)`` sub-queries on the properties table, so "a list has an element that..."
and "a dict has a key..." are single index-backed conditions. Sorting by a property field
joins its rows: an inner join where every artifact has one (sortable fields get a row even
when null, see sort_rows.py), so the database walks the (name, value) index in order and
stops at the page's end; otherwise an outer join. NULLs sort as the largest value (last
ascending, first descending).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from glare_core.data.query import Filter, ListQuery, Scope, SortKey
from glare_core.data.sql.encoding import value_column
from glare_core.data.sql.layout import SqlLayout
from glare_core.types import versions

_COMPARE = {
    "eq": lambda col, v: col == v,
    "neq": lambda col, v: col != v,
    "gt": lambda col, v: col > v,
    "gte": lambda col, v: col >= v,
    "lt": lambda col, v: col < v,
    "lte": lambda col, v: col <= v,
    "like": lambda col, v: _like(col, v),
}


def _like(column: Any, pattern: str) -> ColumnElement[bool]:
    """``column LIKE pattern`` (escape ``\\``, PostgreSQL's default, made explicit).

    A pattern that starts with a wildcard can only use a trigram index, and pg_trgm
    narrows nothing without three literal characters in a row: for ``%ab%`` it reads
    most of the index and rechecks millions of rows (1.9 s at a million artifacts, where
    reading the field's rows is a tenth of that). Such a pattern compares an expression
    the trigram index does not cover, so the planner reads the field's rows instead.
    """
    if pattern[:1] in ("%", "_") and not _has_trigram(pattern):
        column = column.concat("")
    return column.like(pattern, escape="\\")


def _has_trigram(pattern: str) -> bool:
    """Whether ``pattern`` has three literal characters in a row (escapes honoured)."""
    run = 0
    escaped = False
    for char in pattern:
        if not escaped and char == "\\":
            escaped = True
            continue
        if not escaped and char in "%_":
            run = 0
        else:
            run += 1
            if run >= 3:
                return True
        escaped = False
    return False


def visible_in(table: Any, scope: Scope) -> ColumnElement[bool]:
    """The rows of ``table`` (with ``owner`` and ``visibility`` columns: artifacts, or
    their counters) that ``scope`` sees: all, or the public ones and its project's."""
    if scope.see_all:
        return sa.true()
    public = table.c.visibility == "public"
    if scope.project_id is None:
        return public
    return sa.or_(public, table.c.owner == scope.project_id)


def _compare(column: Any, op: str, operands: Sequence[Any]) -> ColumnElement[bool]:
    if op == "in":
        return column.in_(list(operands))
    return _COMPARE[op](column, operands[0])


def _version_condition(
    value_col: Any, key_col: Any, op: str, operands: Sequence[Any]
) -> ColumnElement[bool]:
    # Equality includes build metadata (the normalized string); ranges use precedence only.
    if op in ("eq", "neq", "in"):
        return _compare(value_col, op, operands)
    return _compare(key_col, op, [versions.sort_key(operands[0])])


class QueryBuilder:
    """SQL conditions and ordering over one layout's tables."""

    def __init__(self, layout: SqlLayout, artifacts: Any = None) -> None:
        """``artifacts`` replaces the layout's artifacts table (an alias of it)."""
        self.layout = layout
        self.artifacts = layout.artifacts if artifacts is None else artifacts
        self.properties = layout.properties

    def scope_condition(self, scope: Scope) -> ColumnElement[bool]:
        return visible_in(self.artifacts, scope)

    def filter_condition(self, flt: Filter) -> ColumnElement[bool]:
        spec = flt.field
        props = self.properties
        if flt.target == "nothing":
            return sa.false()
        if flt.target in ("tags_all", "tags_any"):
            def has_tags(*tags: Any) -> ColumnElement[bool]:
                return self._property_exists("tags", props.c.string_value.in_(list(tags)))

            if flt.target == "tags_any":
                return has_tags(*flt.operands)
            return sa.and_(*(has_tags(tag) for tag in flt.operands))

        if self.layout.is_column(spec):
            column = self.artifacts.c[spec.name]
            if spec.name == "version":
                return _version_condition(column, self.artifacts.c.version_key, flt.op,
                                          flt.operands)
            return _compare(column, flt.op, flt.operands)

        if flt.target == "key":
            return self._property_exists(
                spec.name, _compare(props.c.key_name, flt.op, flt.operands))
        column = props.c[value_column(spec)]
        if spec.holds_versions:
            condition = _version_condition(column, props.c.version_key, flt.op, flt.operands)
        else:
            condition = _compare(column, flt.op, flt.operands)
        if flt.target == "dict_value":
            condition = sa.and_(props.c.key_name == flt.dict_key, condition)
        return self._property_exists(spec.name, condition)

    def _property_exists(self, name: str, condition: ColumnElement[bool]) -> ColumnElement[bool]:
        """The artifact has a ``name`` property row matching ``condition``.

        Written as ``id IN (uncorrelated select)``, not as a correlated ``EXISTS``: for a
        range condition SQLite answers the ``EXISTS`` by scanning the (name, value) index
        range once per candidate artifact, which grows with the square of the number of
        artifacts (1.9 s for ``int1=gte:0`` over 3,000). The ``IN`` form scans the range
        once on every database.
        """
        props = self.properties
        return self.artifacts.c.id.in_(
            sa.select(props.c.artifact_id).where(props.c.name == name, condition))

    def where_clause(self, query: ListQuery) -> ColumnElement[bool]:
        """Type, scope, status and the filters: AND(and-filters) AND OR(or-filters)."""
        art = self.artifacts
        conditions = [art.c.type_name.in_(list(query.type_names)),
                      self.scope_condition(query.scope)]
        if not query.include_deleted:
            conditions.append(art.c.status != "deleted")
        and_filters = [self.filter_condition(f) for f in query.filters if f.combiner == "and"]
        or_filters = [self.filter_condition(f) for f in query.filters if f.combiner == "or"]
        conditions.extend(and_filters)
        if or_filters:
            conditions.append(sa.or_(*or_filters))
        return sa.and_(*conditions)

    def latest_condition(self, query: ListQuery) -> ColumnElement[bool]:
        """The artifact is the newest version of its name among those ``query`` matches
        (``version=latest``): no matching artifact of that name has a higher version.
        Answered per candidate by the (type_name, name, version_key) index, so a page
        costs a few probes, not a ranking of every artifact."""
        newer = self.layout.artifacts.alias("newer")
        return ~sa.exists().where(
            newer.c.name == self.artifacts.c.name,
            newer.c.version_key > self.artifacts.c.version_key,
            QueryBuilder(self.layout, newer).where_clause(query),
        )

    def sort_plan(self, sort: Sequence[SortKey], joined: frozenset[str] = frozenset()
                  ) -> SortPlan:
        return SortPlan(self.layout, sort, joined)


class SortPlan:
    """The ORDER BY expressions of a query plus how to read a marker's values for them.

    ``joined`` names the property fields whose rows every artifact has (inner join).
    """

    def __init__(self, layout: SqlLayout, sort: Sequence[SortKey],
                 joined: frozenset[str] = frozenset()) -> None:
        self.layout = layout
        self.joined = joined
        self.joins: list[tuple[Any, ColumnElement[bool], bool]] = []
        # Each entry: (SQL expression, direction, function(marker record) -> value)
        self.keys: list[tuple[Any, str, Any]] = []
        for key in sort:
            self._add(key)

    def _add(self, key: SortKey) -> None:
        spec = key.field
        name = spec.name
        art = self.layout.artifacts
        if name == "version":
            self.keys.append(
                (art.c.version_key, key.direction, lambda m: versions.sort_key(m["version"]))
            )
            self.keys.append((art.c.version, key.direction, lambda m: m["version"]))
        elif self.layout.is_column(spec):
            self.keys.append((art.c[name], key.direction, lambda m, n=name: m.get(n)))
        else:
            alias = self.layout.properties.alias(f"sort_{name}")
            self.joins.append(
                (alias, sa.and_(alias.c.artifact_id == art.c.id, alias.c.name == name),
                 name in self.joined)
            )
            column = alias.c[value_column(spec)]
            if spec.holds_versions:
                self.keys.append(
                    (alias.c.version_key, key.direction,
                     lambda m, n=name: None if m.get(n) is None else versions.sort_key(m[n]))
                )
            self.keys.append((column, key.direction, lambda m, n=name: m.get(n)))

    def order_by(self) -> list[Any]:
        return [
            expr.asc().nulls_last() if direction == "asc" else expr.desc().nulls_first()
            for expr, direction, _ in self.keys
        ]

    def apply_joins(self, from_clause: Any) -> Any:
        for alias, on, inner in self.joins:
            from_clause = from_clause.join(alias, on) if inner else from_clause.outerjoin(
                alias, on)
        return from_clause

    def after_marker(self, marker: dict[str, Any]) -> ColumnElement[bool]:
        """Rows strictly after ``marker`` in this order (keyset pagination)."""
        alternatives = []
        equal_so_far: list[ColumnElement[bool]] = []
        for expr, direction, read in self.keys:
            value = read(marker)
            alternatives.append(sa.and_(*equal_so_far, _strictly_after(expr, direction, value)))
            equal_so_far.append(expr.is_(None) if value is None else expr == value)
        after = sa.or_(*alternatives)
        bound = _index_bound(*self.keys[0][:2], self.keys[0][2](marker)) if self.keys else None
        return after if bound is None else sa.and_(bound, after)


def _index_bound(expr: Any, direction: str, value: Any) -> ColumnElement[bool] | None:
    """A condition implied by "after the marker" on the first sort key alone, which an
    index on that key can seek to (the OR of the exact condition cannot): page 200 then
    starts where page 199 ended instead of walking the 199 pages before it."""
    if value is None:
        return None
    if direction == "desc":
        return expr <= value  # NULLs come first descending: before the marker, excluded
    if getattr(expr, "nullable", True):
        return None  # NULLs come last ascending: after the marker, a bound would drop them
    return expr >= value


def _strictly_after(expr: Any, direction: str, value: Any) -> ColumnElement[bool]:
    # NULL is the largest value: last when ascending, first when descending.
    if direction == "asc":
        return sa.false() if value is None else sa.or_(expr > value, expr.is_(None))
    return expr.is_not(None) if value is None else expr < value
