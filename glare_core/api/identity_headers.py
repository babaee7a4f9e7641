"""A request that repeats an identity header is refused (400).

WSGI joins repeated header lines with commas: two ``X-Roles`` lines, ``member`` then
``admin``, reach the app as ``X-Roles: member,admin``, an admin. A proxy that sets the
identity headers may add its line to one the client sent; a client may try exactly that.
Which line is meant cannot be told, so such a request is not served at all.

The repetition is seen only where the header lines still are: gunicorn's parsed request,
in the worker (``note_repeated``, which marks the request's body object, as
``api/expect_continue.py`` does); the app refuses a marked request before authentication
(``refuse_repeated``), whatever the strategy. Servers that hand over only the joined
environ (Werkzeug's) cannot be checked this way.
"""

from __future__ import annotations

from typing import Any

from glare_core.errors import BadRequest

#: The headers a request's identity is read from (auth/strategies.py), by upper-case name.
IDENTITY_HEADERS = {name.upper(): name for name in (
    "X-Identity-Status", "X-User-Id", "X-Project-Id", "X-Tenant-Id", "X-Roles",
    "X-Auth-Token", "X-Service-Catalog")}
_REPEATED = "glare_repeated_identity_headers"  # set on gunicorn's body object of the request


def note_repeated(req: Any) -> None:
    """Mark gunicorn request ``req`` with the identity headers it has more than once."""
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
        setattr(body, _REPEATED, tuple(repeated))


def refuse_repeated(environ: dict[str, Any]) -> None:
    """400 for a request ``note_repeated`` marked."""
    repeated = getattr(environ.get("wsgi.input"), _REPEATED, ())
    if repeated:
        raise BadRequest(f"The identity header {', '.join(repeated)} is sent more than once: "
                         "send each identity header once")
