"""The ``database`` store: blob bytes in SQL, as rows of fixed-size chunks.

Meant for small blobs (and deployments without a file system or Swift). Each chunk is
written in its own short transaction so an upload never holds a database write lock for
its whole duration; a failed write deletes the chunks it wrote.

The store owns its table (``glare_blob_data``, below) and creates it on the engine it is
given the first time it is used, so the core's schema knows nothing of it. Databases
migrated by earlier Glare versions already have the table (the core's first migration
created it): the store finds it there, with its data.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Iterator

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from glare_core.blobs.base import BlobNotFound, BlobStore, BlobWriteError, StoredBlob
from glare_core.blobs.streams import rechunk
from glare_core.errors import BadRequest, GlareError

SCHEME = "sql"
ROW_SIZE = 1024 * 1024

# The store's own schema. Same name, columns and primary key name as the table the core's
# migration 0001 used to create, so that existing databases keep their blob data.
metadata = sa.MetaData(naming_convention={"pk": "pk_%(table_name)s"})
blob_data = sa.Table(
    "glare_blob_data",
    metadata,
    sa.Column("blob_id", sa.String(64), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
)


def create_table(engine: Engine) -> None:
    """Create the store's table unless it exists. Two processes starting on a fresh
    database may both try: the loser's error is ignored once the table is there."""
    try:
        metadata.create_all(engine, checkfirst=True)
    except sa.exc.SQLAlchemyError:
        if not sa.inspect(engine).has_table(blob_data.name):
            raise


class DatabaseStore(BlobStore):
    schemes = (SCHEME,)
    # Its locations name rows of the server's own database.
    server_local_schemes = (SCHEME,)

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._table_ready = False
        self._table_lock = threading.Lock()

    @property
    def name(self) -> str:
        return "database"

    def _connect(self, *, write: bool) -> contextlib.AbstractContextManager[Connection]:
        """A transaction (``write``) or a connection on a database that has the table.
        Each write is one INSERT or DELETE, so the backend's default transaction start
        is enough (no read precedes the write that would need a lock upgrade)."""
        if not self._table_ready:
            with self._table_lock:
                if not self._table_ready:
                    create_table(self.engine)
                    self._table_ready = True
        return self.engine.begin() if write else self.engine.connect()

    def location_for(self, blob_id: str, *, namespace: str) -> str:
        return f"{SCHEME}://{blob_id}"

    @staticmethod
    def blob_id(location: str) -> str:
        prefix = f"{SCHEME}://"
        if not location.startswith(prefix) or len(location) == len(prefix):
            raise BadRequest(f"Not a {SCHEME} location: {location}")
        return location[len(prefix):]

    def write(
        self, location: str, chunks: Iterable[bytes], *, size: int | None = None
    ) -> StoredBlob:
        blob_id = self.blob_id(location)
        written = 0
        try:
            seq = 0
            for seq, piece in enumerate(rechunk(chunks, ROW_SIZE)):
                with self._connect(write=True) as conn:
                    conn.execute(blob_data.insert().values(blob_id=blob_id, seq=seq, data=piece))
                written += len(piece)
            if written == 0:  # an empty blob still exists: one empty row
                with self._connect(write=True) as conn:
                    conn.execute(blob_data.insert().values(blob_id=blob_id, seq=seq, data=b""))
        except BaseException as exc:
            self.delete(location)
            if isinstance(exc, sa.exc.SQLAlchemyError):
                raise BlobWriteError(f"Cannot write blob data to the database: {exc}") from exc
            raise
        return StoredBlob(location=location, size=written)
    def read(
        self, location: str, *, offset: int = 0, length: int | None = None
    ) -> Iterator[bytes]:
        blob_id = self.blob_id(location)
        if not self.exists(location):
            raise BlobNotFound(f"No data at {location}")
        return self._iterate(blob_id, offset, length)

    def _iterate(self, blob_id: str, offset: int, length: int | None) -> Iterator[bytes]:
        seq, skip = divmod(offset, ROW_SIZE)
        remaining = length
        while remaining is None or remaining > 0:
            with self._connect(write=False) as conn:
                data = conn.execute(
                    sa.select(blob_data.c.data).where(
                        blob_data.c.blob_id == blob_id, blob_data.c.seq == seq
                    )
                ).scalar()
            if data is None:
                return
            piece = bytes(data)[skip:]
            if remaining is not None:
                piece = piece[:remaining]
                remaining -= len(piece)
            skip, seq = 0, seq + 1
            if piece:
                yield piece

    def stored_size(self, location: str,
                    reading: Iterable[bytes] | None = None) -> int | None:
        """The bytes a read from the start sends: the rows' lengths (read from the row
        headers, not the data), up to the first missing row."""
        with self._connect(write=False) as conn:
            rows = conn.execute(
                sa.select(blob_data.c.seq, sa.func.length(blob_data.c.data))
                .where(blob_data.c.blob_id == self.blob_id(location))
                .order_by(blob_data.c.seq)
            ).all()
        if not rows:
            raise BlobNotFound(f"No data at {location}")
        size = 0
        for expected_seq, (seq, length) in enumerate(rows):
            if seq != expected_seq or length is None:
                break  # reads stop at a missing row
            size += length
        return size

    def delete(self, location: str) -> None:
        try:
            blob_id = self.blob_id(location)
        except GlareError:
            return
        with self._connect(write=True) as conn:
            conn.execute(blob_data.delete().where(blob_data.c.blob_id == blob_id))

    def exists(self, location: str) -> bool:
        with self._connect(write=False) as conn:
            found = conn.execute(
                sa.select(blob_data.c.seq).where(
                    blob_data.c.blob_id == self.blob_id(location)
                ).limit(1)
            ).first()
        return found is not None

    def stored_ids(self) -> set[str]:
        with self._connect(write=False) as conn:
            return set(conn.execute(sa.select(blob_data.c.blob_id).distinct()).scalars())
