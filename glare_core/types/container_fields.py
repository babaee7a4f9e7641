"""The container field kinds: a list or a string-keyed dict of scalars of one kind."""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import ValidationError, fields, validate

from glare_core.types.field_base import GlareField
from glare_core.types.kinds import FieldKind
from glare_core.types.limits import DEFAULT_MAX_ITEMS, DEFAULT_MAX_STRING
from glare_core.types.text import flatten_messages, unstorable_text
from glare_core.types.validators import DictKeyLength, UniqueItems


class List(GlareField, fields.List):
    """A list of scalar values of one kind (``List(String())``)."""

    kind = FieldKind.LIST
    scalar = False
    json_type = "array"
    empty_default: ClassVar[Any] = ()
    # marshmallow keeps (a bound copy of) the element given below: always a Glare field.
    inner: GlareField

    def __init__(
        self,
        element: GlareField | type[GlareField],
        *,
        max_size: int = DEFAULT_MAX_ITEMS,
        **kwargs: Any,
    ) -> None:
        self._element = element() if isinstance(element, type) else element
        self.max_size = max_size
        super().__init__(**kwargs)

    def _init_marshmallow(self, **kwargs: Any) -> None:
        fields.List.__init__(self, self._element, **kwargs)

    @property
    def element(self) -> GlareField:
        return self.inner

    @property
    def glare_type_name(self) -> str:
        return f"{self.inner.glare_type}List"

    @property
    def dedupe(self) -> bool:
        return any(isinstance(v, UniqueItems) and v.convert_to_set for v in self.validators)

    def default_validators(self, given: list[Any]) -> list[Any]:
        if any(isinstance(v, validate.Length) and v.max is not None for v in given):
            return []
        return [validate.Length(max=self.max_size)]

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail("must be a list")
        items = []
        for index, item in enumerate(value):
            if item is None:
                raise self.fail(f"item {index} must not be null")
            try:
                items.append(self.inner.deserialize(item))
            except ValidationError as exc:
                raise self.fail(f"item {index} {flatten_messages(exc.messages)}") from None
        if self.dedupe:
            items = sorted(set(items))
        return items


class Dict(GlareField, fields.Dict):
    """A string-keyed dict of scalar values of one kind (``Dict(Integer())``)."""

    kind = FieldKind.DICT
    scalar = False
    json_type = "object"
    empty_default: ClassVar[Any] = {}
    # marshmallow keeps (a bound copy of) the element given below: always a Glare field.
    value_field: GlareField

    def __init__(
        self,
        element: GlareField | type[GlareField],
        *,
        max_size: int = DEFAULT_MAX_ITEMS,
        **kwargs: Any,
    ) -> None:
        self._element = element() if isinstance(element, type) else element
        self.max_size = max_size
        super().__init__(**kwargs)

    def _init_marshmallow(self, **kwargs: Any) -> None:
        fields.Dict.__init__(self, values=self._element, **kwargs)

    @property
    def element(self) -> GlareField:
        return self.value_field

    @property
    def glare_type_name(self) -> str:
        return f"{self.value_field.glare_type}Dict"

    def default_validators(self, given: list[Any]) -> list[Any]:
        extra: list[Any] = []
        if not any(isinstance(v, validate.Length) and v.max is not None for v in given):
            extra.append(validate.Length(max=self.max_size))
        if not any(isinstance(v, DictKeyLength) for v in given):
            extra.append(DictKeyLength(min_length=1, max_length=DEFAULT_MAX_STRING))
        return extra

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail("must be an object")
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise self.fail("keys must be strings")
            if problem := unstorable_text(key):
                raise self.fail(f"keys: {problem}")
            if item is None:
                raise self.fail(f"value of key '{key}' must not be null")
            try:
                out[key] = self.value_field.deserialize(item)
            except ValidationError as exc:
                raise self.fail(f"value of key '{key}' {flatten_messages(exc.messages)}") from None
        return out
