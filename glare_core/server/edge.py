"""What gunicorn offers the HTTP layer (``api/server_edge.py``), and the WSGI middleware
that puts it into each request's environ.

The views ask for these services through the environ, so the HTTP layer never imports
gunicorn or this package. The worker wraps the app it serves (``GlareWorker.load_wsgi``);
``glare_core.wsgi`` wraps its app too, so that gunicorn's stock workers serving it keep
the direct socket input and the bound on ``sendfile``. Under another server the
middleware adds nothing and the views fall back to plain WSGI.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from glare_core.api.server_edge import ENVIRON_KEY, Environ
from glare_core.server.client_timeout import apply_sendfile_timeout
from glare_core.server.expect_continue import send_continue
from glare_core.server.json_errors import is_refused_request
from glare_core.server.socket_body import SocketInput, direct_input


class GunicornEdge:
    """The ``ServerEdge`` of gunicorn: each service checks the request's environ itself
    and does nothing where gunicorn's internals are not as it expects."""

    def is_refused_request(self, exc: BaseException) -> bool:
        return is_refused_request(exc)

    def send_continue(self, environ: Environ) -> None:
        send_continue(environ)

    def direct_input(self, environ: Environ) -> SocketInput | None:
        return direct_input(environ)

    def apply_sendfile_timeout(self, environ: Environ, seconds: float) -> None:
        apply_sendfile_timeout(environ, seconds)


GUNICORN_EDGE = GunicornEdge()


class WithGunicornEdge:
    """WSGI middleware: requests that gunicorn serves carry ``GUNICORN_EDGE``."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: Environ, start_response: Callable[..., Any]) -> Iterable[bytes]:
        if "gunicorn.socket" in environ:
            environ.setdefault(ENVIRON_KEY, GUNICORN_EDGE)
        return self.app(environ, start_response)
