"""The outermost WSGI layer: an exception that escapes everything else (e.g. raised by the
authentication middleware, which runs outside Flask) still becomes a JSON error envelope."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from glare_core.api.errors import envelope
from glare_core.auth.context import new_request_id

log = logging.getLogger(__name__)


class FaultWrapper:
    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        started = False

        def tracking_start_response(*args: Any, **kwargs: Any) -> Any:
            nonlocal started
            started = True
            return start_response(*args, **kwargs)

        try:
            return self.app(environ, tracking_start_response)
        except Exception:
            if started:
                raise  # the response is under way: nothing sensible can be sent any more
            log.exception("unhandled error outside the application in %s %s",
                          environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"))
            body = json.dumps(envelope(
                503, "A service Glare depends on failed to answer; retry later",
                "ServiceUnavailable")).encode()
            start_response("503 SERVICE UNAVAILABLE", [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(body))),
                ("x-openstack-request-id", new_request_id()),
            ])
            return [body]
