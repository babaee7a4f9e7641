"""The artifact lifecycle as data: one table decides every status and visibility change.

``transition`` is the only code that decides whether ``status`` or ``visibility`` may
change; it returns the lifecycle action a change performs (the policy rule and the hooks to
run are named after it) or raises the contract's error.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from glare_core.errors import BadRequest, InvalidTransition
from glare_core.types.base import STATUSES, VISIBILITIES


class Action(StrEnum):
    ACTIVATE = "activate"
    DEACTIVATE = "deactivate"
    REACTIVATE = "reactivate"
    PUBLISH = "publish"


@dataclass(frozen=True)
class Transition:
    field: str
    old: str
    new: str
    action: Action | None  # None: no action at all (e.g. drafted → drafted)

    @property
    def is_noop(self) -> bool:
        return self.old == self.new


# (from, to) → action. Pairs not listed are forbidden (403).
STATUS_TRANSITIONS: dict[tuple[str, str], Action | None] = {
    ("drafted", "drafted"): None,
    ("drafted", "active"): Action.ACTIVATE,
    ("active", "active"): Action.ACTIVATE,
    ("active", "deactivated"): Action.DEACTIVATE,
    ("deactivated", "deactivated"): Action.DEACTIVATE,
    ("deactivated", "active"): Action.REACTIVATE,
}

VISIBILITY_TRANSITIONS: dict[tuple[str, str], Action | None] = {
    ("private", "private"): None,
    ("private", "public"): Action.PUBLISH,
    ("public", "public"): Action.PUBLISH,
}

# Statuses in which ordinary fields may still change (mutable ones only when active).
EDITABLE_STATUSES = ("drafted", "active")


def transition(field: str, old: str, new: object, *, status: str) -> Transition:
    """Check one ``status``/``visibility`` change; ``status`` is the artifact's at that point."""
    if field == "status":
        if not isinstance(new, str) or new not in STATUSES:
            raise BadRequest(f"Invalid status value {new!r}; allowed: {', '.join(STATUSES)}")
        table = STATUS_TRANSITIONS
    else:
        if not isinstance(new, str) or new not in VISIBILITIES:
            raise BadRequest(
                f"Invalid visibility value {new!r}; allowed: {', '.join(VISIBILITIES)}"
            )
        table = VISIBILITY_TRANSITIONS
    if (old, new) not in table:
        raise InvalidTransition(f"Cannot change {field} from {old} to {new}")
    action = table[(old, new)]
    if action is Action.PUBLISH and status != "active":
        raise InvalidTransition(f"Only active artifacts can be published (this one is {status})")
    return Transition(field=field, old=old, new=new, action=action)
