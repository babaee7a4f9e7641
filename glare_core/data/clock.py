"""The clock every stored time is read from: naive UTC (SQLite keeps no time zone)."""

from __future__ import annotations

import datetime as dt


def utcnow() -> dt.datetime:
    """Now, as every table stores times: naive UTC."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
