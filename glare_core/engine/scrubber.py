"""The scrubber: finally remove artifacts that a delayed delete left in status ``deleted``.

Runs as the admin: restores the blobs of uploads abandoned by a crashed server, fetches
batches of deleted artifacts older than ``scrub_time`` seconds (contract Q18), removes
each one's stored data and record (in parallel up to ``pool_size``), repeats until none
remain, then retries the queued deletions of store data (the garbage queue).
"""

from __future__ import annotations

import datetime as dt
import logging
from concurrent.futures import ThreadPoolExecutor

from glare_core.data.query import Filter, ListQuery, Scope
from glare_core.engine.merged_lists import run_list
from glare_core.engine.services import Engine

log = logging.getLogger(__name__)


def scrub(engine: Engine, *, scrub_time: float = 0, pool_size: int = 1,
          batch_size: int = 100) -> int:
    """Purge every eligible deleted artifact; return how many were removed."""
    ctx = engine.context
    all_type = ctx.registry.all_type
    cutoff = ctx.clock() - dt.timedelta(seconds=scrub_time)
    query = ListQuery(
        type_names=tuple(ctx.registry),
        scope=Scope(see_all=True),
        filters=(
            Filter(field=all_type.fields["status"], op="eq", operands=("deleted",)),
            Filter(field=all_type.fields["updated_at"], op="lte", operands=(cutoff,)),
        ),
        sort=(),
        limit=batch_size,
        include_deleted=True,
    )
    engine.janitor.recover_abandoned_uploads()
    removed, failed = 0, set()
    with ThreadPoolExecutor(max_workers=max(1, pool_size)) as pool:
        while True:
            batch = [r for r in run_list(ctx.data_apis, query).artifacts
                     if r["id"] not in failed]
            if not batch:
                break
            outcomes = pool.map(lambda r: _purge(engine, r), batch)
            for artifact, ok in zip(batch, outcomes, strict=True):
                if ok:
                    removed += 1
                else:
                    failed.add(artifact["id"])
    engine.janitor.collect_garbage()
    return removed


def _purge(engine: Engine, artifact: dict) -> bool:
    try:
        engine.artifacts.purge(engine.context.registry[artifact["type_name"]], artifact)
        log.info("scrubbed %s %s", artifact["type_name"], artifact["id"])
        return True
    except Exception:
        log.exception("cannot scrub %s %s; will retry on the next run",
                      artifact["type_name"], artifact["id"])
        return False
