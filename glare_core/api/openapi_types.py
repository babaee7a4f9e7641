"""OpenAPI 3.0 request schemas of an artifact type, derived from its field specs.

A create body may set exactly the fields a client owns: not the system fields, not the
lifecycle fields (``status``, ``visibility``: PATCH only), not ``display_type_name`` and
not blob data (the blob API). Each field says what the server accepts in canonical form:
the JSON type of its kind, its validators, and text the databases can store (no NUL, no
character outside the Basic Multilingual Plane). The server also coerces other input
(``"2"`` for an integer, contract §9.2); the schemas describe the canonical form only.

What OpenAPI 3.0 cannot say is left to the descriptions: dict keys must be 1..255
characters of storable text, and an internal link must name an artifact the caller can
see.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from marshmallow import validate

from glare_core.types import validators as gv
from glare_core.types.base import CREATE_FORBIDDEN
from glare_core.types.fields import INT64_MAX, INT64_MIN, MAX_LINK_LENGTH
from glare_core.types.jsonschema import validator_keywords
from glare_core.types.kinds import FieldKind
from glare_core.types.spec import FieldSpec
from glare_core.types.versions import MAX_COMPONENT, MAX_VERSION_LENGTH

if TYPE_CHECKING:
    from glare_core.types.base import ArtifactType

_FIRST_BMP, _LAST_BMP = 0x0001, 0xFFFF
_SURROGATES = range(0xD800, 0xE000)


def storable_chars(excluded: str = "") -> str:
    """A regex character class of the characters a string may hold, less ``excluded``.

    Written as ranges of BMP code points without NUL and surrogates, so the class means
    the same to Python, Rust and ECMAScript regexes (where a character outside the BMP is
    a surrogate pair, and so excluded too).
    """
    ranges = [(_FIRST_BMP, _SURROGATES.start - 1), (_SURROGATES.stop, _LAST_BMP)]
    for code in sorted({ord(c) for c in excluded}):
        split: list[tuple[int, int]] = []
        for low, high in ranges:
            if low <= code <= high:  # cut the excluded character out of its range
                split += [(low, code - 1), (code + 1, high)]
            else:
                split.append((low, high))
        ranges = [(low, high) for low, high in split if low <= high]
    return "[" + "".join(
        _escape(low) if low == high else f"{_escape(low)}-{_escape(high)}"
        for low, high in ranges) + "]"


def _escape(code: int) -> str:
    return f"\\u{code:04x}"


STORABLE_TEXT = f"^{storable_chars()}*$"


def _number_up_to(limit: int) -> str:
    """A regex of the decimal numbers 0..``limit`` written without leading zeros."""
    digits = str(limit)
    options = ["0"] + [f"[1-9][0-9]{{{n}}}" for n in range(len(digits) - 1)]
    for i, digit in enumerate(digits):  # as many digits as the limit: below it at digit i
        low = 1 if i == 0 else 0
        if int(digit) > low:
            rest = len(digits) - i - 1
            tail = f"[0-9]{{{rest}}}" if rest else ""
            options.append(f"{digits[:i]}[{low}-{int(digit) - 1}]{tail}")
    options.append(digits)
    return "(?:" + "|".join(options) + ")"


_COMPONENT = _number_up_to(MAX_COMPONENT)
_IDENTIFIER = r"(?:0|[1-9][0-9]{0,5}|[0-9]*[A-Za-z-][0-9A-Za-z-]*)"
_BUILD_IDENTIFIER = r"[0-9A-Za-z-]+"
#: Versions as clients write them: one to three numbers (``1``, ``1.0``, ``1.0.0``) each at
#: most 65535, then an optional SemVer pre-release and build (contract §13.1).
VERSION_INPUT_PATTERN = (
    f"^{_COMPONENT}(?:\\.{_COMPONENT}){{0,2}}"
    f"(?:-{_IDENTIFIER}(?:\\.{_IDENTIFIER})*)?"
    f"(?:\\+{_BUILD_IDENTIFIER}(?:\\.{_BUILD_IDENTIFIER})*)?$"
)
INTERNAL_LINK_PATTERN = "^/artifacts/[^/]+/[^/]+$"
EXTERNAL_LINK_PATTERN = "^[hH][tT][tT][pP][sS]?://.+$"


def _string_schema(validators: list[Any]) -> dict[str, Any]:
    # Lengths and choices as in the type's JSON-Schema (§19); the pattern is stricter.
    keywords = validator_keywords(validators, FieldKind.STRING)
    out: dict[str, Any] = {"type": "string", **{
        key: value for key, value in keywords.items()
        if key in ("minLength", "maxLength", "enum")}}
    pattern = STORABLE_TEXT
    for v in validators:
        if isinstance(v, validate.Regexp):
            # marshmallow's Regexp matches from the start, a JSON-Schema pattern anywhere.
            regex = v.regex.pattern
            pattern = regex if regex.startswith("^") else f"^(?:{regex})"
        elif isinstance(v, gv.ForbiddenChars):
            pattern = f"^{storable_chars(''.join(v.chars))}+$"
    if "enum" in out:
        out["enum"] = [str(choice) for choice in out["enum"]]
    else:
        out["pattern"] = pattern
    return out


def _number_schema(kind: FieldKind, validators: list[Any]) -> dict[str, Any]:
    out: dict[str, Any] = (
        {"type": "integer", "format": "int64", "minimum": INT64_MIN, "maximum": INT64_MAX}
        if kind == FieldKind.INTEGER else {"type": "number", "format": "double"})
    keywords = validator_keywords(validators, kind)
    if "minimum" in keywords:
        out["minimum"] = max(keywords["minimum"], out.get("minimum", keywords["minimum"]))
    if "maximum" in keywords:
        out["maximum"] = min(keywords["maximum"], out.get("maximum", keywords["maximum"]))
    if "enum" in keywords:
        out["enum"] = keywords["enum"]
    for v in validators:  # OpenAPI 3.0's booleans; the §19 export has no exclusive bounds
        if isinstance(v, validate.Range):
            if not v.min_inclusive:
                out["exclusiveMinimum"] = True
            if not v.max_inclusive:
                out["exclusiveMaximum"] = True
    return out


def scalar_input_schema(kind: FieldKind, validators: list[Any]) -> dict[str, Any]:
    """The canonical input of one scalar of ``kind`` with its validators."""
    if kind == FieldKind.STRING:
        return _string_schema(validators)
    if kind in (FieldKind.INTEGER, FieldKind.FLOAT):
        return _number_schema(kind, validators)
    if kind == FieldKind.BOOLEAN:
        return {"type": "boolean"}
    if kind == FieldKind.VERSION:
        return {"type": "string", "maxLength": MAX_VERSION_LENGTH,
                "pattern": VERSION_INPUT_PATTERN}
    if kind == FieldKind.LINK:
        return {"type": "string", "maxLength": MAX_LINK_LENGTH,
                "anyOf": [{"pattern": INTERNAL_LINK_PATTERN},
                          {"pattern": EXTERNAL_LINK_PATTERN}],
                "description": "/artifacts/<type>/<id> of an artifact the caller can see, "
                               "or an http(s) URL."}
    raise ValueError(f"{kind} values are not set through JSON bodies")


def field_input_schema(spec: FieldSpec) -> dict[str, Any]:
    """What a client may send for one field (create, or ``replace /<field>``)."""
    field = spec.field
    if spec.is_list:
        keywords = validator_keywords(field.validators, spec.kind)
        out: dict[str, Any] = {"type": "array", "items": scalar_input_schema(
            spec.value_kind, spec.value_field.validators), **{
            key: value for key, value in keywords.items() if key in ("minItems", "maxItems")}}
        # A list that drops duplicates (convert_to_set) accepts them.
        if any(isinstance(v, gv.UniqueItems) and not v.convert_to_set
               for v in field.validators):
            out["uniqueItems"] = True
    elif spec.is_dict:
        value_schema = scalar_input_schema(spec.value_kind, spec.value_field.validators)
        keywords = validator_keywords(field.validators, spec.kind)
        out = {"type": "object", "description": "Keys: 1 to 255 characters.", **{
            key: value for key, value in keywords.items()
            if key in ("minProperties", "maxProperties", "required")}}
        for v in field.validators:
            if isinstance(v, gv.AllowedDictKeys):
                out["properties"] = {key: dict(value_schema) for key in v.keys}
            elif isinstance(v, gv.DictKeyLength):
                out["description"] = (f"Keys: {v.min_length or 0} to {v.max_length} "
                                      "characters.")
        out["additionalProperties"] = False if "properties" in out else value_schema
    else:
        out = scalar_input_schema(spec.kind, field.validators)
    if spec.nullable:
        out["nullable"] = True
    if spec.description:
        out["description"] = spec.description + (
            f" {out['description']}" if "description" in out else "")
    return out


def creatable_fields(artifact_type: ArtifactType) -> dict[str, FieldSpec]:
    """The fields a create body may set (the server refuses the others)."""
    return {name: spec for name, spec in artifact_type.fields.items()
            if not spec.system and not spec.is_blob and name not in CREATE_FORBIDDEN}


def create_schema(artifact_type: ArtifactType) -> dict[str, Any]:
    """The body of ``POST /artifacts/<type>``."""
    fields = creatable_fields(artifact_type)
    required = [name for name, spec in fields.items()
                if not spec.nullable and spec.default is None]
    return {
        "type": "object",
        "description": f"A new {artifact_type.type_name} artifact. status, visibility, "
                       "system fields and blob data cannot be set here.",
        "properties": {name: field_input_schema(spec) for name, spec in fields.items()},
        "required": required,
        "additionalProperties": False,
    }
