"""A request that repeats an identity header is refused (400).

WSGI joins repeated header lines with commas: two ``X-Roles`` lines, ``member`` then
``admin``, reach the app as ``X-Roles: member,admin``, an admin. A proxy that sets the
identity headers may add its line to one the client sent; a client may try exactly that.
Which line is meant cannot be told, so such a request is not served at all.

The repetition is seen only where the header lines still are: gunicorn's parsed request,
in the worker (``server/repeated_headers.py``, which marks the request's body object with
``REPEATED_MARK``); the app refuses a marked request before authentication
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

#: The attribute of the request's ``wsgi.input`` naming the identity headers it repeats
#: (a tuple of their names), set by the server.
REPEATED_MARK = "glare_repeated_identity_headers"


def refuse_repeated(environ: dict[str, Any]) -> None:
    """400 for a request the server marked with repeated identity headers."""
    repeated = getattr(environ.get("wsgi.input"), REPEATED_MARK, ())
    if repeated:
        raise BadRequest(f"The identity header {', '.join(repeated)} is sent more than once: "
                         "send each identity header once")
