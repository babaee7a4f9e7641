"""A request gathered by the worker's main thread before any thread is given to it.

``RequestHead`` collects the bytes of one request as they arrive on a non-blocking
socket: its head, and a small body (up to ``PREBUFFER`` bytes: a JSON document) whole.
It then says which lane of threads the request belongs to: ``QUICK`` for a request that
no longer waits on its client (no body, or all of it gathered), ``STREAM`` for one that
will wait on its client while a thread serves it: an upload whose body streams in, or a
blob download, which streams out at the pace its client reads. A large body is not
waited for: the app may refuse the upload on its head alone (413 for an announced size
over the limit, 401, 404), and its client may wait for that answer before sending more.

It also keeps the request's deadline: the whole head within ``head_timeout`` seconds,
then the gathered body at ``min_rate`` bytes a second on average after a ``grace``
(see ``server/body_rate.py`` for the same rule applied to the rest of an upload), and
never more than ``silence`` seconds (``GLARE_CLIENT_TIMEOUT``) without a byte.

The parse here only decides when the request is complete enough and in which lane it
goes; gunicorn parses the same bytes again and stays the judge of what they mean: a head
this class cannot make sense of is handed over as it is, and gunicorn answers it.
"""

from __future__ import annotations

import math
import re

QUICK, STREAM = "quick", "stream"

#: The largest body gathered whole before a thread is given (JSON bodies are small).
PREBUFFER = 64 * 1024

#: A head this long without its end is handed to gunicorn, whose limits refuse it
#: (lines of 8 KiB and 100 header fields: about 0.8 MiB in all).
MAX_HEAD = 1024 * 1024

_END_OF_HEAD = re.compile(rb"\r?\n\r?\n")


class RequestHead:
    """The bytes of one request gathered so far, with its lane and deadline."""

    def __init__(self, *, now: float, head_timeout: float, min_rate: float, grace: float,
                 silence: float = 0.0, buffered: bytes = b"") -> None:
        self.buffer = bytearray()
        self.silence = silence
        self.last_data_at = now
        self.head_timeout = head_timeout
        self.head_deadline = now + head_timeout if head_timeout > 0 else math.inf
        self.min_rate = min_rate
        self.grace = grace
        self.lane = QUICK
        #: Index just past the blank line that ends the head; None while incomplete.
        self.head_end: int | None = None
        self.head_done_at: float | None = None
        self._body_wanted = 0
        self._scanned = 0
        self.ended = False  # the client closed its side
        self.registered = False  # with the worker's poller
        if buffered:
            self.feed(buffered, now)

    def feed(self, data: bytes, now: float) -> None:
        """Add bytes received from the client at time ``now``."""
        self.buffer += data
        self.last_data_at = now
        if self.head_end is None:
            found = _END_OF_HEAD.search(self.buffer, max(0, self._scanned - 3))
            self._scanned = len(self.buffer)
            if found is not None:
                self.head_end = found.end()
                self.head_done_at = now
                self.lane, self._body_wanted = classify(bytes(self.buffer[:self.head_end]))

    @property
    def ready(self) -> bool:
        """Whether a thread should take the request now."""
        return self.wanted() == 0 or self.ended

    def wanted(self) -> int:
        """How many more bytes to gather before handing the request over."""
        if self.head_end is None:
            return max(0, MAX_HEAD - len(self.buffer))
        return max(0, self.head_end + self._body_wanted - len(self.buffer))

    @property
    def body_received(self) -> int:
        return 0 if self.head_end is None else len(self.buffer) - self.head_end

    def deadline(self) -> float:
        """When the request is abandoned if it is not ready by then."""
        return min(self._phase_deadline(), self._silence_deadline())

    def _phase_deadline(self) -> float:
        if self.head_end is None or self.head_done_at is None:
            return self.head_deadline
        if self.min_rate <= 0:
            return math.inf
        return self.head_done_at + self.grace + self.body_received / self.min_rate

    def _silence_deadline(self) -> float:
        return self.last_data_at + self.silence if self.silence > 0 else math.inf

    def timeout_message(self) -> str:
        """Why the request was abandoned at its deadline (for the 408)."""
        if self._silence_deadline() < self._phase_deadline():
            return f"The client sent nothing for {self.silence:g} seconds"
        if self.head_end is None:
            return f"The request head did not arrive within {self.head_timeout:g} seconds"
        return (f"The request body arrived too slowly (less than {self.min_rate:g} bytes a "
                f"second after {self.grace:g} seconds); it was abandoned after "
                f"{self.body_received} bytes")


#: ``GET /artifacts/<type>/<id>/<blob path>``: a blob download (any query string).
_BLOB_DOWNLOAD = re.compile(rb"GET /artifacts/[^/?\s]+/[^/?\s]+/[^?\s]")


def classify(head: bytes) -> tuple[str, int]:
    """The lane of a request with this head, and how many body bytes to gather first."""
    length: int | None = None
    streamed = _BLOB_DOWNLOAD.match(head) is not None  # its client sets the pace
    for line in head.split(b"\n")[1:]:
        name, colon, value = line.partition(b":")
        if not colon:
            continue
        name, value = name.strip().lower(), value.strip().lower()
        if name == b"content-length":
            if not value.isdigit() or (length is not None and int(value) != length):
                return QUICK, 0  # gunicorn refuses it without reading a body
            length = int(value)
        elif name == b"transfer-encoding":
            streamed = True  # a chunked body ends where its framing says: not gathered here
        elif name == b"expect" and value == b"100-continue":
            streamed = True  # the client waits for the app's 100 before sending the body
    if streamed:
        return STREAM, 0
    if not length:
        return QUICK, 0
    if length <= PREBUFFER:
        return QUICK, length
    return STREAM, 0
