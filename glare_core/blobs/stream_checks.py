"""Stream helpers for upload hooks: check a blob's content while it streams through.

An upload hook (``ArtifactType.pre_upload``) may return a replacement stream. The helpers
here build such streams for hooks that validate the content: every chunk is passed on
unchanged, the check runs once the body has ended, and the **last chunk is held back until
the check has passed**, so content that fails the check never completes an upload. When the
check raises (``BadRequest`` for a clear 400), the engine rolls the blob back.

* ``validate_after_stream`` keeps a bounded in-memory copy for the check (small documents:
  templates, manifests);
* ``spool_then_check`` writes the data to a temporary file and hands the check its path
  (archives and anything else too large to keep in memory);
* ``parse_yaml`` parses a YAML document for such a check, turning bad YAML into a 400.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import yaml

from glare_core.errors import BadRequest

__all__ = ["parse_yaml", "spool_then_check", "validate_after_stream"]

# The C loader when PyYAML has it (much faster); both build plain data only.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(data: bytes, what: str) -> Any:
    """The YAML document in ``data`` (UTF-8, a BOM allowed) as plain data; BadRequest
    "The <what> is not valid YAML: <reason>" when it cannot be read."""
    try:
        return yaml.load(data.decode("utf-8-sig"), Loader=_SAFE_LOADER)
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        reason = " ".join(str(exc).split())
        raise BadRequest(f"The {what} is not valid YAML: {reason}") from None


def validate_after_stream(
    stream: Iterable[bytes], limit: int, check: Callable[[bytes], object]
) -> Iterator[bytes]:
    """Yield the chunks of ``stream`` unchanged and call ``check(data)`` on the whole data.

    At most ``limit`` bytes are kept in memory. Data longer than that is refused with
    ``BadRequest``; the pending chunks are passed on first, so when an outer size limit
    (the field's ``max_blob_size``, a quota) is the same or smaller, that limit reports the
    overflow (413) instead. ``check`` runs after the last chunk was received and before it
    is yielded; whatever it raises propagates. An empty stream is checked as ``b""``.
    """
    if limit < 0:
        raise ValueError("limit must not be negative")
    copy = bytearray()
    held: bytes | None = None
    for chunk in stream:
        if not chunk:
            continue
        if len(copy) + len(chunk) > limit:
            if held is not None:
                yield held
            yield chunk
            raise BadRequest(
                f"The data is larger than the {limit} bytes that can be checked"
            )
        copy.extend(chunk)
        if held is not None:
            yield held
        held = chunk
    data = bytes(copy)
    del copy
    check(data)
    del data
    if held is not None:
        yield held


def spool_then_check(
    stream: Iterable[bytes], check: Callable[[str], object]
) -> Iterator[bytes]:
    """Yield the chunks of ``stream`` unchanged while writing them to a temporary file.

    When the stream has ended, ``check(path)`` is called with the path of the complete
    file, before the last chunk is yielded; whatever it raises propagates. The file is
    deleted afterwards, also when the upload fails or stops early. Nothing is kept in
    memory beyond the chunk in transit.
    """
    descriptor, path = tempfile.mkstemp(prefix="glare-upload-")
    try:
        held: bytes | None = None
        with os.fdopen(descriptor, "wb") as spool:
            for chunk in stream:
                if not chunk:
                    continue
                spool.write(chunk)
                if held is not None:
                    yield held
                held = chunk
        check(path)
        if held is not None:
            yield held
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
