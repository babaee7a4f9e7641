"""Size units and the limits the contract sets on field values (defaults and hard caps)."""

from __future__ import annotations

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
