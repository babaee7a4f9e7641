"""Writes to one artifact wait their turn for its lock (contract §23), on SQLite and on
PostgreSQL alike: many parallel writers all succeed and none is lost; a wait that runs
out is 409; a holder that dies does not keep the lock."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from collections import Counter
from typing import Any

import pytest

from glare_core.engine.locking import artifact_lock_key
from glare_core.errors import Conflict
from glare_core.testing import GlareClient
from tests.api.helpers import add, assert_error, url
from tests.conftest import REPO, SAMPLE, run_parallel

WRITERS = 40
ROUNDS = 2


def locker(app: Any) -> Any:
    return app.extensions["glare"].engine.context.locker


def test_parallel_writers_to_one_artifact_all_get_their_turn(glare_app, user1):
    """40 writers each upload to a folder key of their own and add a tag of their own,
    twice, all at once: with the default wait none is answered 409 and everything each
    was answered 200 for is there."""
    art = user1.create(SAMPLE, name="contended")

    def write(n: int) -> tuple[int, ...]:
        caller = GlareClient(glare_app.test_client())
        statuses = []
        for r in range(ROUNDS):
            statuses.append(caller.put(url(art["id"], f"dict_of_blobs/w{n}-{r}"),
                                       data=f"data {n:2d}-{r}".encode(),
                                       content_type="application/octet-stream").status_code)
            statuses.append(caller.patch(url(art["id"]), [add("/tags/-", f"w{n}-{r}")])
                            .status_code)
        return tuple(statuses)

    assert run_parallel(WRITERS, write) == Counter({(200,) * 2 * ROUNDS: WRITERS})
    final = user1.show(SAMPLE, art["id"])
    names = {f"w{n}-{r}" for n in range(WRITERS) for r in range(ROUNDS)}
    assert set(final["tags"]) == names and len(final["tags"]) == len(names)
    assert set(final["dict_of_blobs"]) == names
    for name, blob in final["dict_of_blobs"].items():
        n, r = name[1:].split("-")
        assert blob["status"] == "active"
        assert blob["md5"] == hashlib.md5(f"data {int(n):2d}-{r}".encode()).hexdigest()


class TestAWaitThatRunsOut:
    @pytest.fixture
    def extra_settings(self) -> dict[str, Any]:
        return {"GLARE_LOCK_WAIT": 0.5}

    def test_is_409_and_changes_nothing(self, glare_app, user1):
        art = user1.create(SAMPLE, name="held")
        with locker(glare_app).hold(artifact_lock_key(SAMPLE, art["id"])):
            began = time.monotonic()
            assert_error(user1.patch(url(art["id"]), [add("/tags/-", "late")]), 409,
                         "Conflict")
            waited = time.monotonic() - began
            assert_error(user1.put(url(art["id"], "dict_of_blobs/late"), data=b"late",
                                   content_type="application/octet-stream"), 409, "Conflict")
        assert waited >= 0.5  # it waited its turn before giving up
        after = user1.show(SAMPLE, art["id"])
        assert after["tags"] == [] and after["dict_of_blobs"] == {}
        assert user1.update(SAMPLE, art["id"], add("/tags/-", "now"))["tags"] == ["now"]


class TestAHolderThatDies:
    @pytest.fixture
    def extra_settings(self, glare_database_url) -> dict[str, Any]:
        """A long wait. On PostgreSQL the lock is never old enough to be taken over as
        stale, so only the holder's death can free it; on SQLite the lock of a dead
        holder stays until it is stale (contract §23), made short here."""
        stale_after = 2.0 if glare_database_url is None else 600.0
        return {"GLARE_LOCK_WAIT": 30.0, "GLARE_LOCK_STALE_AFTER": stale_after}

    def test_leaves_no_lock_behind(self, glare_app, glare_config, user1):
        art = user1.create(SAMPLE, name="orphaned")
        key = artifact_lock_key(SAMPLE, art["id"])
        holder = subprocess.Popen(
            [sys.executable, "-m", "tests.support.lock_holder", json.dumps(glare_config), key],
            cwd=REPO, stdout=subprocess.PIPE)
        try:
            assert holder.stdout.readline() == b"held\n"
            with pytest.raises(Conflict), locker(glare_app).hold(key, wait=0):
                pass  # the other process holds it
        finally:
            holder.kill()
            holder.wait()
            holder.stdout.close()
        assert user1.update(SAMPLE, art["id"], add("/tags/-", "after"))["tags"] == ["after"]
