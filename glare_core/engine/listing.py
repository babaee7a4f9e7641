"""Parse list query parameters into a ``ListQuery`` (contract §15): pure, no I/O.

Filter values follow ``[combiner:][op:]operand``; because operands may contain colons the
splitting rules are exact (see ``split_filter_value``). Operands are coerced with the
field's (or its elements') kind and validators, so bad values fail here with 400.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from glare_core.data.query import Filter, SortKey
from glare_core.errors import BadRequest, InvalidFilterOperatorValue
from glare_core.types.base import ArtifactType
from glare_core.types.fields import ALL_OPS, plain_number_text
from glare_core.types.spec import FieldSpec

COMBINERS = ("and", "or")
RESERVED_PARAMS = ("limit", "marker", "sort")
TAG_PARAMS = {"tags": "tags_all", "tags-any": "tags_any"}
IMPLICIT_SORT = (("created_at", "desc"), ("id", "asc"))
# Timestamps are stored finer than the second they are shown with: these operators compare
# them as shown, so that an artifact shown as created at T is neither after nor before T.
SHOWN_PRECISION_OPS = ("gt", "gte", "lt", "lte")
SECOND = dt.timedelta(seconds=1)


@dataclass(frozen=True)
class ListParams:
    filters: tuple[Filter, ...]
    sort: tuple[SortKey, ...]
    limit: int
    marker: str | None
    latest: bool


def parse_list_params(
    artifact_type: ArtifactType,
    params: Iterable[tuple[str, str]],
    *,
    default_limit: int,
    max_limit: int,
) -> ListParams:
    """Interpret every query parameter of a list request (400 on the first bad one)."""
    filters: list[Filter] = []
    limit, marker, sort_value, latest = default_limit, None, None, False
    for name, value in params:
        if name == "limit":
            limit = parse_limit(value, max_limit)
        elif name == "marker":
            marker = value
        elif name == "sort":
            sort_value = value
        elif name == "version" and value == "latest":
            latest = True
        elif name in TAG_PARAMS:
            tag_filter = parse_tags_filter(artifact_type, name, value)
            if tag_filter is not None:
                filters.append(tag_filter)
        else:
            filters.append(parse_filter(artifact_type, name, value))
    sort = parse_sort(artifact_type, sort_value)
    return ListParams(tuple(filters), sort, limit, marker, latest)


def parse_limit(value: str, max_limit: int) -> int:
    try:
        limit = int(value) if plain_number_text(value) else None
    except ValueError:
        limit = None
    if limit is None:
        raise BadRequest(f"limit must be an integer, not {value!r}")
    if limit < 0:
        raise BadRequest("limit must not be negative")
    return min(limit, max_limit)


def split_filter_value(value: str) -> tuple[str, str, str]:
    """Split ``[combiner:][op:]operand`` into (combiner, op, operand)."""
    parts = value.split(":")
    if len(parts) == 1:
        return "and", "eq", value
    if len(parts) == 2:
        left, right = parts
        return (left, "eq", right) if left in COMBINERS else ("and", left, right)
    combiner, rest = "and", value
    if parts[0] in COMBINERS:
        combiner, rest = parts[0], value[len(parts[0]) + 1:]
    if _is_timestamp(rest):
        return combiner, "eq", rest
    op, _, operand = rest.partition(":")
    return combiner, op, operand


def _is_timestamp(text: str) -> bool:
    try:
        dt.datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def split_list(text: str) -> list[str]:
    """Split a comma list whose items may be double-quoted to contain commas."""
    items: list[str] = []
    i, n = 0, len(text)
    while True:
        if i < n and text[i] == '"':
            end = text.find('"', i + 1)
            if end == -1:
                raise BadRequest(f"Unterminated quote in list {text!r}")
            items.append(text[i + 1:end])
            i = end + 1
            if i < n and text[i] != ",":
                raise BadRequest(f"Unexpected character after a quoted item in {text!r}")
        else:
            end = text.find(",", i)
            item = text[i:] if end == -1 else text[i:end]
            if '"' in item:
                raise BadRequest(f"Misplaced quote in list {text!r}")
            items.append(item)
            i = n if end == -1 else end
        if i >= n:
            return items
        i += 1  # skip the comma


def parse_filter(artifact_type: ArtifactType, name: str, value: str) -> Filter:
    field_name, dot, dict_key = name.partition(".")
    spec = artifact_type.fields.get(field_name)
    if spec is None:
        raise BadRequest(f"Unknown filter field '{field_name}'")
    combiner, op, operand = split_filter_value(value)
    if op not in ALL_OPS:
        raise InvalidFilterOperatorValue(f"Unknown filter operator '{op}'")
    if dot:
        return _dict_value_filter(spec, dict_key, op, operand, combiner)
    if spec.is_dict:
        # ``f=k`` / ``f=in:k1,k2``: artifacts whose dict has one of these keys.
        if op not in ("eq", "in") or op not in spec.filter_ops:
            raise InvalidFilterOperatorValue(
                f"Dict field '{spec.name}' keys can only be filtered with eq or in"
            )
        keys = tuple(split_list(operand)) if op == "in" else (operand,)
        return Filter(field=spec, op=op, operands=keys, target="key", combiner=combiner)
    _check_op(spec, op)
    operands = _operands(spec, op, operand)
    if spec.is_datetime and op in SHOWN_PRECISION_OPS:
        op, operands = _as_shown(op, operands[0])
    return Filter(field=spec, op=op, operands=operands, combiner=combiner)


def _as_shown(op: str, value: object) -> tuple[str, tuple[object, ...]]:
    """``shown(t) <op> value`` as a condition on the stored ``t`` (``shown`` truncates to
    the second): the operator and operand to compare the stored value with."""
    if not isinstance(value, dt.datetime):
        return op, (value,)
    floor = value.replace(microsecond=0)
    try:
        ceiling = floor if floor == value else floor + SECOND
        after = floor + SECOND
    except OverflowError:  # the last second there is: nothing is stored past it
        return op, (value,)
    return {"gt": ("gte", (after,)), "gte": ("gte", (ceiling,)),
            "lt": ("lt", (ceiling,)), "lte": ("lt", (after,))}[op]


def _dict_value_filter(
    spec: FieldSpec, dict_key: str, op: str, operand: str, combiner: str
) -> Filter:
    if not spec.is_dict:
        raise BadRequest(f"Field '{spec.name}' is not a dict; '{spec.name}.<key>' is invalid")
    _check_op(spec, op)
    if not dict_key or operand == "":
        return Filter(field=spec, op=op, operands=(), target="nothing", combiner=combiner)
    return Filter(
        field=spec,
        op=op,
        operands=_operands(spec, op, operand),
        target="dict_value",
        dict_key=dict_key,
        combiner=combiner,
    )


def _check_op(spec: FieldSpec, op: str) -> None:
    if op not in spec.filter_ops:
        allowed = ", ".join(spec.filter_ops) or "none"
        raise InvalidFilterOperatorValue(
            f"Operator '{op}' is not allowed for field '{spec.name}' (allowed: {allowed})"
        )


def _operands(spec: FieldSpec, op: str, operand: str) -> tuple[object, ...]:
    raw = split_list(operand) if op == "in" else [operand]
    if op == "like":
        check_like_pattern(operand)
    return tuple(spec.coerce_element(item) for item in raw)


def check_like_pattern(pattern: str) -> None:
    """``like`` patterns use ``\\`` as the escape character (``\\%`` is a literal ``%``) on
    every database; one left dangling at the end escapes nothing: 400."""
    trailing = len(pattern) - len(pattern.rstrip("\\"))
    if trailing % 2:
        raise BadRequest("A like pattern must not end with a lone backslash (write \\\\)")


def parse_tags_filter(artifact_type: ArtifactType, name: str, value: str) -> Filter | None:
    combiner = "and"
    head, sep, rest = value.partition(":")
    if sep:
        if head not in COMBINERS or ":" in rest:
            raise BadRequest(f"'{name}' takes only an optional and:/or: prefix, no operators")
        combiner, value = head, rest
    if value == "":
        return None  # ``?tags`` or ``?tags=``: no filtering
    tags = tuple(split_list(value))
    spec = artifact_type.fields["tags"]
    return Filter(field=spec, op="in", operands=tags, target=TAG_PARAMS[name], combiner=combiner)


def parse_sort(artifact_type: ArtifactType, value: str | None) -> tuple[SortKey, ...]:
    """``k1[:dir],k2[:dir]`` (default dir desc) plus the implicit tie-breakers."""
    keys: list[SortKey] = []
    if value is not None:
        custom = 0
        for item in value.split(","):
            name, colon, direction = item.partition(":")
            if colon and not direction:
                raise BadRequest(f"Invalid sort direction '' in {item!r}; use asc or desc")
            direction = direction or "desc"
            if not name:
                raise BadRequest("Empty sort key")
            if direction not in ("asc", "desc") or ":" in direction:
                raise BadRequest(f"Invalid sort direction {direction!r}; use asc or desc")
            spec = artifact_type.fields.get(name)
            if spec is None or not spec.sortable:
                raise BadRequest(f"Cannot sort by '{name}': not a sortable field")
            if any(key.field.name == name for key in keys):
                # A repeated key cannot change the order; dropping it keeps the marker
                # condition (one alternative per key) from growing with the query string.
                continue
            if not spec.is_base:
                custom += 1
                if custom > 1:
                    raise BadRequest("At most one type-specific sort key is allowed")
            keys.append(SortKey(spec, direction))
    present = {key.field.name for key in keys}
    for name, direction in IMPLICIT_SORT:
        if name not in present:
            keys.append(SortKey(artifact_type.fields[name], direction))
    return tuple(keys)
