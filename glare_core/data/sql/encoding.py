"""How field values map onto rows of the generic properties table, and back.

One property row holds one scalar: a scalar field's value, one list element (with
``position``) or one dict entry (with ``key_name``). The value lives in the column that
matches its kind, so comparisons and indexes stay typed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from glare_core.types import versions
from glare_core.types.fields import DEFAULT_MAX_STRING
from glare_core.types.kinds import FieldKind
from glare_core.types.spec import FieldSpec

#: The column of each kind's scalars; strings go by their length (``value_column``).
_COLUMN_OF_KIND = {
    FieldKind.INTEGER: "int_value",
    FieldKind.FLOAT: "float_value",
    FieldKind.BOOLEAN: "bool_value",
    FieldKind.VERSION: "string_value",
    FieldKind.LINK: "text_value",
}


def value_column(spec: FieldSpec) -> str:
    """Name of the properties column that stores this field's scalars."""
    column = _COLUMN_OF_KIND.get(spec.value_kind)
    if column is not None:
        return column
    element = spec.value_field
    max_length = getattr(element, "max_length", None)
    short = max_length is not None and max_length <= DEFAULT_MAX_STRING
    return "string_value" if short or _is_enum(element) else "text_value"


def _is_enum(field_obj: Any) -> bool:
    from marshmallow import validate

    return any(isinstance(v, validate.OneOf) for v in field_obj.validators)


def encode(artifact_id: str, spec: FieldSpec, value: Any) -> list[dict[str, Any]]:
    """Property rows for one field value: none for an empty list/dict, nor for null unless
    the field is sortable (a sort joins the rows of its field: every artifact has one)."""
    if value is None and not (spec.sortable and not spec.is_compound):
        return []
    column = value_column(spec)

    def row(scalar: Any, *, position: int | None = None, key: str | None = None) -> dict:
        out = {
            "artifact_id": artifact_id,
            "name": spec.name,
            "position": position,
            "key_name": key,
            "string_value": None,
            "text_value": None,
            "int_value": None,
            "float_value": None,
            "bool_value": None,
            "version_key": None,
        }
        out[column] = scalar
        if spec.holds_versions and scalar is not None:
            out["version_key"] = versions.sort_key(scalar)
        return out

    if spec.is_compound and not value:
        # An empty list/dict has no element rows; where the default differs (e.g. null),
        # one marker row (no position, no key, no value) records that it is empty.
        if spec.default_value() == value:
            return []
        return [row(None)]
    if spec.is_list:
        return [row(item, position=i) for i, item in enumerate(value)]
    if spec.is_dict:
        return [row(item, key=key) for key, item in value.items()]
    return [row(value)]


def decode(spec: FieldSpec, rows: Iterable[Mapping[str, Any]]) -> Any:
    """Rebuild a field value from its property rows (the default when there are none)."""
    rows = list(rows)
    if not rows:
        return spec.default_value()
    column = value_column(spec)
    if spec.is_compound:
        rows = [r for r in rows if r["position"] is not None or r["key_name"] is not None]
    if spec.is_list:
        ordered = sorted(rows, key=lambda r: r["position"] or 0)
        return [_scalar(spec, r[column]) for r in ordered]
    if spec.is_dict:
        return {r["key_name"]: _scalar(spec, r[column]) for r in rows}
    return _scalar(spec, rows[0][column])


def _scalar(spec: FieldSpec, raw: Any) -> Any:
    kind = spec.value_kind
    if kind == FieldKind.BOOLEAN and raw is not None:
        return bool(raw)
    if kind == FieldKind.FLOAT and raw is not None:
        return float(raw)
    return raw
