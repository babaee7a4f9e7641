"""Reading JSON request bodies with the contract's checks: media type (400/415), size,
well-formed UTF-8 JSON, bounded nesting, and no text that cannot be stored (outside the
BMP, NUL, lone surrogates)."""

from __future__ import annotations

import json
from typing import Any

from flask import request

from glare_core.api.request_body import read_client, send_continue
from glare_core.api.server_edge import server_edge
from glare_core.api.transport import media_type
from glare_core.errors import BadRequest, RequestTooLarge, UnsupportedMediaType
from glare_core.types.fields import unstorable_text

MAX_JSON_BODY = 1024 * 1024
# Far deeper than any field kind needs (a patch of a dict of lists is 4 levels).
MAX_JSON_DEPTH = 32


def require_media_type(*expected: str) -> str:
    found = media_type(request.headers.get("Content-Type"))
    if found is None:
        raise BadRequest("The Content-Type header is required")
    if found not in expected:
        raise UnsupportedMediaType(
            f"Content-Type {found} is not supported here; use {' or '.join(expected)}"
        )
    return found


def read_json() -> Any:
    """Parse the request body as JSON (bounded in size and nesting).

    A body announced larger than the limit is refused before ``100 Continue`` (the client
    waiting for it never sends the body) and without reading it.
    """
    if (request.content_length or 0) > MAX_JSON_BODY:
        raise RequestTooLarge(f"JSON bodies are limited to {MAX_JSON_BODY} bytes")
    send_continue(request.environ, what="request body")
    raw = read_client(request.stream, MAX_JSON_BODY + 1, what="request body",
                      refused=server_edge(request.environ).is_refused_request)
    if len(raw) > MAX_JSON_BODY:
        raise RequestTooLarge(f"JSON bodies are limited to {MAX_JSON_BODY} bytes")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadRequest("The request body is not valid UTF-8") from None
    except RecursionError:
        raise BadRequest(f"JSON may nest at most {MAX_JSON_DEPTH} levels deep") from None
    except ValueError as exc:
        raise BadRequest(f"The request body is not valid JSON: {exc}") from None
    check_json_value(data)
    return data


def check_json_value(data: Any) -> None:
    """Reject, with 400, what no artifact or quota can hold: nesting deeper than
    ``MAX_JSON_DEPTH`` (so no later step recurses without bound) and strings or keys that
    cannot be stored (outside the BMP, NUL, lone surrogates). Walks without recursion."""
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            _check_text(value)
        elif isinstance(value, (dict, list)):
            if depth > MAX_JSON_DEPTH:
                raise BadRequest(f"JSON may nest at most {MAX_JSON_DEPTH} levels deep")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str):
                    _check_text(key)
                pending.append((item, depth + 1))


def _check_text(text: str) -> None:
    if problem := unstorable_text(text):
        raise BadRequest(problem[0].upper() + problem[1:])
