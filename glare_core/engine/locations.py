"""``LocationService``: blobs that are locations instead of uploaded data (contract §7.8):
an external http(s) URL (downloads redirect to it) or an internal location of one of the
stores (no data copy); and removing an external location."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from glare_core.auth.context import RequestContext
from glare_core.blobs.registry import StoreRegistry
from glare_core.blobs.streams import DIGEST_HEX_LENGTHS
from glare_core.engine.blob_paths import blob_at
from glare_core.engine.context import EngineContext
from glare_core.engine.hooks import artifact_payload
from glare_core.engine.patch import check_change_allowed
from glare_core.engine.session import Writes
from glare_core.errors import BadRequest, Conflict, Forbidden, NotFound

MAX_URL_LENGTH = 2048
URL_FORBIDDEN = re.compile(r"[\x00-\x20\x7f]")


def check_external_url(url: str) -> None:
    """An external location is sent back as the ``Location`` of a 301, so it must be an
    http(s) URL that parses, with a host: a port that is not a number, an unclosed
    ``[``, a host name that has no IDNA form or a missing host would otherwise fail every
    later download of the blob. The contract asks for a URL that starts with ``http``;
    the scheme is compared as a scheme (case-insensitively, and ``httpx:`` or
    ``https-evil:`` are not http)."""
    scheme, colon, _ = url.partition(":")
    if not colon or scheme.lower() not in ("http", "https"):
        raise BadRequest("An external location must be an http(s) URL")
    if "\\" in url:
        raise BadRequest("A location URL must not contain backslashes")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsing the port is the check
        if parts.hostname:
            parts.hostname.encode("idna")  # how the Location header will carry it
    except ValueError as exc:
        raise BadRequest(f"Malformed location URL: {exc}") from None
    if not parts.hostname:
        raise BadRequest("An external location URL must name a host (http://host/...)")


class LocationService:
    def __init__(self, ctx: EngineContext, *, writes: Writes, stores: StoreRegistry) -> None:
        self.ctx = ctx
        self.writes = writes
        self.stores = stores

    def add_location(
        self,
        context: RequestContext,
        type_name: str,
        artifact_id: str,
        field_name: str,
        blob_key: str | None,
        body: Any,
    ) -> dict[str, Any]:
        """Attach an external URL or an internal store location to a blob (no data copy);
        return the saved artifact."""
        url, internal, checksums = self._parse_location_body(body)
        action = "artifact:set_internal_location" if internal else "artifact:set_location"
        with self.writes.blob_session(context, type_name, artifact_id, field_name, blob_key,
                                      action) as target:
            artifact_type, data_api, artifact, spec = (
                target.artifact_type, target.data_api, target.artifact, target.checked)
            if blob_at(artifact, spec, blob_key) is not None:
                raise Conflict("This blob already has data or a location")
            check_change_allowed(artifact_type, artifact, field_name, blob_api=True)
            if spec.is_folder:
                folder = artifact.get(spec.name) or {}
                if spec.max_keys is not None and len(folder) >= spec.max_keys:
                    raise BadRequest(f"Folder '{spec.name}' is full")
            self.ctx.hooks.blob_pre("add_location", artifact_type, artifact, field_name,
                                    blob_key, context, url=url)
            data_api.set_blob(artifact_id, field_name, blob_key, {
                "status": "active", "external": not internal, "size": None,
                "content_type": None, "url": None if internal else url,
                "location": url if internal else None, "previous": None, **checksums,
            })
            saved = self.ctx.find(artifact_id, artifact_type)
        assert saved is not None
        self.ctx.hooks.blob_post("add_location", artifact_type, saved, field_name, blob_key,
                                 context)
        event = "set_internal_location" if internal else "set_location"
        self.ctx.hooks.notify(event, artifact_payload(type_name, saved), context)
        return saved

    def _parse_location_body(self, body: Any) -> tuple[str, bool, dict[str, Any]]:
        if not isinstance(body, dict):
            raise BadRequest("A location body must be a JSON object")
        url = body.get("url")
        if not isinstance(url, str) or not url:
            raise BadRequest("A location needs a 'url'")
        if len(url) > MAX_URL_LENGTH:
            raise BadRequest(f"A location URL may be at most {MAX_URL_LENGTH} characters")
        if URL_FORBIDDEN.search(url):
            # It goes back out in a Location header, where a line break would end the header.
            raise BadRequest("A location URL must not contain spaces or control characters")
        location_type = body.get("location_type", "external")
        if location_type not in ("external", "internal"):
            raise BadRequest("location_type must be 'external' or 'internal'")
        checksums = {}
        for name in ("md5", "sha1", "sha256"):
            value = body.get(name)
            if value is not None and not isinstance(value, str):
                raise BadRequest(f"'{name}' must be a string")
            if value is not None and len(value) > DIGEST_HEX_LENGTHS[name]:
                raise BadRequest(f"'{name}' may be at most {DIGEST_HEX_LENGTHS[name]} characters "
                                 "long (a hex digest)")
            checksums[name] = value
        if location_type == "external":
            check_external_url(url)
            if not checksums["md5"]:
                raise BadRequest("An external location needs its 'md5' checksum")
            return url, False, checksums
        self.stores.check_internal_location(url)
        return url, True, checksums

    def delete_location(
        self,
        context: RequestContext,
        type_name: str,
        artifact_id: str,
        field_name: str,
        blob_key: str | None,
    ) -> dict[str, Any]:
        """Remove a blob that is an external location (uploaded data cannot be removed);
        return the saved artifact."""
        with self.writes.blob_session(context, type_name, artifact_id, field_name, blob_key,
                                      "artifact:delete_blob") as target:
            artifact_type, data_api, artifact, spec = (
                target.artifact_type, target.data_api, target.artifact, target.checked)
            blob = blob_at(artifact, spec, blob_key)
            if blob is None:
                raise NotFound("There is no blob here")
            if not blob.get("external"):
                raise Forbidden("Only external locations can be deleted; uploaded data stays")
            check_change_allowed(artifact_type, artifact, field_name, blob_api=True)
            data_api.set_blob(artifact_id, field_name, blob_key, None)
            saved = self.ctx.find(artifact_id, artifact_type)
        assert saved is not None
        self.ctx.hooks.notify("delete_blob", artifact_payload(type_name, saved), context)
        return saved
