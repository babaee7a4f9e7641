"""Routes of ``/artifacts/{type}/{id}/{blob}[/{key}]``: upload (streamed), locations,
download (HEAD, Range, conditional GET), and removal of location blobs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from werkzeug.urls import iri_to_uri

from glare_core.api import docs
from glare_core.api.bodies import read_json
from glare_core.api.request_body import request_body, send_continue
from glare_core.api.responses import json_response
from glare_core.api.serialize import render_artifact
from glare_core.api.server_edge import server_edge
from glare_core.api.transport import (
    HEAD_ENDPOINTS,
    current_context,
    current_engine,
    media_type,
    reject_body,
)
from glare_core.engine.artifacts import revision_tag
from glare_core.engine.downloads import Download
from glare_core.errors import (
    BadRequest,
    Conflict,
    PreconditionFailed,
    RangeNotSatisfiable,
)
from glare_core.streaming import CHUNK_SIZE, FileRange

blp = Blueprint("blobs", __name__, description="Blob data of artifacts.")

LOCATION_MEDIA_TYPE = docs.LOCATION_MEDIA_TYPE
DEFAULT_CONTENT_TYPE = "application/octet-stream"


def split_blob_path(path: str) -> tuple[str, str | None]:
    """``field`` or ``field/key``, split at the first '/' (the key may contain '/'); an
    empty key (``field/``) is no key, as in §6: ``blob/`` is ``blob``, and ``folder/``
    names no entry of the folder."""
    field_name, _, key = path.partition("/")
    return field_name, key or None


def parse_content_length() -> int | None:
    """The body's announced length; None for a chunked body, whose framing overrides any
    Content-Length (RFC 9112 §6.3)."""
    raw = request.headers.get("Content-Length")
    if raw is None or "chunked" in request.headers.get("Transfer-Encoding", "").lower():
        return None
    try:
        length = int(raw)
    except ValueError:
        raise BadRequest(f"Content-Length must be an integer, not {raw!r}") from None
    if length < 0:
        raise BadRequest("Content-Length must not be negative")
    return length


def upload_body(length: int | None) -> Iterator[bytes]:
    """The request body in chunks, read with as few copies as the server allows; reading
    it fails only with Glare errors (``api/request_body.py``).

    A server may offer a reader of a body with a length that is cheaper than WSGI's
    (``ServerEdge.direct_input``: on gunicorn, the client socket itself, one kernel copy
    per chunk). Otherwise werkzeug's ``request.stream`` would wrap the server's input in a
    limiting stream that copies every chunk twice more, so the server's own input is read
    whenever that is safe: when the server marks it as terminated (it ends where the body
    ends: chunked bodies on gunicorn) or when the length is known (``request_body`` then
    never reads past it). Without either, werkzeug's stream is empty, as HTTP wants.
    """
    environ = request.environ
    edge = server_edge(environ)
    refused = edge.is_refused_request
    if length is not None and (direct := edge.direct_input(environ)) is not None:
        chunks = request_body(direct, length, refused=refused)
    elif environ.get("wsgi.input_terminated"):
        chunks = request_body(environ["wsgi.input"], length, until_eof=True, refused=refused)
    elif length is not None:
        chunks = request_body(environ["wsgi.input"], length, refused=refused)
    else:
        chunks = request_body(request.stream, length, refused=refused)
    return _continued(environ, chunks)


def _continued(environ: dict[str, Any], chunks: Iterator[bytes]) -> Iterator[bytes]:
    """``chunks``, after the ``100 Continue`` a client may be waiting for: sent when the
    upload first reads, after every check that could refuse it (server/expect_continue)."""
    send_continue(environ, what="upload")
    yield from chunks


def _artifact_response(type_name: str, artifact: dict) -> Response:
    artifact_type = current_app.extensions["glare"].registry.resolve(type_name)
    response = json_response(render_artifact(artifact_type, artifact))
    response.headers["ETag"] = revision_tag(artifact)
    return response


@blp.route("/artifacts/<type_name>/<artifact_id>/<blobpath:blob_path>",
           parameters=[docs.BLOB_PATH])
class BlobData(MethodView):
    @blp.doc(**docs.download_doc())
    def get(self, type_name: str, artifact_id: str, blob_path: str) -> Any:
        """Download blob data (HEAD, a single byte Range and If-None-Match supported)

        External locations answer 301 with the URL in ``Location``.
        """
        reject_body()
        field_name, key = split_blob_path(blob_path)
        download = current_engine().downloads.download(current_context(), type_name, artifact_id,
                                           field_name, key)
        return download_response(download)

    @blp.doc(**docs.upload_doc())
    def put(self, type_name: str, artifact_id: str, blob_path: str) -> Any:
        """Upload blob data (streamed; any Content-Type), or attach a location

        With ``Content-Type: application/vnd+openstack.glare-custom-location+json`` the
        body is ``{"url", "location_type", "md5", "sha1", "sha256"}``.
        """
        field_name, key = split_blob_path(blob_path)
        content_type = media_type(request.headers.get("Content-Type"))
        if content_type == LOCATION_MEDIA_TYPE:
            body = read_json()
            artifact = current_engine().locations.add_location(
                current_context(), type_name, artifact_id, field_name, key, body
            )
            return _artifact_response(type_name, artifact)
        if content_type is None:
            raise BadRequest("The Content-Type header is required")
        length = parse_content_length()
        artifact = current_engine().uploads.upload(
            current_context(), type_name, artifact_id, field_name, key,
            upload_body(length), content_type=content_type,
            content_length=length,
        )
        return _artifact_response(type_name, artifact)

    @blp.doc(**docs.delete_blob_doc())
    def delete(self, type_name: str, artifact_id: str, blob_path: str) -> Any:
        """Remove a blob that is an external location"""
        field_name, key = split_blob_path(blob_path)
        artifact = current_engine().locations.delete_location(
            current_context(), type_name, artifact_id, field_name, key
        )
        return _artifact_response(type_name, artifact)


HEAD_ENDPOINTS.add("blobs.BlobData")


def checksum_headers(blob: dict) -> dict[str, str]:
    headers = {}
    for header, key in (("Content-MD5", "md5"), ("X-Openstack-Glare-Content-SHA1", "sha1"),
                        ("X-Openstack-Glare-Content-SHA256", "sha256")):
        if blob.get(key):
            headers[header] = blob[key]
    return headers


def entity_tag(blob: dict) -> str | None:
    digest = blob.get("sha256") or blob.get("md5")
    return f'"{digest}"' if digest else None


def download_response(download: Download) -> Response:
    blob = download.blob
    if download.redirect is not None:
        try:
            # What werkzeug would do when sending the header, done here so that a URL
            # stored before locations were checked fails as a clear 409, not a 5xx.
            location = iri_to_uri(download.redirect)
        except ValueError:
            raise Conflict("This blob's external location is not a valid URL; delete the "
                           "location and add a correct one") from None
        response = Response(b"", status=301, content_type="application/json")
        response.headers["Location"] = location
        response.headers.update(checksum_headers(blob))
        return response
    size = download.size
    etag = entity_tag(blob)
    headers = checksum_headers(blob)
    filename = download.blob_key.rsplit("/", 1)[-1] if download.blob_key else download.field_name
    headers["Content-Disposition"] = (
        f"attachment; filename=\"{_ascii(filename)}\"; filename*=UTF-8''{quote(filename)}"
    )
    check_if_match(etag)
    if etag:
        headers["ETag"] = etag
        # If-None-Match compares weakly (RFC 9110 §13.1.2).
        if request.if_none_match.contains_weak(etag.strip('"')):
            return Response(status=304, headers=headers)
    content_type = blob.get("content_type") or DEFAULT_CONTENT_TYPE
    offset, length, status = 0, size, 200
    if size is not None:
        headers["Accept-Ranges"] = "bytes"
        try:
            byte_range = _requested_range(size, etag)
        except RangeNotSatisfiable:
            # A blob whose data is damaged answers so, whatever range is asked.
            if download.check_stored is not None:
                download.check_stored()
            raise
        if byte_range is not None:
            start, stop = byte_range
            offset, length, status = start, stop - start, 206
            headers["Content-Range"] = f"bytes {start}-{stop - 1}/{size}"
            if length != size:
                # Content-MD5 is the digest of the body sent, and a part is not the blob:
                # clients that check it (python-glareclient does) would reject the part.
                # The SHA-1/SHA-256 headers and the ETag describe the blob, and stay.
                headers.pop("Content-MD5", None)
    if length is not None:
        headers["Content-Length"] = str(length)
    if request.method == "HEAD" or length == 0:
        # Nothing is read, but the answer must be the one a GET would get.
        if download.check_stored is not None:
            download.check_stored()
        # An iterator, not b"": werkzeug would replace Content-Length with len(b"").
        body: Any = iter(())
    else:
        assert download.open is not None
        body = download.open(offset, length if status == 206 else None)
        file_wrapper = request.environ.get("wsgi.file_wrapper")
        if isinstance(body, FileRange) and file_wrapper is not None:
            # A local file: let the server send it with sendfile (from the current offset,
            # Content-Length bytes).
            body.fileobj.seek(body.offset)
            body = file_wrapper(body.fileobj, CHUNK_SIZE)
            server_edge(request.environ).apply_sendfile_timeout(
                request.environ, current_app.config["GLARE_CLIENT_TIMEOUT"])
    response = Response(body, status=status, headers=headers, content_type=content_type,
                        direct_passthrough=True)
    return response


def check_if_match(etag: str | None) -> None:
    """RFC 9110 §13.1.1: with If-Match, only the blob it names (strongly) is sent, so a
    client resuming a download never gets another blob's bytes; else 412."""
    if_match = request.if_match
    if not if_match or if_match.star_tag:
        return
    if etag is None or not if_match.contains(etag.strip('"')):
        raise PreconditionFailed("The blob is not the one If-Match names")


def _requested_range(size: int, etag: str | None) -> tuple[int, int] | None:
    """(start, stop) of the requested byte range, or None to send the whole blob."""
    header = request.headers.get("Range")
    if not header:
        return None
    if_range = request.headers.get("If-Range")
    if if_range is not None and if_range != etag:
        return None
    return byte_range(header, size)


# first-last, either side may be empty (ASCII digits only: int() accepts other scripts).
_BYTE_RANGE = re.compile(r"\s*([0-9]*)-([0-9]*)\s*")
# Offsets past any blob: larger numbers are compared as this (int() of thousands of
# digits is refused by Python, and no offset needs them).
_HUGE = 10**19


def _offset(digits: str) -> int:
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) < 19 else _HUGE


def byte_range(header: str, size: int) -> tuple[int, int] | None:
    """Interpret a Range header (RFC 9110 §14.1.2) for a blob of ``size`` bytes.

    Returns (start, stop) for one satisfiable range, None when the header is to be ignored
    (malformed, other units, several ranges: the whole blob is sent), and raises
    RangeNotSatisfiable (416) when the single range lies outside the blob.
    """
    units, _, spec = header.partition("=")
    found = _BYTE_RANGE.fullmatch(spec)
    if units.strip().lower() != "bytes" or found is None or found.group() == "-":
        return None
    first, last = found.groups()
    if first and last and _offset(last) < _offset(first):
        return None
    if not first:  # suffix: the last N bytes (all of them if N is larger than the blob)
        suffix = _offset(last)
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable(f"The blob has {size} bytes", size=size)
        return max(0, size - suffix), size
    start = _offset(first)
    if start >= size:
        raise RangeNotSatisfiable(f"The blob has {size} bytes", size=size)
    stop = size if not last else min(_offset(last) + 1, size)
    return start, stop


def _ascii(text: str) -> str:
    return "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in text)
