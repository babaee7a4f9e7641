"""Building responses: UTF-8 JSON with non-ASCII characters kept literal (contract §2)."""

from __future__ import annotations

import json
from typing import Any

from flask import Response

JSON_TYPE = "application/json; charset=UTF-8"
SCHEMA_TYPE = "application/schema+json; charset=UTF-8"


def json_response(body: Any, status: int = 200, *, content_type: str = JSON_TYPE) -> Response:
    text = json.dumps(body, ensure_ascii=False, separators=(", ", ": "))
    return Response(text.encode("utf-8"), status=status, content_type=content_type)
