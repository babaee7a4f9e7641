"""The upload heartbeat beats on a timer while its block runs, and stops with it."""

from __future__ import annotations

import threading
import time

from glare_core.engine.heartbeat import Heartbeat


def test_beats_while_the_block_runs_and_not_after():
    beats: list[float] = []
    with Heartbeat(lambda: beats.append(time.monotonic()), every=0.05):
        time.sleep(0.4)  # the block does nothing: no data, still alive
    during = len(beats)
    assert 3 <= during <= 9
    time.sleep(0.2)
    assert len(beats) == during
    assert not [t for t in threading.enumerate() if t.name == "glare-heartbeat"]


def test_a_failing_beat_does_not_stop_the_next_ones():
    calls = []

    def beat() -> None:
        calls.append(1)
        raise RuntimeError("database busy")

    with Heartbeat(beat, every=0.05):
        time.sleep(0.3)
    assert len(calls) >= 3
