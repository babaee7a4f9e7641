"""Reading a Murano package archive: a zip file with a ``manifest.yaml`` at its top.

``read_package`` opens the archive from a file (never from memory), reads the manifest and
returns the artifact field values it defines. Anything that is not a usable package raises
``BadRequest`` with the reason.
"""

from __future__ import annotations

import lzma
import zipfile
import zlib
from collections.abc import Mapping
from typing import Any

from glare_core.plugin import MIB, BadRequest, parse_yaml

MANIFEST = "manifest.yaml"
MANIFEST_LIMIT = 1 * MIB
PACKAGE_TYPES = ("Application", "Library")
CLASSES_DIR = "Classes/"
_SCALARS = (str, int, float, bool)


def read_package(path: str) -> dict[str, Any]:
    """The field values a package's manifest defines (see ``manifest_fields``)."""
    manifest, names = _read_archive(path)
    fields = manifest_fields(manifest)
    classes = manifest.get("Classes") or {}
    missing = sorted(
        str(file) for file in classes.values() if f"{CLASSES_DIR}{file}" not in names
    )
    if missing:
        raise BadRequest(
            f"The manifest names class files that are not in the package: "
            f"{', '.join(CLASSES_DIR + name for name in missing)}"
        )
    return fields


def _read_archive(path: str) -> tuple[dict[str, Any], set[str]]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
        raise BadRequest("The package is not a valid zip archive") from None
    with archive:
        names = set(archive.namelist())
        try:
            info = archive.getinfo(MANIFEST)
        except KeyError:
            raise BadRequest(
                f"The package has no {MANIFEST} at the top level of the archive"
            ) from None
        if info.file_size > MANIFEST_LIMIT:
            raise BadRequest(f"The package's {MANIFEST} is larger than {MANIFEST_LIMIT} bytes")
        try:
            raw = archive.read(info)
        # Each compression method fails its own way on garbled data: zlib.error (deflate),
        # OSError (bzip2), LZMAError, EOFError (truncated), BadZipFile (CRC).
        except (zipfile.BadZipFile, zlib.error, lzma.LZMAError, OSError, EOFError,
                RuntimeError, NotImplementedError) as exc:
            raise BadRequest(f"The package's {MANIFEST} cannot be read: {exc}") from None
    return parse_manifest(raw), names


def parse_manifest(raw: bytes) -> dict[str, Any]:
    """The manifest as a mapping (BadRequest if it is not YAML or not a mapping)."""
    manifest = parse_yaml(raw, f"package's {MANIFEST}")
    if not isinstance(manifest, dict):
        raise BadRequest(f"The package's {MANIFEST} must be a mapping")
    return manifest


def manifest_fields(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """Map manifest keys to fields: FullName → display_name, Type → type, Categories →
    categories, Classes (names) → class_definitions, Tags → keywords, Inherits → inherits.
    """
    full_name = manifest.get("FullName")
    if not isinstance(full_name, str) or not full_name.strip():
        raise BadRequest(f"The package's {MANIFEST} needs a 'FullName' (a non-empty string)")
    package_type = manifest.get("Type", "Application")
    if package_type not in PACKAGE_TYPES:
        raise BadRequest(
            f"The package's {MANIFEST} has Type {package_type!r}; it must be one of "
            f"{', '.join(PACKAGE_TYPES)}"
        )
    classes = _mapping(manifest, "Classes")
    values: dict[str, Any] = {
        "display_name": full_name,
        "type": package_type,
        "categories": _strings(manifest, "Categories"),
        "keywords": _strings(manifest, "Tags"),
        "class_definitions": [str(name) for name in classes],
    }
    if manifest.get("Inherits") is not None:
        inherits = _mapping(manifest, "Inherits")
        if not all(isinstance(v, _SCALARS) for v in inherits.values()):
            raise BadRequest(f"'Inherits' in the package's {MANIFEST} must map names to names")
        values["inherits"] = {str(k): str(v) for k, v in inherits.items()}
    return values


def _mapping(manifest: Mapping[str, Any], key: str) -> dict[Any, Any]:
    value = manifest.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadRequest(f"'{key}' in the package's {MANIFEST} must be a mapping")
    return value


def _strings(manifest: Mapping[str, Any], key: str) -> list[str]:
    value = manifest.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, _SCALARS) for v in value):
        raise BadRequest(f"'{key}' in the package's {MANIFEST} must be a list of names")
    return [str(v) for v in value]
