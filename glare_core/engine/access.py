"""Who may see and who may write an artifact, independent of policy rules (contract §12.1).

Invisible artifacts are reported as missing (404), never as forbidden; visible artifacts
the caller does not own are read-only for them (403 on writes).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from glare_core.auth.context import RequestContext
from glare_core.data.query import Scope
from glare_core.errors import ArtifactNotFound, Forbidden


def is_visible(context: RequestContext, artifact: Mapping[str, Any], *, see_all: bool) -> bool:
    if see_all or context.is_admin or artifact.get("visibility") == "public":
        return True
    return context.project_id is not None and artifact.get("owner") == context.project_id


def require_visible(
    context: RequestContext, artifact: Mapping[str, Any] | None, *, see_all: bool = False
) -> Mapping[str, Any]:
    if artifact is None or not is_visible(context, artifact, see_all=see_all):
        raise ArtifactNotFound("Artifact not found")
    return artifact


def require_writable(context: RequestContext, artifact: Mapping[str, Any]) -> None:
    """Every write needs an authenticated admin or the owner (independently of policy)."""
    if context.read_only:
        raise Forbidden("Anonymous users may not change artifacts")
    if not (context.is_admin or artifact.get("owner") == context.project_id):
        raise Forbidden("Only the owner or an admin may change this artifact")


def list_scope(context: RequestContext, *, see_all: bool) -> Scope:
    return Scope(see_all=see_all or context.is_admin, project_id=context.project_id)
