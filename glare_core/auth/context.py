"""The request context: who is calling. Every engine call receives one."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any


def new_request_id() -> str:
    return f"req-{uuid.uuid4()}"


@dataclass(frozen=True)
class RequestContext:
    """Identity and request facts the engine, policy and hooks rely on.

    ``read_only`` is true only for anonymous callers. ``is_admin`` is computed from the
    policy rule ``context_is_admin`` when the context is built.
    """

    user_id: str | None = None
    project_id: str | None = None
    roles: tuple[str, ...] = ()
    auth_token: str | None = None
    request_id: str = field(default_factory=new_request_id)
    read_only: bool = False
    is_admin: bool = False
    service_catalog: Any = None

    def credentials(self) -> dict[str, Any]:
        """The credential dict policy rules are evaluated against."""
        return {
            "user_id": self.user_id,
            "user": self.user_id,
            "project_id": self.project_id,
            "tenant": self.project_id,
            "roles": list(self.roles),
            "is_admin": self.is_admin,
            "read_only": self.read_only,
        }

    @classmethod
    def admin(cls, project_id: str = "glare-admin") -> RequestContext:
        """A context with full rights, for internal jobs such as the scrubber."""
        return cls(user_id="glare", project_id=project_id, roles=("admin",), is_admin=True)
