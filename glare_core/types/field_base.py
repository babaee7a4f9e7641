"""The base class of every Glare field kind and the attributes a type author may give.

Glare's field attributes (mutable, system, required_on_activate, nullable, default,
sortable, filter_ops, ...) are keyword arguments stored in the field's ``metadata`` under
the same names, where the type registry (types/spec.py) reads them. Each concrete field
class names its ``kind`` (types/kinds.py); the base class has none, so a field that only
extends ``GlareField`` is not a kind the core can store.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from marshmallow import ValidationError, fields

from glare_core.types.kinds import FieldKind

ALL_OPS = ("eq", "neq", "in", "gt", "gte", "lt", "lte", "like")
ORDERED_OPS = ("eq", "neq", "in", "gt", "gte", "lt", "lte")


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

    #: Declared by every concrete kind; deliberately absent here (see the module docstring).
    kind: ClassVar[FieldKind]
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

    @property
    def element(self) -> GlareField | None:
        """The field of each element of a list or dict; None for the other kinds."""
        return None

    def fail(self, message: str) -> ValidationError:
        """Build the error raised when coercion fails (the caller raises it)."""
        return ValidationError(message)


def _as_list(validate: Any) -> list[Any]:
    if validate is None:
        return []
    if callable(validate):
        return [validate]
    return list(validate)
