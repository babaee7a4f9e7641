"""Validators that marshmallow does not ship and that Glare field kinds need.

Types combine these with marshmallow's own ``Length``, ``OneOf``, ``Range`` and ``Regexp``
(``Regexp`` matches from the start of the value without anchoring its end, as the contract
requires). Every validator here is a plain callable that raises ``ValidationError``; the
JSON-Schema exporter (types/jsonschema.py) knows how to describe each of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from marshmallow import ValidationError
from marshmallow.validate import Validator


class ForbiddenChars(Validator):
    """The string must not contain any of ``chars``."""

    def __init__(self, chars: Iterable[str]) -> None:
        self.chars = tuple(chars)

    def __call__(self, value: str) -> str:
        bad = sorted({c for c in value if c in self.chars})
        if bad:
            raise ValidationError(f"contains forbidden characters: {', '.join(bad)}")
        return value

    def _repr_args(self) -> str:
        return f"chars={self.chars!r}"


class UniqueItems(Validator):
    """List items must be unique.

    With ``convert_to_set=True`` duplicates are not an error: the list field drops them
    (sorted, since order is not kept) before validation runs.
    """

    def __init__(self, convert_to_set: bool = False) -> None:
        self.convert_to_set = convert_to_set

    def __call__(self, value: Sequence[Any]) -> Sequence[Any]:
        if len(set(value)) != len(value):
            raise ValidationError("items must be unique")
        return value

    def _repr_args(self) -> str:
        return f"convert_to_set={self.convert_to_set!r}"


class AllowedDictKeys(Validator):
    """Every key of the dict must be one of ``keys``."""

    def __init__(self, keys: Iterable[str]) -> None:
        self.keys = tuple(keys)

    def __call__(self, value: Mapping[str, Any]) -> Mapping[str, Any]:
        extra = sorted(set(value) - set(self.keys))
        if extra:
            raise ValidationError(
                f"keys {', '.join(extra)} are not allowed; allowed keys: {', '.join(self.keys)}"
            )
        return value

    def _repr_args(self) -> str:
        return f"keys={self.keys!r}"


class RequiredDictKeys(Validator):
    """Every key in ``keys`` must be present in the dict."""

    def __init__(self, keys: Iterable[str]) -> None:
        self.keys = tuple(keys)

    def __call__(self, value: Mapping[str, Any]) -> Mapping[str, Any]:
        missing = sorted(set(self.keys) - set(value))
        if missing:
            raise ValidationError(f"required keys are missing: {', '.join(missing)}")
        return value

    def _repr_args(self) -> str:
        return f"keys={self.keys!r}"


class DictKeyLength(Validator):
    """Every key of the dict must be between ``min`` and ``max`` characters long."""

    # Not named min/max: apispec would mistake this validator for a numeric range.
    def __init__(self, min_length: int | None = None, max_length: int | None = None) -> None:
        self.min_length = min_length
        self.max_length = max_length

    def __call__(self, value: Mapping[str, Any]) -> Mapping[str, Any]:
        for key in value:
            if self.min_length is not None and len(key) < self.min_length:
                raise ValidationError(
                    f"dict keys must be at least {self.min_length} characters long"
                )
            if self.max_length is not None and len(key) > self.max_length:
                raise ValidationError(
                    f"dict keys must be at most {self.max_length} characters long"
                )
        return value

    def _repr_args(self) -> str:
        return f"min_length={self.min_length!r}, max_length={self.max_length!r}"


class LinksTo(Validator):
    """A link must name an artifact of ``type_name`` (``/artifacts/<type_name>/<id>``)."""

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name
        self.pattern = "^" + re.escape(f"/artifacts/{type_name}/") + "[^/]+$"

    def __call__(self, value: str) -> str:
        if not re.match(self.pattern, value):
            raise ValidationError(
                f"must link to a {self.type_name} artifact (/artifacts/{self.type_name}/<id>)"
            )
        return value

    def _repr_args(self) -> str:
        return f"type_name={self.type_name!r}"
