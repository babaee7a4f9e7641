"""The artifact-type base: the base schema (the 13 contract fields) and ``ArtifactType``.

A plugin defines a type by subclassing ``ArtifactType``, setting ``name``, ``display_name``
and ``schema`` (a subclass of ``BaseArtifactSchema`` declaring the type's own fields), and
optionally overriding the hook methods below. The core instantiates each enabled type once
at start-up; the instance carries the checked field specs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from marshmallow import Schema, validate

from glare_core.errors import TypeDefinitionError
from glare_core.types import fields as f
from glare_core.types import validators as gv
from glare_core.types.spec import FieldSpec, build_field_specs

if TYPE_CHECKING:
    from glare_core.auth.context import RequestContext

TYPE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
UUID_PATTERN = (
    r"^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$"
)

STATUSES = ("drafted", "active", "deactivated", "deleted")
VISIBILITIES = ("private", "public")
DEFAULT_VERSION = "0.0.0"


class BaseArtifactSchema(Schema):
    """The fields every artifact has (contract §8). Type schemas extend this class."""

    id = f.String(
        system=True,
        nullable=False,
        sortable=True,
        filter_ops=("eq", "neq", "in"),
        validate=[validate.Regexp(UUID_PATTERN), validate.Length(max=255)],
        description="Artifact UUID.",
    )
    name = f.String(
        nullable=False,
        required_on_activate=False,
        sortable=True,
        filter_ops=("like", "eq", "neq", "in"),
        validate=[validate.Length(min=1, max=255)],
        description="Artifact name.",
    )
    owner = f.String(
        system=True,
        required_on_activate=False,
        nullable=False,
        sortable=True,
        filter_ops=("eq", "neq", "in"),
        validate=[validate.Length(max=255)],
        description="ID of the project that owns the artifact.",
    )
    status = f.String(
        nullable=False,
        mutable=True,
        default="drafted",
        sortable=True,
        filter_ops=("eq", "neq", "in"),
        validate=[validate.OneOf(STATUSES)],
        description="Artifact status.",
    )
    created_at = f.DateTime(
        system=True, nullable=False, sortable=True, description="Creation time (UTC)."
    )
    updated_at = f.DateTime(
        system=True,
        mutable=True,
        nullable=False,
        sortable=True,
        description="Time of the last change (UTC).",
    )
    activated_at = f.DateTime(
        system=True,
        required_on_activate=False,
        sortable=True,
        description="Time of the last activation (UTC).",
    )
    description = f.String(
        mutable=True,
        required_on_activate=False,
        default="",
        filter_ops=(),
        validate=[validate.Length(max=4096)],
        description="Artifact description.",
    )
    tags = f.List(
        f.String(validate=[validate.Length(min=1, max=255), gv.ForbiddenChars(",/")]),
        mutable=True,
        required_on_activate=False,
        filter_ops=(),
        validate=[gv.UniqueItems(convert_to_set=True)],
        description="Tags (unordered, duplicates dropped).",
    )
    metadata = f.Dict(
        f.String(validate=[validate.Length(min=1, max=255)]),
        required_on_activate=False,
        filter_ops=("eq", "neq", "in"),
        description="Key-value metadata; immutable once the artifact is active.",
    )
    visibility = f.String(
        nullable=False,
        mutable=True,
        default="private",
        sortable=True,
        filter_ops=("eq", "neq", "in"),
        validate=[validate.OneOf(VISIBILITIES)],
        description="Artifact visibility.",
    )
    version = f.Version(
        nullable=False,
        required_on_activate=False,
        default=DEFAULT_VERSION,
        sortable=True,
        description="Artifact version (semver).",
    )
    display_type_name = f.String(
        system=True,
        required_on_activate=False,
        sortable=True,
        filter_ops=("like", "eq", "neq", "in"),
        validate=[validate.Length(max=255)],
        description="Display name of the artifact type.",
    )


BASE_FIELD_NAMES = frozenset(BaseArtifactSchema._declared_fields)
# Fields a client may never send at create time (they change only through PATCH rules).
CREATE_FORBIDDEN = frozenset({"status", "visibility", "display_type_name"})


class ArtifactType:
    """Base class of every artifact type (the plugin contract for types).

    Class attributes a type sets:

    * ``name`` — the URL segment, plural snake_case (``heat_templates``); unique.
    * ``display_name`` — for humans; defaults to ``name``.
    * ``version`` — the type's schema version, reported in ``/schemas``.
    * ``schema`` — a ``BaseArtifactSchema`` subclass declaring the type's own fields.
    * ``enabled_by_default`` — False keeps the type off unless the operator enables it.
    * ``default_store`` — blob store for this type's blob fields (None = global default).
    * ``delayed_delete`` — None inherits the global setting.
    * ``data_api_factory`` — optional callable ``(app) -> DataAPI`` for own storage.

    Hook methods (all optional; the defaults do nothing) receive keyword arguments and run
    through the plugin hooks, so global plugins see the same calls.
    """

    name: ClassVar[str] = ""
    #: Declared by the type (None: its ``name``); an instance holds the resolved value.
    display_name: str | None = None
    version: ClassVar[str] = "1.0"
    schema: ClassVar[type[BaseArtifactSchema]] = BaseArtifactSchema
    enabled_by_default: ClassVar[bool] = True
    default_store: ClassVar[str | None] = None
    delayed_delete: ClassVar[bool | None] = None
    data_api_factory: ClassVar[Callable[..., Any] | None] = None
    is_pseudo: ClassVar[bool] = False  # True only for the read-only ``all`` type

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        cls = type(self)
        if not cls.name or not TYPE_NAME.match(cls.name) or cls.name == "all":
            raise TypeDefinitionError(
                f"{cls.__qualname__}: type name {cls.name!r} must match {TYPE_NAME.pattern} "
                "and must not be 'all'"
            )
        if not (isinstance(cls.schema, type) and issubclass(cls.schema, BaseArtifactSchema)):
            raise TypeDefinitionError(
                f"{cls.name}: schema must be a subclass of BaseArtifactSchema"
            )
        declared = cls.schema._declared_fields
        for base_name in BASE_FIELD_NAMES:
            if declared[base_name] is not BaseArtifactSchema._declared_fields[base_name]:
                raise TypeDefinitionError(f"{cls.name}: base field '{base_name}' is redefined")
        self.display_name: str = cls.display_name or cls.name
        self.config: dict[str, Any] = dict(config or {})
        self.fields: dict[str, FieldSpec] = build_field_specs(
            declared, base_names=BASE_FIELD_NAMES, owner=cls.name
        )

    @property
    def type_name(self) -> str:
        return type(self).name

    @property
    def blob_fields(self) -> dict[str, FieldSpec]:
        return {n: s for n, s in self.fields.items() if s.is_blob}

    @property
    def type_fields(self) -> dict[str, FieldSpec]:
        """Fields declared by the type itself (not the base fields)."""
        return {n: s for n, s in self.fields.items() if not s.is_base}

    # ---- per-type hooks (forwarded by the builtin type_dispatch plugin) ----------------

    def pre_create(self, *, artifact: dict, changes: dict, context: RequestContext) -> None:
        """Before insert. ``changes`` holds every field value; edit it to change them."""

    def post_create(self, *, artifact: dict, context: RequestContext) -> None:
        """After the artifact was stored."""

    def pre_update(
        self, *, artifact: dict, changes: dict, planned: dict, patch: list[dict],
        context: RequestContext,
    ) -> None:
        """After the patch was planned, before it is saved: ``planned`` holds the fields
        it changes with their new values; ``changes`` may receive extra field values."""

    def post_update(self, *, artifact: dict, context: RequestContext) -> None:
        """After a PATCH that changed something was saved."""

    def pre_activate(self, *, artifact: dict, changes: dict, context: RequestContext) -> None:
        """Before drafted → active (also on active → active)."""

    def post_activate(self, *, artifact: dict, context: RequestContext) -> None:
        """After activation was saved."""

    def pre_deactivate(self, *, artifact: dict, changes: dict, context: RequestContext) -> None:
        """Before active → deactivated."""

    def post_deactivate(self, *, artifact: dict, context: RequestContext) -> None:
        """After deactivation was saved."""

    def pre_reactivate(self, *, artifact: dict, changes: dict, context: RequestContext) -> None:
        """Before deactivated → active."""

    def post_reactivate(self, *, artifact: dict, context: RequestContext) -> None:
        """After reactivation was saved."""

    def pre_publish(self, *, artifact: dict, changes: dict, context: RequestContext) -> None:
        """Before private → public."""

    def post_publish(self, *, artifact: dict, context: RequestContext) -> None:
        """After publishing was saved."""

    def pre_delete(self, *, artifact: dict, changes: dict, context: RequestContext) -> None:
        """Before the artifact is deleted."""

    def post_delete(self, *, artifact: dict, context: RequestContext) -> None:
        """After the artifact was deleted (or marked deleted with delayed delete)."""

    def pre_upload(
        self, *, artifact: dict, field_name: str, blob_key: str | None,
        stream: Iterable[bytes], changes: dict, context: RequestContext,
    ) -> Iterable[bytes] | None:
        """Before blob data is stored; return a replacement chunk iterable, or None.

        Field values put into ``changes`` (also while the returned stream is being read)
        are saved with the blob when the upload succeeds.
        """
        return None

    def post_upload(
        self, *, artifact: dict, field_name: str, blob_key: str | None, context: RequestContext
    ) -> None:
        """After uploaded data became active."""

    def pre_download(
        self, *, artifact: dict, field_name: str, blob_key: str | None, context: RequestContext
    ) -> None:
        """Before blob data is read."""

    def post_download(
        self, *, artifact: dict, field_name: str, blob_key: str | None,
        data: Iterable[bytes], context: RequestContext,
    ) -> Iterable[bytes] | None:
        """After blob data was opened; return a replacement chunk iterable, or None."""
        return None

    def pre_add_location(
        self, *, artifact: dict, field_name: str, blob_key: str | None, url: str,
        context: RequestContext,
    ) -> None:
        """Before a location is attached to a blob."""

    def post_add_location(
        self, *, artifact: dict, field_name: str, blob_key: str | None, context: RequestContext
    ) -> None:
        """After a location was attached."""

    def format_output(self, values: dict[str, Any]) -> dict[str, Any]:
        """Return the typed JSON representation; override to add computed keys."""
        return values

    def format_all(self, values: dict[str, Any]) -> dict[str, Any]:
        """Return the representation in the ``all`` pseudo-type; override to add keys."""
        return values
