"""How much shared space an upload holds while its data streams in.

A blob in status ``saving`` counts with its recorded size in two shared budgets: the
folder it belongs to (``max_folder_size``) and the project's uploaded-data quota. That
size is the upload's reservation: parallel uploads see it, so together they can never
overrun a budget.

An upload with a ``Content-Length`` reserves exactly that. An upload of unknown size
(chunked transfer, or a body a pre-upload hook replaced) cannot know what it needs, and
reserving the whole budget would refuse every parallel upload into the same folder or
project for as long as it streams. It therefore reserves nothing at first and grows its
reservation as its data arrives, each step checked against the budget as it is then
(a few database writes under the artifact and quota locks).

A step adds half of what the upload has read, or 1/64 of the room left in the budget if
that is more: the upload holds at most half again what it has read, or a sliver of the
budget, and a GiB arriving in 1 MiB chunks takes at most about 17 steps (fewer the larger
the budget is against the upload).
"""

from __future__ import annotations

#: What an upload of unknown size reserves before its first byte.
FIRST_RESERVATION = 0

#: The smallest step, as a fraction of the room left: 1/BUDGET_SLICE.
BUDGET_SLICE = 64


def next_reservation(needed: int, allowance: int) -> int:
    """The reservation to hold once an upload has read ``needed`` bytes, given the
    ``allowance`` (the room the budget has for this upload, which the caller has checked
    is not below ``needed``)."""
    return min(allowance, needed + max(needed // 2, allowance // BUDGET_SLICE))
