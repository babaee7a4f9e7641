"""Schema migrations (Alembic, with Flask-Migrate for the developer commands).

The core's scripts live in the repository's top-level ``migrations/`` folder (installed as
the ``glare_migrations`` package). A plugin with its own tables ships its own versions
folder and names it through the ``glare_migration_locations`` hook; each source is an
independent Alembic history with its own version table (``alembic_version`` for the core,
``alembic_version_<plugin>`` for a plugin), so installing, upgrading or uninstalling a
plugin never disturbs the core's history. ``ensure_schema`` is what servers call at start:
it applies pending migrations of every source (or, with auto-migrate off, refuses to start
on an old schema) under a lock so processes starting together migrate once: the database's
own on PostgreSQL (servers on several machines, each with its data folder, share it), a
file lock in the data folder on SQLite (whose database is a file there).
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.resources
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import flask_migrate
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import func, select

from glare_core.config import setting_origin
from glare_core.data.sql.advisory_locks import advisory_key
from glare_core.errors import StartupError
from glare_core.folders import create_folder

migrate = flask_migrate.Migrate()
CORE = "glare_core"


@dataclass(frozen=True)
class MigrationSource:
    """One Alembic history: the core's or a plugin's."""

    name: str
    versions: str
    version_table: str


def migrations_directory() -> str:
    return str(importlib.resources.files("glare_migrations"))


def sources(app: Flask) -> list[MigrationSource]:
    """The core's history first, then every plugin's (from ``glare_migration_locations``)."""
    found = [MigrationSource(CORE, str(Path(migrations_directory()) / "versions"),
                             "alembic_version")]
    hooks = app.extensions["glare"].hooks
    for locations in hooks.all("glare_migration_locations", app=app):
        for name, versions in locations or ():
            found.append(MigrationSource(name, str(versions), f"alembic_version_{name}"))
    return found


def alembic_config(source: MigrationSource) -> Config:
    """An Alembic config running the core's env.py over ``source``'s versions folder."""
    config = Config()
    config.set_main_option("path_separator", "os")
    config.set_main_option("script_location", migrations_directory())
    config.set_main_option("version_locations", source.versions)
    config.attributes["version_table"] = source.version_table
    config.attributes["core"] = source.name == CORE
    return config


def upgrade(app: Flask, revision: str = "heads") -> None:
    """Upgrade every source (``revision`` applies to the core; plugins go to their heads)."""
    with app.app_context():
        for source in sources(app):
            command.upgrade(alembic_config(source), revision if source.name == CORE else "heads")


def current_revisions(app: Flask) -> dict[str, tuple[set[str], set[str]]]:
    """source name → (revisions in the database, latest revisions of its scripts)."""
    engine = app.extensions["glare"].database.engine
    out = {}
    with engine.connect() as conn:
        for source in sources(app):
            heads = set(ScriptDirectory.from_config(alembic_config(source)).get_heads())
            context = MigrationContext.configure(
                conn, opts={"version_table": source.version_table}
            )
            out[source.name] = (set(context.get_current_heads()), heads)
    return out


def revisions_between(app: Flask, name: str, lower: set[str], upper: set[str]) -> list[str]:
    """The revisions of history ``name`` above ``lower`` up to ``upper`` (both sets of
    heads; empty is the base), oldest first: what an upgrade from ``lower`` to ``upper``
    applies, or (reversed) what a downgrade the other way reverts."""
    source = next(source for source in sources(app) if source.name == name)
    script = ScriptDirectory.from_config(alembic_config(source))
    found = script.iterate_revisions(tuple(upper) or "base", tuple(lower) or "base")
    return [revision.revision for revision in reversed(list(found))]


def schema_is_current(app: Flask) -> bool:
    return all(current == heads for current, heads in current_revisions(app).values())


def prepare_database(app: Flask) -> None:
    """Before migrating: connect once, so that a database that cannot be reached stops
    the command with one line rather than a traceback, and create the data folder (the
    migration lock's, and the SQLite database's by default: then it comes first)."""
    in_file = app.extensions["glare"].database.sqlite_path is not None
    if not in_file:
        check_database(app)
    create_folder(Path(app.config["GLARE_DATA_DIR"]),
                  setting_origin(app.config, "GLARE_DATA_DIR"))
    if in_file:
        check_database(app)


def check_database(app: Flask) -> None:
    """Connect to the app's database once (a StartupError naming the URL's origin)."""
    app.extensions["glare"].database.check_connection(
        setting_origin(app.config, "GLARE_DATABASE_URL"))


#: The name of the advisory lock a process holds while it migrates a PostgreSQL database.
MIGRATION_LOCK = "glare-migrations"


@contextlib.contextmanager
def migration_lock(app: Flask) -> Iterator[None]:
    """Hold the lock of ``app``'s database's migrations, waiting as long as another
    process migrates (the ``with`` block then finds the schema current).

    On PostgreSQL it is an advisory lock of the database itself: servers starting
    together on other machines, or with data folders of their own, wait for each other
    (a file lock in the data folder would let each migrate at once, and all but one
    fail). PostgreSQL releases it when its connection ends, so a process killed while
    migrating leaves no lock behind. On SQLite the database is a file, by default in the
    data folder, and so is the lock.
    """
    lock_engine = app.extensions["glare"].database.lock_engine
    if lock_engine is None:
        folder = Path(app.config["GLARE_DATA_DIR"])
        create_folder(folder, setting_origin(app.config, "GLARE_DATA_DIR"))
        with (folder / ".migrate.lock").open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return
    key = advisory_key(MIGRATION_LOCK)
    with lock_engine.connect() as conn:
        # No time limit (0): the other process's migrations take what they take.
        conn.execute(select(func.set_config("lock_timeout", "0", False)))
        conn.execute(select(func.pg_advisory_lock(key)))
        try:
            yield
        finally:
            conn.execute(select(func.pg_advisory_unlock(key)))


def ensure_schema(app: Flask) -> None:
    """Bring the database schema up to date, or fail start-up with a clear message."""
    prepare_database(app)
    with migration_lock(app):
        if not schema_is_current(app):
            if not app.config.get("GLARE_AUTO_MIGRATE", True):
                raise StartupError(
                    "The database schema is not up to date; run 'glare-manage db upgrade' "
                    "(or set GLARE_AUTO_MIGRATE=true)"
                )
            upgrade(app)
    complete_sort_rows(app)


def complete_sort_rows(app: Flask) -> None:
    """Give the artifacts stored before their type's sortable fields had rows the rows a
    sort joins (once per type and field; a no-op check afterwards)."""
    from glare_core.data.sql.store import SqlDataAPI

    stored: dict[int, tuple[SqlDataAPI, list[str]]] = {}
    for type_name, data_api in app.extensions["glare"].data_apis.items():
        if isinstance(data_api, SqlDataAPI):
            stored.setdefault(id(data_api), (data_api, []))[1].append(type_name)
    for data_api, type_names in stored.values():
        data_api.complete_sort_rows(tuple(type_names))
