"""``Expect: 100-continue`` answered when Glare starts reading the body, not before.

gunicorn answers ``100 Continue`` as soon as it has parsed the headers, before the app
has looked at the request: a client uploading a blob that will be refused (too large,
over quota, no such artifact, not allowed) then sends all of it for nothing. The worker
takes that answer from gunicorn (``defer_continue``) and the app's body readers give it
(``send_continue``, offered to them by ``server/edge.py``) once every check before the
body has passed. A request refused
before that is answered at once, without the client sending its body (the connection
is then closed, the body being unread: ``api/unread_body.py``).
"""

from __future__ import annotations

from typing import Any

CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_PENDING = "glare_continue_pending"  # set on gunicorn's body object of the request


def defer_continue(req: Any) -> None:
    """Keep gunicorn from answering the request's ``Expect: 100-continue`` itself."""
    body = getattr(req, "body", None)
    if getattr(req, "_expected_100_continue", False) and body is not None:
        req._expected_100_continue = False
        setattr(body, _PENDING, True)


def send_continue(environ: dict[str, Any]) -> None:
    """Answer a deferred ``Expect: 100-continue``: the body is about to be read."""
    body = environ.get("wsgi.input")
    if not getattr(body, _PENDING, False):
        return
    setattr(body, _PENDING, False)
    sock = environ.get("gunicorn.socket")
    if sock is not None:
        sock.sendall(CONTINUE)
