"""Render artifacts and list pages as the contract's JSON (§10, §7.2)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, urlencode

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
PUBLIC_BLOB_KEYS = ("url", "size", "md5", "sha1", "sha256", "external", "status",
                    "content_type")


def format_timestamp(value: dt.datetime | None) -> str | None:
    return value.strftime(TIMESTAMP_FORMAT) if value is not None else None


def blob_path(type_name: str, artifact_id: str, field: str, key: str | None = None) -> str:
    path = f"/artifacts/{type_name}/{artifact_id}/{field}"
    return path if key is None else f"{path}/{quote(key, safe='/')}"


def render_blob(blob: Mapping[str, Any] | None, path: str) -> dict[str, Any] | None:
    if blob is None:
        return None
    out = {key: blob.get(key) for key in PUBLIC_BLOB_KEYS}
    if not out["external"]:
        out["url"] = path
    return out


def render_artifact(artifact_type: Any, artifact: Mapping[str, Any]) -> dict[str, Any]:
    """Every field of the type (unset ones as null or their default), then type formatting."""
    out: dict[str, Any] = {}
    type_name = artifact.get("type_name", artifact_type.type_name)
    for name, spec in artifact_type.fields.items():
        value = artifact.get(name)
        if spec.is_datetime:
            value = format_timestamp(value)
        elif spec.is_single_blob:
            value = render_blob(value, blob_path(type_name, artifact["id"], name))
        elif spec.is_folder:
            value = {
                key: render_blob(blob, blob_path(type_name, artifact["id"], name, key))
                for key, blob in (value or {}).items()
            }
        elif value is None:
            value = spec.default_value()
        out[name] = value
    return artifact_type.format_output(out)


def page_links(
    type_name: str, params: Iterable[tuple[str, str]], last_id: str | None
) -> tuple[str, str | None]:
    """``first`` and ``next`` links: the request's query without ``marker`` (all values kept)."""
    base = f"/artifacts/{type_name}"
    kept = [(k, v) for k, v in params if k != "marker"]
    first = f"{base}?{urlencode(kept)}" if kept else base
    if last_id is None:
        return first, None
    return first, f"{base}?{urlencode([*kept, ('marker', last_id)])}"


def render_page(page: Any, params: list[tuple[str, str]]) -> dict[str, Any]:
    artifact_type = page.artifact_type
    items = [render_artifact(artifact_type, artifact) for artifact in page.artifacts]
    full = bool(page.artifacts) and len(page.artifacts) == page.limit
    first, next_link = page_links(
        artifact_type.type_name, params, page.artifacts[-1]["id"] if full else None
    )
    body: dict[str, Any] = {"first": first, "artifacts": items}
    if next_link:
        body["next"] = next_link
    body.update(
        schema=f"/schemas/{artifact_type.type_name}",
        type_name=artifact_type.type_name,
        total_count=page.total,
    )
    return body
