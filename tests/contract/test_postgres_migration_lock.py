"""Servers starting together on one PostgreSQL migrate it once, whatever their data
folders: the migrations' lock is the database's own, not a file in a data folder
(servers on several machines each have their own)."""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

import glare_sample_artifact
import pytest

from glare_core.app import create_app
from glare_core.data import migrations
from glare_core.data.migrations import ensure_schema, schema_is_current

pytestmark = pytest.mark.postgres


def test_processes_with_their_own_data_folders_migrate_an_empty_database_once(
        empty_database, tmp_path: Path, monkeypatch):
    """Two apps (two servers' start-ups), each with a data folder of its own, bring one
    empty database up to date at once. The first to reach the migrations waits a moment
    for the other to reach them too: without a lock both would migrate together (and
    one of them fail); with it the other waits, then finds the schema current."""
    apps = [create_app({"GLARE_DATA_DIR": str(tmp_path / name),
                        "GLARE_DATABASE_URL": empty_database},
                       plugins=[glare_sample_artifact], autoload=False)
            for name in ("a", "b")]
    real_upgrade = migrations.upgrade
    both_there = threading.Barrier(2)
    upgrades: list[str] = []
    errors: list[BaseException] = []

    def upgrade_when_both_are_there(app, revision="heads"):
        upgrades.append(app.config["GLARE_DATA_DIR"])
        with contextlib.suppress(threading.BrokenBarrierError):
            both_there.wait(timeout=5)  # the other one, too, if no lock holds it back
        real_upgrade(app, revision)

    monkeypatch.setattr(migrations, "upgrade", upgrade_when_both_are_there)

    def start(app) -> None:
        try:
            ensure_schema(app)
        except BaseException as exc:  # a failed migration: the test reports it
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(app,)) for app in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(240)
    try:
        # (Two Alembic runs at once in one process may also hang: both share its
        # module-level context.)
        assert not any(thread.is_alive() for thread in threads), "a migration hangs"
        assert errors == []
        assert len(upgrades) == 1
        assert all(schema_is_current(app) for app in apps)
    finally:
        for app in apps:
            app.extensions["glare"].database.dispose()
