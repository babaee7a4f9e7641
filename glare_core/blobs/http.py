"""The read-only ``http``/``https`` store: internal blob locations an admin attached.

The server streams such blobs itself (unlike external locations, which clients are
redirected to). Nothing is ever written or deleted there.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import requests

from glare_core.blobs.base import CHUNK_SIZE, BlobNotFound, BlobStore, StoredBlob
from glare_core.errors import BadRequest, ServiceUnavailable

TIMEOUT = 30


class HttpReadStore(BlobStore):
    schemes = ("https", "http")
    writable = False

    def write(
        self, location: str, chunks: Iterable[bytes], *, size: int | None = None
    ) -> StoredBlob:
        raise BadRequest("HTTP locations are read-only")

    def read(
        self, location: str, *, offset: int = 0, length: int | None = None
    ) -> Iterator[bytes]:
        headers = {}
        if offset or length is not None:
            end = "" if length is None else str(offset + length - 1)
            headers["Range"] = f"bytes={offset}-{end}"
        try:
            response = requests.get(location, headers=headers, stream=True, timeout=TIMEOUT)
        except requests.RequestException as exc:
            raise ServiceUnavailable(f"Cannot read {location}: {exc}") from None
        if response.status_code == 404:
            response.close()
            raise BlobNotFound(f"No data at {location}")
        if response.status_code >= 400:
            response.close()
            raise ServiceUnavailable(f"Cannot read {location}: HTTP {response.status_code}")
        return self._iterate(response)

    @staticmethod
    def _iterate(response: requests.Response) -> Iterator[bytes]:
        with response:
            yield from response.iter_content(CHUNK_SIZE)

    def delete(self, location: str) -> None:
        """Data behind a plain URL is not ours to delete."""
