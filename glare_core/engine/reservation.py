"""How much shared space an upload holds while its data streams in.

A blob in status ``saving`` counts with its recorded size in two shared budgets: the
folder it belongs to (``max_folder_size``) and the project's uploaded-data quota. That
size is the upload's reservation: parallel uploads see it, so together they can never
overrun a budget.

An upload with a ``Content-Length`` reserves exactly that. An upload of unknown size
(chunked transfer, or a body a pre-upload hook replaced) cannot know what it needs, and
reserving the whole budget would refuse every parallel upload into the same folder or
project for as long as it streams. It therefore reserves nothing at first and grows its
reservation as its data arrives, each step checked against the budget as it is then.
Each step adds half of what the upload already holds, so a GiB arriving in 1 MiB chunks
takes about 17 steps, and the upload never holds more than half again what it has read.
"""

from __future__ import annotations

#: What an upload of unknown size reserves before its first byte.
FIRST_RESERVATION = 0


def next_reservation(needed: int, allowance: int) -> int:
    """The reservation to hold once an upload has read ``needed`` bytes (at most
    ``allowance``, which the caller has checked is not below ``needed``)."""
    return min(allowance, needed + needed // 2)
