"""Schemathesis hooks of the fuzz run (tests/system/test_openapi_fuzz.py).

They drop the generated bodies that break a rule OpenAPI 3.0 cannot state, so that a
body the schema allows is one the server must accept: every other generated body is kept.
"""

from __future__ import annotations

from typing import Any

import schemathesis

from glare_core.types.fields import unstorable_text


@schemathesis.hook("filter_body").apply_to(method="POST", path="/artifacts/{type_name}")
def creatable_without_state(context: Any, body: Any) -> bool:
    """Internal links must name an existing artifact (the server's state), and dict keys
    must be 1..255 characters of storable text (OpenAPI 3.0 has no ``propertyNames``)."""
    if not isinstance(body, dict):
        return True
    for value in body.values():
        if isinstance(value, dict) and any(
                not 1 <= len(key) <= 255 or unstorable_text(key) for key in value):
            return False
        values = value.values() if isinstance(value, dict) else (
            value if isinstance(value, list) else [value])
        if any(isinstance(item, str) and item.startswith("/artifacts/") for item in values):
            return False
    return True


@schemathesis.hook("filter_body").apply_to(method="PUT", path="/quotas")
def quota_names_once_per_project(context: Any, body: Any) -> bool:
    """A project names each quota at most once (a uniqueness JSON-Schema cannot state)."""
    if not isinstance(body, list):
        return True
    for project in body:
        quotas = project.get("project_quotas") if isinstance(project, dict) else None
        if isinstance(quotas, list):
            names = [q.get("quota_name") for q in quotas if isinstance(q, dict)]
            if len(names) != len(set(names)):
                return False
    return True
