"""Schema migrations (Alembic through Flask-Migrate): locate the scripts, upgrade, check.

The scripts live in the repository's top-level ``migrations/`` folder, installed as the
``glare_migrations`` package. ``ensure_schema`` is what servers call at start: it applies
pending migrations (or, with auto-migrate off, refuses to start on an old schema) under a
file lock so several processes starting together migrate once.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.resources
from collections.abc import Iterator
from pathlib import Path

import flask_migrate
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask

from glare_core.errors import StartupError

migrate = flask_migrate.Migrate()


def migrations_directory() -> str:
    return str(importlib.resources.files("glare_migrations"))


def _script_directory(app: Flask) -> ScriptDirectory:
    config = Config(str(Path(migrations_directory()) / "alembic.ini"))
    config.set_main_option("script_location", migrations_directory())
    return ScriptDirectory.from_config(config)


def upgrade(app: Flask, revision: str = "heads") -> None:
    with app.app_context():
        flask_migrate.upgrade(directory=migrations_directory(), revision=revision)


def schema_is_current(app: Flask) -> bool:
    heads = set(_script_directory(app).get_heads())
    engine = app.extensions["glare"].database.engine
    with engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    return current == heads


@contextlib.contextmanager
def _migration_lock(app: Flask) -> Iterator[None]:
    path = Path(app.config["GLARE_DATA_DIR"]) / ".migrate.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_schema(app: Flask) -> None:
    """Bring the database schema up to date, or fail start-up with a clear message."""
    with _migration_lock(app):
        if schema_is_current(app):
            return
        if not app.config.get("GLARE_AUTO_MIGRATE", True):
            raise StartupError(
                "The database schema is not up to date; run 'glare-manage db upgrade' "
                "(or set GLARE_AUTO_MIGRATE=true)"
            )
        upgrade(app)
