"""Glare field kinds as marshmallow fields.

A type declares its fields with these classes on a schema that extends
``BaseArtifactSchema``. Each kind implements the contract's JSON coercion (§9.2) in
``_deserialize``; marshmallow then runs the field's validators. Glare's field attributes
(mutable, system, required_on_activate, nullable, default, sortable, filter_ops, ...) are
keyword arguments stored in the field's ``metadata`` under the same names, where the type
registry (types/spec.py) reads them.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from marshmallow import ValidationError, fields, validate

from glare_core.types import versions
from glare_core.types.validators import DictKeyLength, UniqueItems

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB

DEFAULT_MAX_STRING = 255
DEFAULT_MAX_ITEMS = 255
DEFAULT_MAX_BLOB_SIZE = 10 * MIB
DEFAULT_MAX_FOLDER_SIZE = 2550 * MIB
MAX_LINK_LENGTH = 2048
MAX_FOLDER_KEY_LENGTH = 2048
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

#: Text Python's int() and float() accept beyond what clients mean by a number: digit
#: separators (``1_000``) and digits of other scripts (``٣``).
_UNUSUAL_NUMBER_TEXT = re.compile(r"[^\x00-\x7f]|_")


def plain_number_text(value: Any) -> bool:
    """False for a string that only Python would read as a number (see above)."""
    return not (isinstance(value, str) and _UNUSUAL_NUMBER_TEXT.search(value))

ALL_OPS = ("eq", "neq", "in", "gt", "gte", "lt", "lte", "like")
ORDERED_OPS = ("eq", "neq", "in", "gt", "gte", "lt", "lte")

_TRUTHY = frozenset({"1", "t", "true", "on", "y", "yes"})


class _Unset:
    """Marks an attribute the type author did not give (distinct from an explicit None)."""

    def __repr__(self) -> str:
        return "<unset>"


UNSET: Any = _Unset()

GLARE_ATTRIBUTES = (
    "mutable",
    "system",
    "required_on_activate",
    "nullable",
    "default",
    "sortable",
    "filter_ops",
    "description",
    "ui_metadata",
)


# NUL, lone UTF-16 surrogates (valid JSON escapes, but not text) and non-BMP characters.
_UNSTORABLE_CHAR = re.compile("[\x00\ud800-\udfff\U00010000-\U0010ffff]")


def unstorable_text(text: str) -> str | None:
    """Why ``text`` cannot be stored as artifact data, or None when it can.

    Characters outside the BMP are refused by the contract (§2). NUL is refused because
    PostgreSQL text cannot hold it, and every database must accept the same data; a lone
    surrogate (``"\\ud800"`` in JSON) is not a character at all and has no UTF-8 form.
    """
    found = _UNSTORABLE_CHAR.search(text)
    if found is None:
        return None
    char = ord(found.group())
    if char == 0:
        return "NUL characters are not allowed"
    if char <= 0xDFFF:
        return "unpaired surrogate characters are not allowed"
    return "characters outside the Basic Multilingual Plane are not allowed"


class GlareField(fields.Field):
    """Common base of every Glare field kind.

    :param mutable: the field may change while the artifact is ``active``.
    :param system: read-only for clients (set by the server or by type hooks).
    :param required_on_activate: must be non-null before ``drafted → active``.
    :param nullable: ``null`` is accepted (and resets the field to its default).
    :param default: value used when the field is not supplied or set to null.
    :param sortable: the field may be used in ``sort`` (scalar kinds only).
    :param filter_ops: operators accepted in list filters; None = the kind's defaults.
    :param description: shown in the type's JSON schema.
    :param ui_metadata: free dict copied into the JSON schema as ``metadata`` (UI hints).
    :param validate: marshmallow validators run after coercion (skipped for null).
    """

    glare_type: ClassVar[str] = ""
    json_type: ClassVar[str] = "string"
    default_filter_ops: ClassVar[tuple[str, ...]] = ()
    allowed_filter_ops: ClassVar[tuple[str, ...]] = ()
    scalar: ClassVar[bool] = True
    empty_default: ClassVar[Any] = None

    def __init__(
        self,
        *,
        mutable: bool = False,
        system: bool = False,
        required_on_activate: bool = True,
        nullable: bool = True,
        default: Any = UNSET,
        sortable: bool = False,
        filter_ops: Iterable[str] | None = None,
        description: str = "",
        ui_metadata: Mapping[str, Any] | None = None,
        validate: Any = None,
        metadata: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        attrs = dict(metadata or {})
        given = {
            "mutable": mutable,
            "system": system,
            "required_on_activate": required_on_activate,
            "nullable": nullable,
            "default": self.empty_default if default is UNSET else default,
            "sortable": sortable,
            "filter_ops": tuple(filter_ops) if filter_ops is not None else None,
            "description": description,
            "ui_metadata": dict(ui_metadata) if ui_metadata else None,
        }
        for name, value in given.items():
            attrs.setdefault(name, value)
        validators = _as_list(validate)
        validators.extend(self.default_validators(validators))
        self._init_marshmallow(
            allow_none=attrs["nullable"], validate=validators, metadata=attrs, **kwargs
        )

    def _init_marshmallow(self, **kwargs: Any) -> None:
        # The marshmallow class this kind extends (String, Integer, ...) comes next in the MRO.
        super().__init__(**kwargs)

    def default_validators(self, given: list[Any]) -> list[Any]:
        """Implicit validators the contract adds to this kind (e.g. max 255 characters)."""
        return []

    @property
    def glare_type_name(self) -> str:
        """The contract's ``glareType`` (``String``, ``IntegerList``, ``BlobDict``, ...)."""
        return self.glare_type

    def fail(self, message: str) -> ValidationError:
        """Build the error raised when coercion fails (the caller raises it)."""
        return ValidationError(message)


def _as_list(validate: Any) -> list[Any]:
    if validate is None:
        return []
    if callable(validate):
        return [validate]
    return list(validate)


class String(GlareField, fields.String):
    """Text. Numbers and booleans are accepted and turned into their text form."""

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

    glare_type = "Boolean"
    json_type = "boolean"
    default_filter_ops = ("eq", "neq")
    allowed_filter_ops = ("eq", "neq")

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        return str(value).strip().lower() in _TRUTHY


class DateTime(GlareField, fields.DateTime):
    """UTC timestamp; only server-set fields use this kind. Input is ISO-8601."""

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


class List(GlareField, fields.List):
    """A list of scalar values of one kind (``List(String())``)."""

    scalar = False
    json_type = "array"
    empty_default: ClassVar[Any] = ()

    def __init__(self, element: GlareField, *, max_size: int = DEFAULT_MAX_ITEMS, **kwargs: Any):
        self._element = element() if isinstance(element, type) else element
        self.max_size = max_size
        super().__init__(**kwargs)

    def _init_marshmallow(self, **kwargs: Any) -> None:
        fields.List.__init__(self, self._element, **kwargs)

    @property
    def element(self) -> GlareField:
        return self.inner  # type: ignore[return-value]

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

    scalar = False
    json_type = "object"
    empty_default: ClassVar[Any] = {}

    def __init__(self, element: GlareField, *, max_size: int = DEFAULT_MAX_ITEMS, **kwargs: Any):
        self._element = element() if isinstance(element, type) else element
        self.max_size = max_size
        super().__init__(**kwargs)

    def _init_marshmallow(self, **kwargs: Any) -> None:
        fields.Dict.__init__(self, values=self._element, **kwargs)

    @property
    def element(self) -> GlareField:
        return self.value_field  # type: ignore[return-value]

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


class Blob(GlareField, fields.Dict):
    """A single binary file; managed only through the blob endpoints.

    :param max_blob_size: upper bound of the uploaded data in bytes.
    :param store: name of the blob store for this field (None = the type's / global default).
    """

    glare_type = "Blob"
    json_type = "object"
    scalar = False

    def __init__(
        self,
        *,
        max_blob_size: int = DEFAULT_MAX_BLOB_SIZE,
        store: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.max_blob_size = max_blob_size
        self.store = store
        kwargs.setdefault("required_on_activate", False)
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        raise self.fail("blob data can only be set through the blob API")


class Folder(GlareField, fields.Dict):
    """A named collection of blobs (``key → blob``); a.k.a. blob dict.

    :param max_blob_size: upper bound of each blob in bytes.
    :param max_folder_size: upper bound of the sum of uploaded blob sizes.
    :param max_keys: maximum number of entries.
    :param max_key_length: maximum key length (up to 2048).
    :param store: name of the blob store for this field (None = default).
    """

    glare_type = "BlobDict"
    json_type = "object"
    scalar = False
    empty_default: ClassVar[Any] = {}

    def __init__(
        self,
        *,
        max_blob_size: int = DEFAULT_MAX_BLOB_SIZE,
        max_folder_size: int = DEFAULT_MAX_FOLDER_SIZE,
        max_keys: int = DEFAULT_MAX_ITEMS,
        max_key_length: int = DEFAULT_MAX_STRING,
        store: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.max_blob_size = max_blob_size
        self.max_folder_size = max_folder_size
        self.max_keys = max_keys
        self.max_key_length = max_key_length
        self.store = store
        kwargs.setdefault("required_on_activate", False)
        super().__init__(**kwargs)

    @property
    def glare_type_name(self) -> str:
        return "BlobDict"

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        raise self.fail("folder data can only be set through the blob API")


def flatten_messages(messages: Any) -> str:
    """Turn marshmallow's nested error messages into one readable sentence."""
    if isinstance(messages, str):
        return messages
    if isinstance(messages, Mapping):
        return "; ".join(flatten_messages(v) for v in messages.values())
    if isinstance(messages, (list, tuple)):
        return "; ".join(flatten_messages(v) for v in messages)
    return str(messages)
