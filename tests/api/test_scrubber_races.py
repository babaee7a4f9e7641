"""Scrubbers running at once (from several machines on one database) remove each deleted
artifact exactly once: the one that purges it counts it, the others find it gone."""

from __future__ import annotations

import logging

import pytest

from glare_core.engine import scrubber
from tests.api.helpers import stored, upload_ok, url
from tests.conftest import SAMPLE


@pytest.fixture
def glare_settings():
    return {"GLARE_DELAYED_DELETE": True}


def test_a_scrubber_that_listed_what_another_removed_counts_none_of_it(
        glare_app, user1, monkeypatch, caplog):
    """The other scrubber runs between this one's listing and its purges (the race of
    two scrubbers started together): this one removes and counts nothing, logs no
    error, and the artifacts are gone once, by the other."""
    engine = glare_app.extensions["glare"].engine
    deleted = [user1.create(SAMPLE, name=f"gone-{n}") for n in range(3)]
    kept = user1.create(SAMPLE, name="kept")
    for artifact in deleted:
        upload_ok(user1, artifact["id"], "blob", b"data of " + artifact["id"].encode())
        assert user1.delete(url(artifact["id"])).status_code == 204
    real_run_list = scrubber.run_list
    other_counted: list[int] = []

    def listed_then_overtaken(data_apis, query):
        page = real_run_list(data_apis, query)
        if not other_counted and page.artifacts:
            monkeypatch.setattr(scrubber, "run_list", real_run_list)
            other_counted.append(scrubber.scrub(engine))  # the other scrubber
        return page

    monkeypatch.setattr(scrubber, "run_list", listed_then_overtaken)
    with caplog.at_level(logging.INFO, logger="glare_core"):
        counted = scrubber.scrub(engine)
    assert (counted, other_counted) == (0, [3])
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    for artifact in deleted:
        assert user1.get(url(artifact["id"])).status_code == 404
    assert user1.show(SAMPLE, kept["id"]) == kept
    assert stored(glare_app) == set()  # the blobs went with their artifacts
