"""The scrubber: finally remove artifacts that a delayed delete left in status ``deleted``.

Runs as the admin: fetches batches of deleted artifacts older than ``scrub_time`` seconds
(contract Q18), removes each one's stored data and record (in parallel up to
``pool_size``), and repeats until none remain.
"""

from __future__ import annotations

import datetime as dt
import logging
from concurrent.futures import ThreadPoolExecutor

from glare_core.data.database import utcnow
from glare_core.data.query import Filter, ListQuery, Scope
from glare_core.engine.blobs import BlobService
from glare_core.engine.service import ArtifactService

log = logging.getLogger(__name__)


def scrub(service: ArtifactService, *, blobs: BlobService | None = None,
          scrub_time: float = 0, pool_size: int = 1, batch_size: int = 100) -> int:
    """Purge every eligible deleted artifact; return how many were removed.

    With ``blobs``, also restore blobs of uploads abandoned by a crashed server and retry
    the queued deletions of store data (the garbage queue).
    """
    registry = service.registry
    all_type = registry.all_type
    cutoff = utcnow() - dt.timedelta(seconds=scrub_time)
    query = ListQuery(
        type_names=tuple(registry),
        scope=Scope(see_all=True),
        filters=(
            Filter(field=all_type.fields["status"], op="eq", operands=("deleted",)),
            Filter(field=all_type.fields["updated_at"], op="lte", operands=(cutoff,)),
        ),
        sort=(),
        limit=batch_size,
        include_deleted=True,
    )
    if blobs is not None:
        blobs.recover_abandoned_uploads()
    removed, failed = 0, set()
    with ThreadPoolExecutor(max_workers=max(1, pool_size)) as pool:
        while True:
            batch = [r for r in service.run_list(query).artifacts if r["id"] not in failed]
            if not batch:
                break
            outcomes = pool.map(lambda r: _purge(service, r), batch)
            for record, ok in zip(batch, outcomes, strict=True):
                if ok:
                    removed += 1
                else:
                    failed.add(record["id"])
    if blobs is not None:
        blobs.collect_garbage()
    return removed


def _purge(service: ArtifactService, record: dict) -> bool:
    try:
        service.purge(service.registry[record["type_name"]], record)
        log.info("scrubbed %s %s", record["type_name"], record["id"])
        return True
    except Exception:
        log.exception("cannot scrub %s %s; will retry on the next run",
                      record["type_name"], record["id"])
        return False
