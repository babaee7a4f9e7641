"""The growth of an upload's reservation (engine/reservation.py)."""

from __future__ import annotations

import pytest

from glare_core.engine.reservation import FIRST_RESERVATION, next_reservation

MIB = 1024 * 1024


@pytest.mark.parametrize(("needed", "allowance", "expected"), [
    (1, 10**9, 1),            # a byte holds a byte: nothing to add half of
    (300, 10**9, 450),        # what was read and half again
    (300, 400, 400),          # never past the allowance
    (400, 400, 400),          # exactly full
])
def test_next_reservation(needed, allowance, expected):
    assert next_reservation(needed, allowance) == expected


def test_a_gib_in_mib_chunks_takes_a_few_dozen_steps_and_never_holds_much_more():
    reserved, steps = FIRST_RESERVATION, 0
    for read in range(MIB, 1024 * MIB + 1, MIB):
        if read > reserved:
            reserved, steps = next_reservation(read, 10**12), steps + 1
        assert read <= reserved <= read * 3 // 2 + MIB
    assert steps <= 20
