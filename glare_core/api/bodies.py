"""Reading JSON request bodies with the contract's checks: media type (400/415), size,
well-formed UTF-8 JSON, and no characters outside the Basic Multilingual Plane."""

from __future__ import annotations

import json
from typing import Any

from flask import request

from glare_core.api.transport import media_type
from glare_core.errors import BadRequest, RequestTooLarge, UnsupportedMediaType
from glare_core.types.fields import has_astral_chars

MAX_JSON_BODY = 1024 * 1024


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
    """Parse the request body as JSON (bounded in size)."""
    raw = request.stream.read(MAX_JSON_BODY + 1)
    if len(raw) > MAX_JSON_BODY:
        raise RequestTooLarge(f"JSON bodies are limited to {MAX_JSON_BODY} bytes")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadRequest("The request body is not valid UTF-8") from None
    except ValueError as exc:
        raise BadRequest(f"The request body is not valid JSON: {exc}") from None
    check_bmp(data)
    return data


def check_bmp(value: Any) -> None:
    """Reject strings or keys holding characters outside the BMP (e.g. emoji): 400."""
    if isinstance(value, str):
        if has_astral_chars(value):
            raise BadRequest("Characters outside the Basic Multilingual Plane are not allowed")
    elif isinstance(value, dict):
        for key, item in value.items():
            check_bmp(key)
            check_bmp(item)
    elif isinstance(value, list):
        for item in value:
            check_bmp(item)
