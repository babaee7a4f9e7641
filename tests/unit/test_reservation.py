"""The growth of an upload's reservation (engine/reservation.py)."""

from __future__ import annotations

import pytest

from glare_core.engine.reservation import FIRST_RESERVATION, next_reservation

MIB = 1024 * 1024


@pytest.mark.parametrize(("needed", "allowance", "expected"), [
    (300, 2000, 450),               # what was read and half again
    (10, 6400, 110),                # at least 1/64 of the room left
    (300, 400, 400),                # never past the allowance
    (400, 400, 400),                # exactly full
    (3 * MIB, 2**40, 3 * MIB + 2**40 // 64),
])
def test_next_reservation(needed, allowance, expected):
    assert next_reservation(needed, allowance) == expected


@pytest.mark.parametrize("budget", [1024 * MIB, 4096 * MIB, 2**40])
def test_a_gib_in_mib_chunks_takes_few_steps_and_holds_little_more(budget):
    reserved, steps = FIRST_RESERVATION, 0
    for read in range(MIB, 1024 * MIB + 1, MIB):
        if read > reserved:
            reserved, steps = next_reservation(read, budget), steps + 1
        assert read <= reserved <= max(read * 3 // 2, read + budget // 64) + MIB
    assert steps <= 18
