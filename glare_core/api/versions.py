"""API versions: the versions document and per-request version negotiation (contract §4).

Every endpoint works at every supported version (contract Q1); the negotiated version is
validated and echoed in the ``OpenStack-API-Version`` response header.
"""

from __future__ import annotations

import re
from typing import Any

from glare_core.errors import BadRequest, InvalidGlobalAPIVersion

VERSIONS = (("1.0", "STABLE"), ("1.1", "EXPERIMENTAL"))
MIN_VERSION, MAX_VERSION = VERSIONS[0][0], VERSIONS[-1][0]
MEDIA_TYPE_PREFIX = "application/vnd.openstack.artifacts-"
VERSION_HEADER = "OpenStack-API-Version"
SERVICE = "artifact"
_VERSION_FORMAT = re.compile(r"^[1-9]\d*\.(0|[1-9]\d*)$", re.ASCII)


def _as_tuple(version: str) -> tuple[int, int]:
    # Numbers of more than 9 digits are past any version (and int() refuses thousands).
    major, minor = (int(part) if len(part) < 10 else 10**9 for part in version.split("."))
    return major, minor


def negotiate(accept: str | None, version_header: str | None) -> str:
    """The API version a request asks for (default 1.0); 400 or 406 when unusable."""
    requested = None
    if accept and accept.startswith(MEDIA_TYPE_PREFIX):
        requested = accept[len(MEDIA_TYPE_PREFIX):]  # all the rest (§4): " 1.1" is no version
    elif version_header:
        service, _, value = version_header.strip().partition(" ")
        if service.lower() == SERVICE:
            requested = value.strip()
    if requested is None:
        return MIN_VERSION
    if requested == "latest":
        return MAX_VERSION
    if not _VERSION_FORMAT.match(requested):
        raise BadRequest(f"Invalid API version '{requested}'; use <major>.<minor>")
    if not _as_tuple(MIN_VERSION) <= _as_tuple(requested) <= _as_tuple(MAX_VERSION):
        raise InvalidGlobalAPIVersion(
            f"API version {requested} is not supported; use {MIN_VERSION} to {MAX_VERSION}",
            min_version=MIN_VERSION,
            max_version=MAX_VERSION,
        )
    return requested


def versions_document(public_endpoint: str | None = None) -> dict[str, Any]:
    versions = []
    for version, status in VERSIONS:
        entry: dict[str, Any] = {
            "version": version,
            "status": status,
            "media-type": MEDIA_TYPE_PREFIX + version,
            "links": [{"rel": "describedby", "type": "text/html",
                       "href": "http://docs.openstack.org/"}],
        }
        if public_endpoint:
            entry["links"].append({"rel": "self", "href": public_endpoint.rstrip("/") + "/"})
        versions.append(entry)
    return {"versions": versions}
