"""The API suite runs twice, on SQLite and on a real PostgreSQL (``glare_database_url`` in
tests/api/conftest.py): the app really uses the database it is given, and each test sees
empty tables."""

from __future__ import annotations

import pytest

from tests.conftest import SAMPLE


def test_the_app_runs_on_the_database_under_test(glare_app, glare_database_url):
    dialect = glare_app.extensions["glare"].database.dialect
    assert dialect == ("sqlite" if glare_database_url is None else "postgresql")


@pytest.mark.parametrize("round_", [1, 2])
def test_every_test_starts_with_empty_tables(user1, round_):
    """Run twice in a row on the shared database: the second run must not see the first
    run's artifact."""
    assert user1.get(f"/artifacts/{SAMPLE}").get_json()["artifacts"] == []
    user1.create(SAMPLE, name="left-behind")
