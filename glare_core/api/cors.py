"""CORS, so a browser dashboard (e.g. a Horizon panel) can call the API directly.

Off unless ``GLARE_CORS_ORIGINS`` lists allowed origins (``["*"]`` allows any). Preflight
requests (OPTIONS) are answered without authentication; responses expose the headers a
client needs (request id, API version, ETag, checksums, Content-Range, Location).
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import Flask
from flask_cors import CORS

ALLOWED_HEADERS = [
    "Content-Type", "Accept", "Range", "If-Match", "If-None-Match", "If-Range",
    "X-Auth-Token", "X-Identity-Status", "X-User-Id", "X-Project-Id", "X-Tenant-Id",
    "X-Roles", "X-Openstack-Request-Id", "OpenStack-API-Version",
]
EXPOSED_HEADERS = [
    "x-openstack-request-id", "OpenStack-API-Version", "ETag", "Location", "Content-Range",
    "Content-Length", "Content-MD5", "Content-Disposition", "Accept-Ranges",
    "X-Openstack-Glare-Content-SHA1", "X-Openstack-Glare-Content-SHA256",
]
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def install(app: Flask, origins: Sequence[str]) -> None:
    if not origins:
        return
    CORS(
        app,
        origins=list(origins),
        allow_headers=ALLOWED_HEADERS,
        expose_headers=EXPOSED_HEADERS,
        methods=METHODS,
        max_age=3600,
    )
