"""The listing vocabulary shared by the engine (which builds queries) and data APIs.

Plain immutable values: no SQL and no HTTP here. Filter operands are already coerced to
the field's kind, so a data API only translates them into its storage's terms.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from glare_core.types.spec import FieldSpec

# Base columns every artifact row has, in the order the `all` pseudo-type sorts them.
BASE_SORT_KEYS = (
    "id",
    "name",
    "owner",
    "status",
    "visibility",
    "version",
    "created_at",
    "updated_at",
    "activated_at",
    "display_type_name",
    "type_name",
)


@dataclass(frozen=True)
class Filter:
    """One condition of a listing.

    ``target`` selects what is compared:

    * ``value`` — the field's value (scalar) or any element (list) or any value (dict);
    * ``key`` — a dict key (``dict_of_str=aaa``);
    * ``dict_value`` — the value under ``dict_key`` (``dict_of_str.pr1=val1``);
    * ``tags_all`` / ``tags_any`` — the tags parameters;
    * ``nothing`` — a condition no artifact meets (``dict.=`` with an empty key or value).

    ``operands`` has one item except for ``in`` and the tags targets.
    """

    field: FieldSpec
    op: str
    operands: tuple[Any, ...]
    target: str = "value"
    dict_key: str | None = None
    combiner: str = "and"


@dataclass(frozen=True)
class SortKey:
    field: FieldSpec
    direction: str  # "asc" | "desc"


@dataclass(frozen=True)
class Scope:
    """Which artifacts a caller may see: all of them, or public ones plus one project's."""

    see_all: bool = False
    project_id: str | None = None


@dataclass(frozen=True)
class ListQuery:
    type_names: tuple[str, ...]
    scope: Scope
    filters: tuple[Filter, ...] = ()
    sort: tuple[SortKey, ...] = ()
    limit: int = 25
    marker: dict[str, Any] | None = None
    latest: bool = False
    include_deleted: bool = False


@dataclass
class ListResult:
    artifacts: list[dict[str, Any]]
    total: int
    extra: dict[str, Any] = field(default_factory=dict)
