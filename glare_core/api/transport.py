"""Per-request plumbing shared by every route: request ids, version negotiation,
authentication into a RequestContext, and the contract's transport rules."""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from flask import Flask, Response, current_app, g, request

from glare_core.api import versions
from glare_core.api.identity_headers import refuse_repeated
from glare_core.auth.context import RequestContext, new_request_id
from glare_core.auth.strategies import STRATEGIES
from glare_core.engine.services import Engine
from glare_core.errors import BadRequest, MethodNotAllowed, UnsupportedTransferCoding
from glare_core.types.base import UUID_PATTERN

REQUEST_ID_HEADER = "x-openstack-request-id"
# Endpoints outside versioning and authentication (contract §4.1, §2 health check).
UNVERSIONED_ENDPOINTS = frozenset({"meta.root", "meta.versions", "meta.healthcheck"})
# Endpoints that answer HEAD themselves (others: 405, contract §2).
HEAD_ENDPOINTS: set[str] = set()


def normalize_request_id(value: str | None) -> str:
    """The client's ``req-<uuid>`` (prefix added if missing), or a new one.

    Anything else a client sends is replaced: the id goes into every log and notification
    line of the request, where free text could forge fields of other requests.
    """
    if not value or not re.fullmatch(UUID_PATTERN, value.removeprefix("req-")):
        return new_request_id()
    return value if value.startswith("req-") else f"req-{value}"


def check_path_encoding() -> None:
    """A URL path that is not UTF-8 is a bad request (not a lookup of a garbled name)."""
    environ = request.environ
    raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    try:
        if raw_uri:  # the path as the client sent it, still percent-encoded
            unquote_to_bytes(raw_uri.split("?", 1)[0]).decode("utf-8")
        else:  # WSGI: PATH_INFO holds the raw bytes as latin-1 text
            environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8")
    except UnicodeError:
        raise BadRequest("The URL path is not valid UTF-8") from None


def check_no_nul() -> None:
    """NUL in the path or the query string is a bad request: no name, id, key or filter
    value can hold it (PostgreSQL text cannot), so it never reaches a lookup."""
    if "\x00" in request.path or any(
        "\x00" in name or "\x00" in value for name, value in request.args.items(multi=True)
    ):
        raise BadRequest("NUL characters are not allowed in the URL")


def check_transfer_coding() -> None:
    """Only the chunked framing is decoded. gunicorn passes gzip, deflate or compress in
    front of it on to the app, whose upload would store the body still encoded: 501."""
    value = request.headers.get("Transfer-Encoding")
    if value is None:
        return
    codings = {coding.strip(" \t").lower() for coding in value.split(",")} - {"chunked", ""}
    if codings:
        raise UnsupportedTransferCoding(
            f"Transfer-Encoding {value!r} is not supported: send the body with the chunked "
            "coding only (a compressed file is uploaded as it is)")


def is_cors_preflight() -> bool:
    """OPTIONS is served only as a CORS preflight, when CORS is on (``api/cors.py``);
    any other OPTIONS is a method the route does not have (contract §2: 405)."""
    return bool(current_app.config.get("GLARE_CORS_ORIGINS")) and (
        "Access-Control-Request-Method" in request.headers)


def before_request() -> None:
    g.request_id = normalize_request_id(request.headers.get(REQUEST_ID_HEADER))
    check_path_encoding()
    check_no_nul()
    check_transfer_coding()
    refuse_repeated(request.environ)
    endpoint = request.endpoint or ""
    if request.url_rule and (
        (request.method == "HEAD" and endpoint not in HEAD_ENDPOINTS)
        or (request.method == "OPTIONS" and not is_cors_preflight())
    ):
        allowed = sorted(m for m in request.url_rule.methods or () if m not in ("HEAD", "OPTIONS"))
        raise MethodNotAllowed(f"Method {request.method} is not allowed here", allowed=allowed)
    if (endpoint in UNVERSIONED_ENDPOINTS or endpoint.startswith("api-docs.")
            or endpoint == "static" or not endpoint):  # "static": the API docs' UI assets
        return
    g.api_version = versions.negotiate(
        request.headers.get("Accept"), request.headers.get(versions.VERSION_HEADER)
    )
    if request.method == "OPTIONS":
        return
    g.context = authenticate()


def current_engine() -> Engine:
    """The engine services of the application serving this request."""
    return current_app.extensions["glare"].engine


def authenticate() -> RequestContext:
    state = current_app.extensions["glare"]
    strategy = STRATEGIES[current_app.config["GLARE_AUTH_STRATEGY"]]
    return strategy(
        request.headers,
        request_id=g.request_id,
        allow_anonymous=current_app.config["GLARE_ALLOW_ANONYMOUS"],
        is_admin=state.policy.is_admin,
    )


#: The Content-Type of a 204, as v1 clients have always seen it.
NO_CONTENT_TYPE = "text/html; charset=utf-8"


def after_request(response: Response) -> Response:
    response.headers[REQUEST_ID_HEADER] = g.get("request_id") or new_request_id()
    version = g.get("api_version")
    if version:
        response.headers[versions.VERSION_HEADER] = f"{versions.SERVICE} {version}"
        response.vary.add(versions.VERSION_HEADER)
    if response.status_code == 204 and "Content-Type" not in response.headers:
        # Existing v1 clients read the content type of every successful answer, a 204
        # included (upstream Glare sent its framework's text/html default): a 204 without
        # one fails them with a KeyError. It stays, though the body is empty.
        response.headers["Content-Type"] = NO_CONTENT_TYPE
    return response


def current_context() -> RequestContext:
    return g.context


def reject_body() -> None:
    """Body-less routes refuse a body (contract §2)."""
    length = request.content_length
    chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    if (length is not None and length > 0) or chunked:
        raise BadRequest("A request body is not expected here")


def media_type(value: str | None) -> str | None:
    """The media type without parameters, lower-cased (``application/json``)."""
    if not value:
        return None
    return value.split(";", 1)[0].strip().lower()


def install(app: Flask) -> None:
    app.before_request(before_request)
    app.after_request(after_request)

