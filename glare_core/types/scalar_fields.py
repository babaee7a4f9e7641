"""The scalar field kinds: one JSON value each, coerced as the contract says (§9.2)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from marshmallow import fields, validate

from glare_core.types import versions
from glare_core.types.field_base import ORDERED_OPS, GlareField
from glare_core.types.kinds import FieldKind
from glare_core.types.limits import DEFAULT_MAX_STRING, INT64_MAX, INT64_MIN, MAX_LINK_LENGTH
from glare_core.types.text import plain_number_text, unstorable_text

_TRUTHY = frozenset({"1", "t", "true", "on", "y", "yes"})


class String(GlareField, fields.String):
    """Text. Numbers and booleans are accepted and turned into their text form."""

    kind = FieldKind.STRING
    glare_type = "String"
    json_type = "string"
    default_filter_ops = ("eq", "neq", "in")
    allowed_filter_ops = ("eq", "neq", "in", "like")

    def default_validators(self, given: list[Any]) -> list[Any]:
        has_max = any(isinstance(v, validate.Length) and v.max is not None for v in given)
        has_enum = any(isinstance(v, validate.OneOf) for v in given)
        return [] if has_max or has_enum else [validate.Length(max=DEFAULT_MAX_STRING)]

    @property
    def max_length(self) -> int | None:
        lengths = [v.max for v in self.validators if isinstance(v, validate.Length) and v.max]
        return min(lengths) if lengths else None

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        if isinstance(value, str):
            text = value
        elif isinstance(value, (bool, int, float)):
            text = str(value)
        else:
            raise self.fail("must be a string")
        if problem := unstorable_text(text):
            raise self.fail(problem)
        return text


class Integer(GlareField, fields.Integer):
    """Whole number with ``int()`` semantics (floats truncate, booleans are 1/0)."""

    kind = FieldKind.INTEGER
    glare_type = "Integer"
    json_type = "integer"
    default_filter_ops = ORDERED_OPS
    allowed_filter_ops = ORDERED_OPS

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        if isinstance(value, float) and not math.isfinite(value):
            raise self.fail("must be a finite number")
        if not isinstance(value, (str, int, float)) or not plain_number_text(value):
            raise self.fail("must be an integer")
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise self.fail("must be an integer") from None
        if not INT64_MIN <= number <= INT64_MAX:
            raise self.fail("is out of the 64-bit integer range")
        return number


class Float(GlareField, fields.Float):
    """Floating point number with ``float()`` semantics."""

    kind = FieldKind.FLOAT
    glare_type = "Float"
    json_type = "number"
    default_filter_ops = ORDERED_OPS
    allowed_filter_ops = ORDERED_OPS

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> float:
        if not isinstance(value, (str, int, float)) or not plain_number_text(value):
            raise self.fail("must be a number")
        try:
            number = float(value)
        except OverflowError:  # an integer beyond any float (10**400)
            raise self.fail("must be a finite number") from None
        except (TypeError, ValueError):
            raise self.fail("must be a number") from None
        if not math.isfinite(number):
            raise self.fail("must be a finite number")
        return number


class Boolean(GlareField, fields.Boolean):
    """Flexible boolean: true iff the lower-cased text is 1, t, true, on, y or yes. Never fails."""

    kind = FieldKind.BOOLEAN
    glare_type = "Boolean"
    json_type = "boolean"
    default_filter_ops = ("eq", "neq")
    allowed_filter_ops = ("eq", "neq")

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        return str(value).strip().lower() in _TRUTHY


class DateTime(GlareField, fields.DateTime):
    """UTC timestamp; only server-set fields use this kind. Input is ISO-8601."""

    kind = FieldKind.DATETIME
    glare_type = "DateTime"
    json_type = "string"
    default_filter_ops = ("lt", "gt")
    allowed_filter_ops = ("lt", "gt")

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> dt.datetime:
        if isinstance(value, dt.datetime):
            moment = value
        elif isinstance(value, str):
            try:
                moment = dt.datetime.fromisoformat(value.strip())
            except ValueError:
                raise self.fail("must be an ISO-8601 timestamp") from None
        else:
            raise self.fail("must be an ISO-8601 timestamp")
        if moment.tzinfo is not None:
            try:
                moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
            except OverflowError:  # e.g. 0001-01-01T00:00+01:00 is before year 1 in UTC
                raise self.fail("is out of the supported date range") from None
        return moment


class Version(GlareField, fields.String):
    """Semantic version; input is normalized (``1.0`` → ``1.0.0``), see types/versions.py."""

    kind = FieldKind.VERSION
    glare_type = "String"
    json_type = "string"
    default_filter_ops = ORDERED_OPS
    allowed_filter_ops = ORDERED_OPS

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        try:
            return versions.coerce(value)
        except ValueError as exc:
            raise self.fail(str(exc)) from None


class Link(GlareField, fields.String):
    """Reference to another artifact (``/artifacts/<type>/<id>``) or an http(s) URL.

    Only the syntax is checked here; the engine checks that internal targets exist and
    are visible to the caller.
    """

    kind = FieldKind.LINK
    glare_type = "Link"
    json_type = "string"
    default_filter_ops = ("eq", "neq")
    allowed_filter_ops = ("eq", "neq")

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str):
            raise self.fail("a link must be a string")
        if len(value) > MAX_LINK_LENGTH:
            raise self.fail(f"a link must be at most {MAX_LINK_LENGTH} characters")
        if parse_internal_link(value) is not None:
            return value
        scheme = value.split("://", 1)[0].lower() if "://" in value else ""
        if scheme in ("http", "https") and len(value) > len(scheme) + 3:
            return value
        raise self.fail(
            "a link must be '/artifacts/<type>/<id>' or an http(s) URL, not " + repr(value)
        )


def parse_internal_link(value: str) -> tuple[str, str] | None:
    """Return (type_name, artifact_id) for an internal link, else None."""
    parts = value.split("/")
    if len(parts) == 4 and parts[0] == "" and parts[1] == "artifacts" and parts[2] and parts[3]:
        return parts[2], parts[3]
    return None
