"""Copies of artifact values that a hook or a plan may change without touching the
original."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

_IMMUTABLE = (str, int, float, type(None), dt.datetime, dt.date)


def detached(value: Any) -> Any:
    """A deep copy of field values (JSON-like: dicts, lists, scalars, datetimes) for a
    hook to change freely; several times cheaper than ``copy.deepcopy``, which it falls
    back to for anything else."""
    if isinstance(value, _IMMUTABLE):
        return value
    if type(value) is dict:
        return {key: detached(item) for key, item in value.items()}
    if type(value) is list:
        return [detached(item) for item in value]
    return copy.deepcopy(value)
