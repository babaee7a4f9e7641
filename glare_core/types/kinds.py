"""The kinds of Glare fields: what a field stores and so how the core treats it.

Every Glare field class declares its kind (the modules gathered by types/fields.py) and
field specs carry it. A kind is a ``StrEnum``, so it prints as, and compares equal to, its
name (``"Folder"``): error messages keep their wording and comparisons with the name keep
working.
"""

from __future__ import annotations

from enum import StrEnum


class FieldKind(StrEnum):
    """One member per Glare field class (``Version`` and ``Link`` are kinds of their own)."""

    STRING = "String"
    INTEGER = "Integer"
    FLOAT = "Float"
    BOOLEAN = "Boolean"
    DATETIME = "DateTime"
    VERSION = "Version"
    LINK = "Link"
    LIST = "List"
    DICT = "Dict"
    BLOB = "Blob"
    FOLDER = "Folder"

    @property
    def is_blob(self) -> bool:
        """Blob and folder kinds: their data goes through the blob API, not JSON bodies."""
        return self in (FieldKind.BLOB, FieldKind.FOLDER)

    @property
    def is_compound(self) -> bool:
        """List and dict kinds: a value is several scalars of one element kind."""
        return self in (FieldKind.LIST, FieldKind.DICT)
