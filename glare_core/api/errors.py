"""One JSON error envelope for every error, whatever raised it (contract §5).

``{"code", "title", "explanation", "error": {"message", "type"}}``; framework errors
(unknown route, wrong method, malformed request) use it too (contract Q2). Unexpected
exceptions become a 500 envelope and are logged; tracebacks go to clients only in debug.
"""

from __future__ import annotations

import logging
import traceback
from http import HTTPStatus
from typing import Any

from flask import Flask, current_app, request
from werkzeug.exceptions import HTTPException

from glare_core.api.responses import json_response
from glare_core.api.server_edge import server_edge
from glare_core.errors import (
    BadRequest,
    BlobNotFound,
    GlareError,
    MethodNotAllowed,
    NotImplementedMethod,
    RangeNotSatisfiable,
)

log = logging.getLogger(__name__)

KNOWN_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}
)

EXPLANATIONS = {
    400: "The server could not comply with the request since it is either malformed or "
         "otherwise incorrect.",
    401: "This server could not verify that you are authorized to access the resource.",
    403: "Access was denied to this resource.",
    404: "The resource could not be found.",
    405: "The method is not allowed for this resource.",
    406: "The requested API version is not supported.",
    409: "There was a conflict when trying to complete your request.",
    412: "A precondition given in the request evaluated to false.",
    413: "The request entity is larger than the server is willing to process.",
    415: "The request media type is not supported by this server.",
    416: "The requested range cannot be served.",
    500: "The server has either erred or is incapable of performing the requested operation.",
    501: "The server does not support the requested method.",
    503: "The server is currently unavailable.",
}


def envelope(status: int, message: str, error_type: str, **extra: Any) -> dict[str, Any]:
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    body: dict[str, Any] = {
        "code": status,
        "title": phrase,
        "explanation": EXPLANATIONS.get(status, phrase),
        "error": {"message": message, "type": error_type},
    }
    body.update(extra)
    return body


def error_response(exc: GlareError) -> Any:
    body = envelope(exc.status, exc.message, exc.error_type, **exc.extra)
    if current_app.config.get("GLARE_DEBUG") and exc.__traceback__ is not None:
        body["error"]["traceback"] = "".join(traceback.format_exception(exc))
    response = json_response(body, exc.status)
    if isinstance(exc, MethodNotAllowed) and exc.allowed:
        response.headers["Allow"] = ", ".join(exc.allowed)
    if isinstance(exc, RangeNotSatisfiable) and exc.size is not None:
        response.headers["Content-Range"] = f"bytes */{exc.size}"
    return response


def handle_glare_error(exc: GlareError) -> Any:
    if isinstance(exc, BlobNotFound):
        # A store names the location it missed; clients never see store locations (§16).
        log.warning("request %s %s: %s", request.method, request.path, exc.message)
        exc = BlobNotFound()
    if exc.status >= 500:
        log.error("request %s %s failed: %s", request.method, request.path, exc.message)
    return error_response(exc)


def handle_http_exception(exc: HTTPException) -> Any:
    status = exc.code or 500
    if status == 404 and request.method not in KNOWN_METHODS:
        return error_response(NotImplementedMethod(f"Method {request.method} is not supported"))
    if status == 405:
        # Flask adds HEAD and OPTIONS to every GET route; the contract's Allow lists omit them.
        valid = getattr(exc, "valid_methods", None) or []
        allowed = [m for m in valid if m not in ("HEAD", "OPTIONS")]
        return error_response(
            MethodNotAllowed(f"Method {request.method} is not allowed here", allowed=allowed)
        )
    message = exc.description or HTTPStatus(status).phrase
    error_type = "RequestEntityTooLarge" if status == 413 else exc.__class__.__name__
    return json_response(envelope(status, message, error_type), status)


def handle_unexpected(exc: Exception) -> Any:
    if isinstance(exc, HTTPException):
        return handle_http_exception(exc)
    if server_edge(request.environ).is_refused_request(exc):
        # The server's verdict on what the client sent, raised by its body reader (the
        # views' reads make it a BadRequest themselves: api/request_body.py).
        return error_response(BadRequest(f"The request body is malformed: {exc}"))
    log.exception("unexpected error in %s %s", request.method, request.path)
    err = GlareError("The server failed to process the request")
    err.__traceback__ = exc.__traceback__
    return error_response(err)


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(GlareError, handle_glare_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
