"""The scrubber: finally remove artifacts that a delayed delete left in status ``deleted``.

Runs as the admin: restores the blobs of uploads abandoned by a crashed server, fetches
batches of deleted artifacts older than ``scrub_time`` seconds (contract Q18), removes
each one's stored data and record (in parallel up to ``pool_size``), repeats until none
remain, then retries the queued deletions of store data (the garbage queue).

Any number of scrubbers may run at once, on any machines sharing the database: each
artifact is purged under its lock and read again there, so exactly one of them removes it
(and counts it); the others find it gone and move on.
"""

from __future__ import annotations

import datetime as dt
import logging
from concurrent.futures import ThreadPoolExecutor

from glare_core.data.query import Filter, ListQuery, Scope
from glare_core.engine.locking import artifact_lock_key
from glare_core.engine.merged_lists import run_list
from glare_core.engine.services import Engine
from glare_core.errors import Conflict

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
            for artifact, outcome in zip(batch, outcomes, strict=True):
                if outcome == REMOVED:
                    removed += 1
                elif outcome == FAILED:
                    failed.add(artifact["id"])
    engine.janitor.collect_garbage()
    return removed


REMOVED, GONE, FAILED = "removed", "gone", "failed"


def _purge(engine: Engine, found: dict) -> str:
    """Purge one deleted artifact under its lock: REMOVED, GONE (another scrubber
    removed it first) or FAILED (left for the next run)."""
    ctx = engine.context
    type_name, artifact_id = found["type_name"], found["id"]
    artifact_type = ctx.registry[type_name]
    try:
        with ctx.locker.hold(artifact_lock_key(type_name, artifact_id)):
            artifact = ctx.data_api(artifact_type).get(artifact_id)
            if artifact is None or artifact["status"] != "deleted":
                return GONE
            engine.artifacts.purge(artifact_type, artifact)
        log.info("scrubbed %s %s", type_name, artifact_id)
        return REMOVED
    except Conflict:
        log.info("%s %s stays locked; it is scrubbed on the next run", type_name, artifact_id)
        return FAILED
    except Exception:
        log.exception("cannot scrub %s %s; will retry on the next run", type_name, artifact_id)
        return FAILED
