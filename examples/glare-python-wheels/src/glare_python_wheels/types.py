"""``python_wheels``: built Python distributions, one artifact per project version.

The artifact's name is the project name and its version the project's version. Uploading
the ``wheel`` blob spools the data to a temporary file while it streams into the blob
store; at the end the file is opened as a wheel, its name and version are compared with
the artifact's, and the read-only fields are filled from ``METADATA`` and ``WHEEL``. A body
that is not a matching wheel is refused with 400 and the upload is rolled back.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from glare_core.plugin import (
    MIB,
    ArtifactType,
    BadRequest,
    BaseArtifactSchema,
    Forbidden,
    GlareError,
    Length,
    fields,
    spool_then_check,
)
from glare_python_wheels.wheel import InvalidWheel, WheelInfo, normalize_name, read_wheel

try:  # PEP 440 comparison when 'packaging' is installed (it usually is)
    from packaging.version import InvalidVersion, Version
except ImportError:  # pragma: no cover - depends on the environment
    Version = None  # type: ignore[assignment,misc]
    InvalidVersion = ValueError  # type: ignore[assignment,misc]

MAX_WHEEL_SIZE = 512 * MIB
MAX_SUMMARY = 512
MAX_STRING = 255
MAX_REQUIREMENT = 1024
STRING_OPS = ("eq", "neq", "in")


class PythonWheelSchema(BaseArtifactSchema):
    wheel = fields.Blob(
        max_blob_size=MAX_WHEEL_SIZE,
        required_on_activate=True,
        description="The wheel file (.whl). Its metadata fills the read-only fields.",
    )
    summary = fields.String(
        system=True,
        required_on_activate=False,
        filter_ops=("like",),
        validate=[Length(max=MAX_SUMMARY)],
        description="One-line summary (METADATA Summary).",
    )
    requires_python = fields.String(
        system=True,
        required_on_activate=False,
        filter_ops=STRING_OPS,
        description="Supported Python versions (METADATA Requires-Python).",
    )
    requires_dist = fields.List(
        fields.String(validate=[Length(max=MAX_REQUIREMENT)]),
        max_size=1024,
        system=True,
        required_on_activate=False,
        filter_ops=("eq", "in", "like"),
        description="Requirements (METADATA Requires-Dist, one item per line).",
    )
    license = fields.String(
        system=True,
        required_on_activate=False,
        filter_ops=STRING_OPS,
        description="License (METADATA License-Expression, else the first line of License).",
    )
    platform_tag = fields.String(
        system=True,
        required_on_activate=False,
        filter_ops=("eq", "neq", "in", "like"),
        description="Platform tags of the wheel (WHEEL Tag), e.g. 'any' for pure Python.",
    )


class PythonWheel(ArtifactType):
    """A wheel of one version of one Python project."""

    name = "python_wheels"
    display_name = "Python Wheels"
    version = "1.0"
    schema = PythonWheelSchema

    def pre_upload(
        self, *, artifact: dict, field_name: str, stream: Iterable[bytes], changes: dict,
        **_: Any,
    ) -> Iterator[bytes] | None:
        if field_name != "wheel":
            return None

        def check(path: str) -> None:
            changes.update(self.fields_from_wheel(artifact, path))

        return spool_then_check(stream, check)

    def pre_update(self, *, artifact: dict, planned: dict, **_: Any) -> None:
        """Once a wheel is attached, the name and version are the wheel's: keep them."""
        if artifact.get("wheel") is None:
            return
        for field in ("name", "version"):
            if field in planned and planned[field] != artifact[field]:
                raise Forbidden(
                    f"The {field} comes from the uploaded wheel and cannot change; "
                    "create another artifact for another project or version"
                )

    # ---- helpers ----------------------------------------------------------------------

    def fields_from_wheel(self, artifact: dict, path: str) -> dict[str, Any]:
        """Read the wheel at ``path``, check it belongs to ``artifact``, return field values."""
        try:
            info = read_wheel(path)
        except InvalidWheel as exc:
            raise BadRequest(f"Not a valid wheel: {exc}") from None
        self.check_identity(artifact, info)
        values = {
            "summary": _clip(info.summary, MAX_SUMMARY),
            "requires_python": info.requires_python,
            "requires_dist": info.requires_dist,
            "license": _clip(info.license, MAX_STRING),
            "platform_tag": info.platform_tag,
        }
        # The core trusts what hooks put into read-only (system) fields; check the values
        # here like client input, so a strange wheel gets a clear 400.
        return {name: self.fields[name].coerce(_bmp_only(value)) for name, value in values.items()}

    def check_identity(self, artifact: dict, info: WheelInfo) -> None:
        if normalize_name(info.name) != normalize_name(artifact["name"]):
            raise BadRequest(
                f"The wheel is a distribution of '{info.name}', but the artifact's name is "
                f"'{artifact['name']}'"
            )
        if not self.same_version(info.version, artifact["version"]):
            raise BadRequest(
                f"The wheel has version {info.version}, but the artifact's version is "
                f"{artifact['version']}"
            )

    def same_version(self, wheel_version: str, artifact_version: str) -> bool:
        """Glare stores versions as SemVer (``1.0`` → ``1.0.0``, ``1.0.post1`` →
        ``1.0.0+post1``): equal if the wheel's version normalizes to the artifact's, or,
        with 'packaging', if both are the same PEP 440 version (``2.0rc1`` = ``2.0.0-rc.1``).
        """
        try:
            if self.fields["version"].coerce(wheel_version) == artifact_version:
                return True
        except GlareError:
            pass
        if Version is None:
            return wheel_version == artifact_version
        try:
            return Version(wheel_version) == Version(artifact_version)
        except InvalidVersion:
            return False


def _clip(text: str | None, limit: int) -> str | None:
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 1] + "\u2026"


def _bmp_only(value: Any) -> Any:
    """Glare strings hold Basic Multilingual Plane characters only: replace the others."""
    if isinstance(value, str):
        return "".join(char if ord(char) <= 0xFFFF else "\ufffd" for char in value)
    if isinstance(value, list):
        return [_bmp_only(item) for item in value]
    return value
