"""Listing over several data APIs: the ``all`` pseudo-type, and types a plugin keeps in
its own storage, are paged and ordered here as one SQL store would page and order them."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import replace

from glare_core.data.api import DataAPI
from glare_core.data.query import ListQuery, ListResult, SortKey
from glare_core.types import versions


def run_list(data_apis: Mapping[str, DataAPI], query: ListQuery) -> ListResult:
    """One page of ``query`` over the types it names, whichever data APIs keep them."""
    groups: dict[int, tuple[DataAPI, list[str]]] = {}
    for name in query.type_names:
        data_api = data_apis[name]
        groups.setdefault(id(data_api), (data_api, []))[1].append(name)
    if len(groups) == 1:
        (data_api, _), = groups.values()
        return data_api.list(query)
    if query.latest:
        return _latest_across_data_apis(query, list(groups.values()))
    # Types stored by different data APIs: merge their sorted pages.
    results = [
        data_api.list(replace(query, type_names=tuple(names)))
        for data_api, names in groups.values()
    ]
    merged = sorted(
        (artifact for result in results for artifact in result.artifacts),
        key=functools.cmp_to_key(functools.partial(compare_records, query.sort)),
    )
    return ListResult(merged[: query.limit], sum(r.total for r in results))


def _latest_across_data_apis(
    query: ListQuery, groups: list[tuple[DataAPI, list[str]]]
) -> ListResult:
    """``version=latest`` over types that different data APIs keep (``all``).

    The newest version of a name is decided across every type (§13.4: ``all`` groups
    by name only), which no single data API can do, so each one's newest-per-name
    records are gathered whole (one or a few per name) and filtered, sorted and paged
    here.
    """
    candidates = [
        artifact
        for data_api, names in groups
        for artifact in _every_page(data_api, replace(query, type_names=tuple(names)))
    ]
    keys = [versions.sort_key(artifact["version"]) for artifact in candidates]
    newest: dict[str, str] = {}
    for artifact, key in zip(candidates, keys, strict=True):
        newest[artifact["name"]] = max(newest.get(artifact["name"], key), key)
    latest = sorted(
        (r for r, key in zip(candidates, keys, strict=True) if key == newest[r["name"]]),
        key=functools.cmp_to_key(functools.partial(compare_records, query.sort)),
    )
    total = len(latest)
    if query.marker is not None:
        latest = [r for r in latest if compare_records(query.sort, r, query.marker) > 0]
    return ListResult(latest[: query.limit], total)

def _every_page(data_api: DataAPI, query: ListQuery, page_size: int = 1000) -> list[dict]:
    """Every record matching ``query`` (whatever its marker and limit), a page at a time."""
    artifacts: list[dict] = []
    page = replace(query, limit=page_size, marker=None)
    while True:
        found = data_api.list(page).artifacts
        artifacts.extend(found)
        if len(found) < page_size:
            return artifacts
        page = replace(page, marker=found[-1])


def compare_records(sort: Iterable[SortKey], left: Mapping, right: Mapping) -> int:
    """Compare two records in a sort order (NULL largest), as the SQL store orders them."""
    for key in sort:
        name = key.field.name
        a, b = left.get(name), right.get(name)
        if name == "version":
            a = (versions.sort_key(a), a) if a is not None else None
            b = (versions.sort_key(b), b) if b is not None else None
        if a == b:
            continue
        if a is None or b is None:
            order = 1 if a is None else -1
        else:
            order = -1 if a < b else 1
        return order if key.direction == "asc" else -order
    return 0
