"""How lock keys become PostgreSQL advisory lock numbers, and how a lock connection is
told to notice a vanished holder (the locks themselves: tests/contract/test_postgres.py)."""

from __future__ import annotations

import pytest

from glare_core.data.sql.advisory_locks import advisory_key, session_settings


def test_keys_are_signed_64_bit_numbers_stable_across_processes():
    numbers = {advisory_key(f"sample_artifact:{n}") for n in range(1000)}
    assert len(numbers) == 1000
    assert all(-(2**63) <= number < 2**63 for number in numbers)
    assert any(number < 0 for number in numbers)  # the whole signed range is used
    # sha256-derived, not Python's per-process hash(): every server computes the same
    assert advisory_key("quota:p1") == advisory_key("quota:p1") == -8307430809382273582
    assert advisory_key("x" * 5000) != advisory_key("x" * 4999)  # long keys lock too


@pytest.mark.parametrize("stale_after", [2.0, 5.0, 30.0, 300.0, 3600.0])
def test_keepalives_give_up_on_a_silent_holder_after_about_stale_after(stale_after):
    settings = session_settings(stale_after)
    idle, interval, probes = (int(settings[f"tcp_keepalives_{name}"])
                              for name in ("idle", "interval", "count"))
    assert idle >= 1 and interval >= 1
    assert stale_after <= idle + interval * probes <= stale_after + probes
