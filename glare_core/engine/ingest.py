"""The ingest pipeline: how an upload's bytes travel from the request to the store.

    request body (api/: read from the client; a client that goes away is a typed error)
      → glare_blob_pre_upload hooks (chained; each may replace the stream)
      → MeteredStream (size limit, reservation growth, MD5/SHA-1/SHA-256 on helper threads)
      → write_behind (the store writes on its own thread, one chunk behind the reader)
      → BlobStore.write (file, database, Swift, a plugin's store)

Nothing on the way holds more than a few chunks in memory. ``ingest`` returns the stored
size and the three checksums; ``uploads.py`` decides what becomes of the blob record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from glare_core.auth.context import RequestContext
from glare_core.blobs.base import BlobStore, BlobWriteError
from glare_core.blobs.pipeline import write_behind
from glare_core.blobs.streams import DIGEST_HEX_LENGTHS, MeteredStream
from glare_core.engine.hooks import EngineHooks
from glare_core.errors import BadRequest, GlareError
from glare_core.types.base import ArtifactType
from glare_core.types.spec import FieldSpec


def ingest(
    hooks: EngineHooks, context: RequestContext, artifact_type: ArtifactType, artifact: dict,
    spec: FieldSpec, blob_key: str | None, body: Iterable[bytes], store: BlobStore,
    location: str, *, limit: int, why: str, content_length: int | None,
    changes: dict[str, Any], reserved: int, reserve: Callable[[int], int] | None,
) -> tuple[int, dict[str, str]]:
    """Run ``body`` through the pre-upload hooks and the meter into ``store`` at
    ``location``; return the stored size and the three checksums."""
    replaced = hooks.blob_stream("pre_upload", "stream", body, artifact_type, artifact,
                                 spec.name, blob_key, context, changes=changes)
    if replaced is body:
        replaced = None
    size_hint = content_length if replaced is None else None
    by_store = frozenset(store.digests_while_writing(size_hint) & DIGEST_HEX_LENGTHS.keys())
    metered = MeteredStream(
        hook_errors_as_400(replaced if replaced is not None else body),
        limit=limit,
        limit_message=why,
        skip_digests=by_store,
        reserved=reserved,
        reserve=reserve,
    )
    stored = write_behind(lambda chunks: store.write(location, chunks, size=size_hint), metered)
    checksums = {**metered.checksums,
                 **{name: stored.checksums.get(name, "") for name in by_store}}
    broken = sorted(name for name in by_store if not _is_hex_digest(name, checksums[name]))
    if broken:
        raise BlobWriteError(
            f"The {store.name} store did not return the {', '.join(broken)} it promised")
    return stored.size, checksums


def hook_errors_as_400(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Errors of a hook's replacement stream: Glare errors keep their status (a client
    that went away is one: ``ClientDisconnected``), others → 400."""
    try:
        yield from chunks
    except GlareError:
        raise
    except (OSError, MemoryError):
        raise
    except Exception as exc:
        raise BadRequest(f"The blob data was refused: {exc}") from None


def _is_hex_digest(name: str, value: str) -> bool:
    return len(value) == DIGEST_HEX_LENGTHS[name] and all(c in "0123456789abcdef" for c in value)
