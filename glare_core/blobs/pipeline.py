"""Overlap the two halves of an upload: receiving+hashing and writing to the store.

``write_behind`` runs the store's ``write`` in a helper thread that consumes chunks from a
bounded queue while the request thread keeps reading and hashing the body. Only the
request thread ever touches the client connection; the helper thread only talks to the
store. Memory stays bounded by the queue depth.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
_END = object()


class _Abort:
    """Tells the writer that the producer failed: its iterator raises ``error``."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


def write_behind(
    write: Callable[[Iterable[bytes]], T], chunks: Iterable[bytes], *, depth: int = 8
) -> T:
    """Call ``write(iterator)`` in a helper thread, feeding it ``chunks`` from this thread.

    Errors on either side reach the other: a failing producer makes the writer's iterator
    raise (so the store cleans up) and the error is re-raised here; a failing writer stops
    the producer and its error is raised here.
    """
    handoff: queue.Queue = queue.Queue(maxsize=depth)
    # What the writer thread returned or raised (one of the two, once it has finished).
    value: list[T] = []
    error: list[BaseException] = []

    def consume() -> None:
        try:
            value.append(write(_drain(handoff)))
        except BaseException as exc:
            error.append(exc)

    writer = threading.Thread(target=consume, name="glare-blob-writer", daemon=True)
    writer.start()
    try:
        for chunk in chunks:
            if not _put(handoff, chunk, writer):
                break  # the writer stopped early: its error is raised below
        else:
            _put(handoff, _END, writer)
    except BaseException as exc:
        _put(handoff, _Abort(exc), writer)
        writer.join()
        raise
    writer.join()
    if error:
        raise error[0]
    return value[0]


def _drain(handoff: queue.Queue) -> Iterator[bytes]:
    while True:
        item = handoff.get()
        if item is _END:
            return
        if isinstance(item, _Abort):
            raise item.error
        yield item


def _put(handoff: queue.Queue, item: object, writer: threading.Thread) -> bool:
    """Queue ``item`` unless the writer has finished; True if it was queued."""
    while writer.is_alive():
        try:
            handoff.put(item, timeout=0.05)
            return True
        except queue.Full:
            continue
    return False
