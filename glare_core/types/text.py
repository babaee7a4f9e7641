"""Checks and renderings of client text shared by the field kinds and the API."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

#: Text Python's int() and float() accept beyond what clients mean by a number: digit
#: separators (``1_000``) and digits of other scripts (``٣``).
_UNUSUAL_NUMBER_TEXT = re.compile(r"[^\x00-\x7f]|_")

# NUL, lone UTF-16 surrogates (valid JSON escapes, but not text) and non-BMP characters.
_UNSTORABLE_CHAR = re.compile("[\x00\ud800-\udfff\U00010000-\U0010ffff]")


def plain_number_text(value: Any) -> bool:
    """False for a string that only Python would read as a number (see above)."""
    return not (isinstance(value, str) and _UNUSUAL_NUMBER_TEXT.search(value))


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


def flatten_messages(messages: Any) -> str:
    """Turn marshmallow's nested error messages into one readable sentence."""
    if isinstance(messages, str):
        return messages
    if isinstance(messages, Mapping):
        return "; ".join(flatten_messages(v) for v in messages.values())
    if isinstance(messages, (list, tuple)):
        return "; ".join(flatten_messages(v) for v in messages)
    return str(messages)
