"""BlobSettings: how often a live upload shows it is alive."""

from __future__ import annotations

import pytest

from glare_core.engine.liveness import BlobSettings


@pytest.mark.parametrize("stale_after", [0.3, 1, 15, 60, 90, 300, 3600])
def test_a_live_upload_beats_at_least_three_times_per_stale_period(stale_after):
    """With GLARE_UPLOAD_STALE_AFTER under the 30 s heartbeat, a live upload would look
    abandoned, and the next upload to the blob would take its place."""
    settings = BlobSettings(stale_after=stale_after)
    assert 0 < settings.heartbeat_every * 3 <= stale_after
    assert settings.heartbeat_every <= 30
