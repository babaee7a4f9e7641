"""Export an artifact type as a JSON-Schema (Draft 4) document with Glare's UI keywords.

Pure functions of the type's field specs (contract §19). Dashboards render forms from
these documents, so every validator a type declares is reflected where JSON-Schema can
express it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Protocol

from marshmallow import validate

from glare_core.types import validators as gv
from glare_core.types.base import STATUSES
from glare_core.types.field_base import GlareField
from glare_core.types.kinds import FieldKind
from glare_core.types.spec import FieldSpec


class DescribedType(Protocol):
    """What a schema is built from: an artifact type, or the ``all`` pseudo-type."""

    version: ClassVar[str]

    @property
    def type_name(self) -> str: ...

    display_name: str

    @property
    def fields(self) -> Mapping[str, FieldSpec]: ...

# Plain anchored SemVer 2.0 pattern (contract Q15: no /…/ wrapping).
VERSION_PATTERN = (
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)


def blob_schema() -> dict[str, Any]:
    """JSON-Schema of one blob value (with ``url``, contract Q14)."""
    return {
        "type": ["object", "null"],
        "properties": {
            "url": {"type": ["string", "null"]},
            "size": {"type": ["number", "null"]},
            "md5": {"type": ["string", "null"]},
            "sha1": {"type": ["string", "null"]},
            "sha256": {"type": ["string", "null"]},
            "external": {"type": "boolean"},
            "status": {"type": "string", "enum": ["saving", "active"]},
            "content_type": {"type": ["string", "null"]},
        },
        "required": ["size", "md5", "sha1", "sha256", "external", "status", "content_type"],
        "additionalProperties": False,
    }


#: The JSON-Schema keywords bounding a value's length, by kind (strings: the default).
_LENGTH_KEYWORDS = {
    FieldKind.LIST: ("minItems", "maxItems"),
    FieldKind.DICT: ("minProperties", "maxProperties"),
}


def validator_keywords(validators: list[Any], kind: FieldKind) -> dict[str, Any]:
    """JSON-Schema keywords expressing the validators of a field (or of its elements)."""
    out: dict[str, Any] = {}
    for v in validators:
        if isinstance(v, validate.Length):
            low, high = _LENGTH_KEYWORDS.get(kind, ("minLength", "maxLength"))
            if v.equal is not None:
                out[low] = out[high] = v.equal
            if v.min is not None:
                out[low] = max(v.min, out.get(low, v.min))
            if v.max is not None:
                out[high] = min(v.max, out.get(high, v.max))
        elif isinstance(v, validate.OneOf):
            out["enum"] = list(v.choices)
        elif isinstance(v, validate.Range):
            if v.min is not None:
                out["minimum"] = v.min
            if v.max is not None:
                out["maximum"] = v.max
        elif isinstance(v, validate.Regexp):
            out["pattern"] = v.regex.pattern
        elif isinstance(v, gv.LinksTo):
            out["pattern"] = v.pattern
        elif isinstance(v, gv.ForbiddenChars):
            chars = "".join("\\" + c if c in "]\\^-" else c for c in v.chars)
            out["pattern"] = f"^[^{chars}]+$"
        elif isinstance(v, gv.UniqueItems):
            out["uniqueItems"] = True
        elif isinstance(v, gv.RequiredDictKeys):
            out["required"] = list(v.keys)
    return out


def _scalar_schema(field: GlareField, nullable: bool) -> dict[str, Any]:
    json_type = field.json_type
    out: dict[str, Any] = {"type": [json_type, "null"] if nullable else json_type}
    out.update(validator_keywords(field.validators, field.kind))
    if field.kind == FieldKind.DATETIME:
        out["format"] = "date-time"
    if field.kind == FieldKind.VERSION:
        out["pattern"] = VERSION_PATTERN
    return out


def field_schema(spec: FieldSpec) -> dict[str, Any]:
    """The per-field schema entry, including Glare annotation keywords."""
    field = spec.field
    if spec.is_single_blob:
        out = blob_schema()
    elif spec.is_folder:
        out = {"type": ["object", "null"], "additionalProperties": blob_schema()}
        out["maxProperties"] = spec.max_keys
    elif spec.is_list:
        out = {"type": ["array", "null"] if spec.nullable else "array"}
        out.update(validator_keywords(field.validators, spec.kind))
        out["items"] = _scalar_schema(spec.value_field, False)
    elif spec.is_dict:
        out = {"type": ["object", "null"] if spec.nullable else "object"}
        out.update(validator_keywords(field.validators, spec.kind))
        value_schema = _scalar_schema(spec.value_field, False)
        allowed = next((v for v in field.validators if isinstance(v, gv.AllowedDictKeys)), None)
        if allowed is not None:
            nullable_value = dict(value_schema, type=[value_schema["type"], "null"])
            out["properties"] = {key: dict(nullable_value) for key in allowed.keys}
            out["additionalProperties"] = False
        else:
            out["additionalProperties"] = value_schema
    else:
        out = _scalar_schema(field, spec.nullable)
    if spec.name == "status" and spec.is_base:
        out["enum"] = list(STATUSES)
    out["glareType"] = spec.glare_type
    if spec.system:
        out["readOnly"] = True
    if spec.mutable:
        out["mutable"] = True
    if spec.sortable:
        out["sortable"] = True
    if not spec.required_on_activate:
        out["required_on_activate"] = False
    out["filter_ops"] = list(spec.filter_ops)
    default = spec.default_value()
    if default is not None:
        out["default"] = default
    if spec.description:
        out["description"] = spec.description
    if spec.ui_metadata:
        out["metadata"] = dict(spec.ui_metadata)
    return out


def type_schema(artifact_type: DescribedType) -> dict[str, Any]:
    """The whole JSON-Schema document of one type."""
    version = type(artifact_type).version
    required = [
        name for name, spec in artifact_type.fields.items()
        if not spec.nullable and spec.default is None and not spec.system
    ]
    return {
        "name": artifact_type.type_name,
        "display_name": artifact_type.display_name,
        "version": version,
        "title": f"Artifact type {artifact_type.type_name} of version {version}",
        "type": "object",
        "required": required,
        "properties": {name: field_schema(spec) for name, spec in artifact_type.fields.items()},
    }
