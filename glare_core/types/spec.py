"""Field specs: the resolved, checked view of a type's marshmallow fields.

``build_field_specs`` reads a schema's declared Glare fields and their attributes, rejects
definitions the contract forbids (the server refuses to start on them), and returns one
immutable ``FieldSpec`` per field. The engine and data layers work only with specs.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from marshmallow import ValidationError, validate

from glare_core.errors import BadRequest, TypeDefinitionError
from glare_core.types import fields as f
from glare_core.types import validators as gv
from glare_core.types.blob_fields import BlobField
from glare_core.types.kinds import FieldKind

FIELD_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")

# Which validators make sense on which kind (contract §9.4). Validators of other classes
# (a type author's own callables) are accepted anywhere and simply not exported to schemas.
_KNOWN_VALIDATORS = (
    validate.Length,
    validate.OneOf,
    validate.Range,
    validate.Regexp,
    gv.ForbiddenChars,
    gv.UniqueItems,
    gv.AllowedDictKeys,
    gv.RequiredDictKeys,
    gv.DictKeyLength,
    gv.LinksTo,
)
_APPLICABLE: dict[FieldKind, tuple[type, ...]] = {
    FieldKind.STRING: (validate.Length, validate.OneOf, validate.Regexp, gv.ForbiddenChars),
    FieldKind.LINK: (validate.Regexp, gv.LinksTo),
    FieldKind.INTEGER: (validate.Range, validate.OneOf),
    FieldKind.FLOAT: (validate.Range, validate.OneOf),
    FieldKind.LIST: (validate.Length, gv.UniqueItems),
    FieldKind.DICT: (validate.Length, gv.AllowedDictKeys, gv.RequiredDictKeys, gv.DictKeyLength),
}
#: Kinds a list or dict cannot hold.
_NOT_ELEMENTS = frozenset(
    {FieldKind.LIST, FieldKind.DICT, FieldKind.BLOB, FieldKind.FOLDER, FieldKind.DATETIME}
)
#: Kinds whose values have no order the listing could sort by.
_UNSORTABLE = frozenset(
    {FieldKind.LIST, FieldKind.DICT, FieldKind.BLOB, FieldKind.FOLDER, FieldKind.LINK}
)


def kind_of(field_obj: object) -> FieldKind:
    """The storage/behaviour kind of a Glare field, which its class declares.

    Raises TypeDefinitionError for anything else: a plain marshmallow field, or a class
    that extends ``GlareField`` without being one of the kinds.
    """
    kind = getattr(type(field_obj), "kind", None)
    if isinstance(field_obj, f.GlareField) and isinstance(kind, FieldKind):
        return kind
    raise TypeDefinitionError(
        f"{type(field_obj).__name__} is not a Glare field kind; use the classes of "
        "glare_core.plugin.fields"
    )


@dataclass(frozen=True)
class FieldSpec:
    """Everything the core needs to know about one field of a type.

    Callers ask the spec what a field is (``is_folder``, ``is_datetime``, ...) and for its
    limits (``max_keys``, ...) rather than comparing kinds or reading the field object.
    """

    name: str
    field: f.GlareField = field(repr=False, compare=False)
    kind: FieldKind
    element_kind: FieldKind | None
    mutable: bool
    system: bool
    required_on_activate: bool
    nullable: bool
    default: Any
    sortable: bool
    filter_ops: tuple[str, ...]
    description: str
    ui_metadata: Mapping[str, Any] | None
    is_base: bool = False

    # ---- what the field is --------------------------------------------------------

    @property
    def is_blob(self) -> bool:
        """True for blob and folder fields (their data goes through the blob API)."""
        return self.kind.is_blob

    @property
    def is_single_blob(self) -> bool:
        """A ``Blob`` field: one file, addressed without a key."""
        return self.kind == FieldKind.BLOB

    @property
    def is_folder(self) -> bool:
        """A ``Folder`` field: files addressed by key."""
        return self.kind == FieldKind.FOLDER

    @property
    def is_datetime(self) -> bool:
        """A server-set timestamp (never coerced from hook or client text)."""
        return self.kind == FieldKind.DATETIME

    @property
    def is_compound(self) -> bool:
        """A list or dict field: its value is several scalars of ``element_kind``."""
        return self.kind.is_compound

    @property
    def is_list(self) -> bool:
        return self.kind == FieldKind.LIST

    @property
    def is_dict(self) -> bool:
        return self.kind == FieldKind.DICT

    @property
    def value_kind(self) -> FieldKind:
        """The kind of the stored scalars: the element kind for lists and dicts."""
        return self.element_kind or self.kind

    @property
    def value_field(self) -> f.GlareField:
        """The field that coerces the stored scalars: the element for lists and dicts."""
        element = self.field.element
        return element if element is not None else self.field

    @property
    def holds_links(self) -> bool:
        """Its scalars are links (a Link field, or a list or dict of links)."""
        return self.value_kind == FieldKind.LINK

    @property
    def holds_versions(self) -> bool:
        """Its scalars are versions, which compare by their SemVer order."""
        return self.value_kind == FieldKind.VERSION

    @property
    def glare_type(self) -> str:
        return self.field.glare_type_name

    # ---- blob and folder limits (None for other fields) ---------------------------

    @property
    def max_blob_size(self) -> int | None:
        """The most bytes one blob of this field may hold (None: not a blob field)."""
        blob_field = self.field
        return blob_field.max_blob_size if isinstance(blob_field, BlobField) else None

    @property
    def max_keys(self) -> int | None:
        """The most entries a folder may hold (None: not a folder)."""
        folder = self._folder()
        return folder.max_keys if folder is not None else None

    @property
    def max_folder_size(self) -> int | None:
        """The most bytes all blobs of a folder may hold together (None: not a folder)."""
        folder = self._folder()
        return folder.max_folder_size if folder is not None else None

    @property
    def max_key_length(self) -> int | None:
        """The longest key a folder accepts (None: not a folder)."""
        folder = self._folder()
        return folder.max_key_length if folder is not None else None

    def _folder(self) -> f.Folder | None:
        return self.field if isinstance(self.field, f.Folder) else None

    def empty_blob_value(self) -> dict[str, Any] | None:
        """A blob field's value before any upload: an empty folder, or no blob."""
        return {} if self.is_folder else None

    def blob_items(self, value: Any) -> list[tuple[str | None, Any]]:
        """A blob field's value as ``(key, blob)`` pairs: a folder's entries, or
        ``(None, value)`` for a single blob (even when it is None)."""
        if self.is_folder:
            return list((value or {}).items())
        return [(None, value)]

    def default_value(self) -> Any:
        """A fresh copy of the field's default (lists and dicts are never shared)."""
        default = self.default
        if default is None or isinstance(default, (str, int, float)):
            return default  # immutable (bool is an int): nothing to copy
        if isinstance(default, tuple):
            return list(default)
        if not default and isinstance(default, (list, dict)):
            return type(default)()  # the usual [] and {}, without deepcopy's machinery
        return copy.deepcopy(default)

    def coerce(self, value: Any) -> Any:
        """Coerce and validate a client value; null resets to the default.

        Raises BadRequest with a message naming the field.
        """
        if value is None:
            if not self.nullable:
                raise BadRequest(f"Field '{self.name}' must not be null")
            return self.default_value()
        try:
            return self.field.deserialize(value)
        except ValidationError as exc:
            raise BadRequest(
                f"Invalid value for field '{self.name}': {f.flatten_messages(exc.messages)}"
            ) from None

    def coerce_element(self, value: Any) -> Any:
        """Coerce one filter operand with the element kind (lists/dicts) or the field kind."""
        target = self.value_field
        if value is None:
            raise BadRequest(f"Invalid filter value for field '{self.name}'")
        try:
            return target.deserialize(value)
        except ValidationError as exc:
            raise BadRequest(
                f"Invalid filter value for field '{self.name}': "
                f"{f.flatten_messages(exc.messages)}"
            ) from None


def build_field_specs(
    declared: Mapping[str, Any], *, base_names: frozenset[str] = frozenset(), owner: str = ""
) -> dict[str, FieldSpec]:
    """Check every declared field and return specs keyed by field name (declaration order)."""
    specs: dict[str, FieldSpec] = {}
    for name, field_obj in declared.items():
        where = f"{owner}.{name}" if owner else name
        if not FIELD_NAME.match(name):
            raise TypeDefinitionError(f"{where}: field names must match {FIELD_NAME.pattern}")
        specs[name] = _build_spec(name, field_obj, where, is_base=name in base_names)
    return specs


def _build_spec(name: str, field_obj: f.GlareField, where: str, *, is_base: bool) -> FieldSpec:
    kind = kind_of(field_obj)  # refuses what is not a Glare field, whatever the annotation
    attrs = field_obj.metadata
    element = field_obj.element
    element_kind = None
    if element is not None:
        element_kind = kind_of(element)
        if element_kind in _NOT_ELEMENTS:
            raise TypeDefinitionError(
                f"{where}: a {kind} cannot hold {element_kind} values (lists of blobs or "
                "nested containers are not supported; use a Folder for files)"
            )
        _check_validators(element, element_kind, f"{where} elements")
    _check_validators(field_obj, kind, where)

    filter_ops = attrs.get("filter_ops")
    if kind.is_blob:
        if filter_ops:
            raise TypeDefinitionError(f"{where}: blob and folder fields cannot be filtered")
        filter_ops = ()
    else:
        source = element or field_obj
        if filter_ops is None:
            filter_ops = source.default_filter_ops
        allowed = set(source.allowed_filter_ops)
        bad = [op for op in filter_ops if op not in allowed]
        if bad:
            raise TypeDefinitionError(
                f"{where}: filter operators {bad} are not allowed for {kind}"
                f"{'/' + element_kind if element_kind else ''} (allowed: {sorted(allowed)})"
            )

    sortable = bool(attrs.get("sortable"))
    if sortable:
        if kind in _UNSORTABLE:
            raise TypeDefinitionError(f"{where}: {kind} fields cannot be sortable")
        if isinstance(field_obj, f.String) and (field_obj.max_length or 0) > f.DEFAULT_MAX_STRING:
            raise TypeDefinitionError(
                f"{where}: strings longer than {f.DEFAULT_MAX_STRING} chars cannot be sortable"
            )
    if isinstance(field_obj, f.Folder) and not (
        1 <= field_obj.max_key_length <= f.MAX_FOLDER_KEY_LENGTH
    ):
        raise TypeDefinitionError(
            f"{where}: folder keys may be at most {f.MAX_FOLDER_KEY_LENGTH} characters"
        )
    if kind == FieldKind.DICT:
        for v in field_obj.validators:
            if isinstance(v, gv.DictKeyLength) and (v.max_length or 0) > f.DEFAULT_MAX_STRING:
                raise TypeDefinitionError(
                    f"{where}: dict keys may be at most {f.DEFAULT_MAX_STRING} characters"
                )

    default = attrs.get("default")
    if default is not None and not kind.is_blob:
        try:
            raw = list(default) if isinstance(default, tuple) else default
            default = field_obj.deserialize(raw)
        except ValidationError as exc:
            raise TypeDefinitionError(
                f"{where}: the default {default!r} is not a valid value: {exc.messages}"
            ) from None
    nullable = bool(attrs.get("nullable", True))
    return FieldSpec(
        name=name,
        field=field_obj,
        kind=kind,
        element_kind=element_kind,
        mutable=bool(attrs.get("mutable")),
        system=bool(attrs.get("system")),
        required_on_activate=bool(attrs.get("required_on_activate", True)),
        nullable=nullable,
        default=default,
        sortable=sortable,
        filter_ops=tuple(filter_ops),
        description=attrs.get("description") or "",
        ui_metadata=attrs.get("ui_metadata"),
        is_base=is_base,
    )


def _check_validators(field_obj: f.GlareField, kind: FieldKind, where: str) -> None:
    applicable = _APPLICABLE.get(kind, ())
    for validator in field_obj.validators:
        if isinstance(validator, _KNOWN_VALIDATORS) and not isinstance(validator, applicable):
            raise TypeDefinitionError(
                f"{where}: validator {type(validator).__name__} does not apply to {kind} fields"
            )
