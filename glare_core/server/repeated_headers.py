"""The worker's half of refusing repeated identity headers (``api/identity_headers.py``):
only gunicorn's parsed request still has the header lines WSGI joins into one value."""

from __future__ import annotations

from typing import Any

from glare_core.api.identity_headers import IDENTITY_HEADERS, REPEATED_MARK


def note_repeated(req: Any) -> None:
    """Mark gunicorn request ``req`` with the identity headers it has more than once (on
    its body object, which the app sees as ``wsgi.input``)."""
    seen: set[str] = set()
    repeated: list[str] = []
    for name, _ in req.headers:
        upper = name.upper()
        if upper in IDENTITY_HEADERS:
            if upper in seen and IDENTITY_HEADERS[upper] not in repeated:
                repeated.append(IDENTITY_HEADERS[upper])
            seen.add(upper)
    body = getattr(req, "body", None)
    if repeated and body is not None:
        setattr(body, REPEATED_MARK, tuple(repeated))
