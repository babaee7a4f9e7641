"""Authentication strategies: turn request headers into a ``RequestContext``.

* ``noauth`` (the embedded default): trusts the identity headers a gateway or the client
  sets (``X-Identity-Status: Confirmed``, ``X-User-Id``, ``X-Project-Id``, ``X-Roles``).
* ``trusted-auth``: ``X-Auth-Token: <user>:<project>:<role1,role2>``.
* ``keystone``: headers set by keystonemiddleware after validating the token (see
  auth/keystone.py), read like ``noauth``.

Both fall back to an anonymous, read-only context when anonymous access is allowed;
otherwise a request without identity gets 401.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from glare_core.auth.context import RequestContext
from glare_core.errors import BadRequest, Unauthorized

IsAdmin = Callable[[tuple[str, ...], "str | None"], bool]
MAX_PROJECT_ID_LENGTH = 255


def split_roles(text: str | None) -> tuple[str, ...]:
    return tuple(role.strip() for role in (text or "").split(",") if role.strip())


def checked_project(project: str | None) -> str | None:
    """The caller's project id; it becomes the owner of what it creates, so it must fit
    where owners are stored (255 characters, as the contract's quota project ids)."""
    if project is not None and len(project) > MAX_PROJECT_ID_LENGTH:
        raise BadRequest(f"Project ids are at most {MAX_PROJECT_ID_LENGTH} characters long")
    return project


def anonymous(request_id: str) -> RequestContext:
    return RequestContext(request_id=request_id, read_only=True)


def noauth_context(
    headers: Mapping[str, str], *, request_id: str, allow_anonymous: bool, is_admin: IsAdmin
) -> RequestContext:
    if headers.get("X-Identity-Status") != "Confirmed":
        if allow_anonymous:
            return anonymous(request_id)
        raise Unauthorized("Authentication required: send X-Identity-Status: Confirmed")
    project = checked_project(headers.get("X-Project-Id") or headers.get("X-Tenant-Id") or None)
    roles = split_roles(headers.get("X-Roles"))
    return RequestContext(
        user_id=headers.get("X-User-Id") or None,
        project_id=project,
        roles=roles,
        auth_token=headers.get("X-Auth-Token"),
        request_id=request_id,
        is_admin=is_admin(roles, project),
        service_catalog=_service_catalog(headers),
    )


def keystone_context(
    headers: Mapping[str, str], *, request_id: str, allow_anonymous: bool, is_admin: IsAdmin
) -> RequestContext:
    """Headers set by keystonemiddleware after it validated ``X-Auth-Token``."""
    if headers.get("X-Identity-Status") != "Confirmed" and not allow_anonymous:
        raise Unauthorized("Authentication required: send a valid Keystone X-Auth-Token")
    return noauth_context(headers, request_id=request_id, allow_anonymous=allow_anonymous,
                          is_admin=is_admin)


def trusted_auth_context(
    headers: Mapping[str, str], *, request_id: str, allow_anonymous: bool, is_admin: IsAdmin
) -> RequestContext:
    token = (headers.get("X-Auth-Token") or "").strip()
    if not token:
        if allow_anonymous:
            return anonymous(request_id)
        raise Unauthorized("Authentication required: send X-Auth-Token")
    parts = token.split(":")
    if len(parts) != 3:
        raise Unauthorized("X-Auth-Token must be '<user>:<project>:<roles>'")
    user, project, role_text = (part.strip() for part in parts)
    if not project:
        raise Unauthorized("X-Auth-Token names no project")
    if project.lower() == "none":
        if allow_anonymous:
            return anonymous(request_id)
        raise Unauthorized("Anonymous access is not allowed")
    roles = split_roles(role_text)
    return RequestContext(
        user_id=user or None,
        project_id=checked_project(project),
        roles=roles,
        auth_token=token,
        request_id=request_id,
        is_admin=is_admin(roles, project),
        service_catalog=_service_catalog(headers),
    )


def _service_catalog(headers: Mapping[str, str]) -> Any:
    raw = headers.get("X-Service-Catalog")
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: nested thousands of levels deep
        raise BadRequest("X-Service-Catalog is not valid JSON") from None


# keystone: the auth_token middleware (auth/keystone.py) has validated the token and set
# the identity headers, so the context is read exactly as in noauth mode.
STRATEGIES = {
    "noauth": noauth_context,
    "trusted-auth": trusted_auth_context,
    "keystone": keystone_context,
}
