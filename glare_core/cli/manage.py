"""``glare-manage``: operator commands (database migrations, scrubbing, policy, plugins).

Settings come from ``--config`` / ``GLARE_CONFIG_FILE``, ``--data-dir`` /
``GLARE_DATA_DIR`` and the other ``GLARE_*`` variables, as for the server.
``glare-scrubber`` is ``glare-manage scrub`` as a command of its own.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

import click
import flask_migrate
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from glare_core.app import create_app
from glare_core.data.migrations import current_revisions, migrations_directory
from glare_core.data.migrations import upgrade as upgrade_all
from glare_core.engine.scrubber import scrub as scrub_deleted
from glare_core.errors import StartupError


def _make_app() -> Any:
    return create_app()


def _to_environment(variable: str) -> Callable[[click.Context, click.Parameter, Any], None]:
    """A click callback that hands an option's value to the settings as ``variable``."""

    def callback(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
        if value:
            os.environ[variable] = value

    return callback


def settings_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--config`` and ``--data-dir``, read before the app is built (as glare-api's)."""
    command = click.option(
        "--data-dir", expose_value=False, is_eager=True,
        help="Folder of the SQLite database and blobs (or set GLARE_DATA_DIR).",
        callback=_to_environment("GLARE_DATA_DIR"))(command)
    return click.option(
        "--config", expose_value=False, is_eager=True,
        help="TOML config file (or set GLARE_CONFIG_FILE).",
        callback=_to_environment("GLARE_CONFIG_FILE"))(command)


@click.group(cls=FlaskGroup, create_app=_make_app, add_default_commands=False,
             add_version_option=False)
@settings_options
def cli() -> None:
    """Glare operator commands."""


@cli.group()
def db() -> None:
    """Database schema migrations (core tables and every plugin's branch)."""


@db.command()
@click.argument("revision", default="heads")
@with_appcontext
def upgrade(revision: str) -> None:
    """Upgrade the core schema (default: to its latest revision) and every plugin's."""
    upgrade_all(current_app, revision)
    show_revisions()


@db.command()
@click.argument("revision", default="-1")
@with_appcontext
def downgrade(revision: str) -> None:
    """Downgrade the schema (default: one revision)."""
    flask_migrate.downgrade(directory=migrations_directory(), revision=revision)


@db.command()
@with_appcontext
def current() -> None:
    """Show, per history (core and plugins), the database's and the latest revisions."""
    path = current_app.extensions["glare"].database.sqlite_path
    if path is not None and not path.exists():
        # Looking would create an empty file there, hiding a mistyped --data-dir.
        raise click.ClickException(f"There is no database at {path} (wrong --data-dir? "
                                   "`glare-manage db upgrade` creates it)")
    show_revisions()


def show_revisions() -> None:
    for name, (in_db, latest) in current_revisions(current_app).items():
        state = "up to date" if in_db == latest else "needs upgrade"
        click.echo(f"{name}: database {sorted(in_db) or '-'}, latest {sorted(latest)} "
                   f"({state})")


@db.command()
@click.option("-m", "--message", required=True, help="What the migration does.")
@with_appcontext
def revision(message: str) -> None:
    """Autogenerate a new core migration from the table definitions (for developers)."""
    flask_migrate.migrate(directory=migrations_directory(), message=message)


def scrub_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The scrubber's own options, shared by ``glare-manage scrub`` and ``glare-scrubber``."""
    for option in reversed((
        click.option("--daemon", is_flag=True,
                     help="Keep running, scrubbing every --wakeup-time."),
        click.option("--wakeup-time", default=300.0, show_default=True,
                     help="Seconds between runs."),
        click.option("--scrub-time", default=0.0, show_default=True,
                     help="Only scrub artifacts deleted at least this many seconds ago."),
        click.option("--pool-size", default=1, show_default=True,
                     help="Artifacts purged in parallel."),
    )):
        command = option(command)
    return command


@cli.command()
@scrub_options
@with_appcontext
def scrub(daemon: bool, wakeup_time: float, scrub_time: float, pool_size: int) -> None:
    """Remove artifacts left in status 'deleted' by delayed delete (and their blobs)."""
    run_scrubber(daemon, wakeup_time, scrub_time, pool_size)


@click.command()
@settings_options
@scrub_options
def scrubber(daemon: bool, wakeup_time: float, scrub_time: float, pool_size: int) -> None:
    """Remove artifacts left in status 'deleted' by delayed delete (and their blobs)."""
    with _make_app().app_context():
        run_scrubber(daemon, wakeup_time, scrub_time, pool_size)


def run_scrubber(daemon: bool, wakeup_time: float, scrub_time: float, pool_size: int) -> None:
    """Scrub once, or every ``wakeup_time`` seconds with ``daemon``, in the current app."""
    state = current_app.extensions["glare"]
    while True:
        removed = scrub_deleted(state.service, blobs=state.blobs, scrub_time=scrub_time,
                                pool_size=pool_size)
        click.echo(f"scrubbed {removed} artifact(s)")
        if not daemon:
            return
        time.sleep(wakeup_time)


@cli.command()
@with_appcontext
def policy() -> None:
    """Print the effective policy rules (defaults merged with the policy file) as YAML."""
    policy = current_app.extensions["glare"].policy
    for name, rule in policy.rules.items():
        click.echo(f"# {policy.origin(name)}")
        click.echo(f"{json.dumps(name)}: {json.dumps(rule)}")


@cli.command()
@with_appcontext
def plugins() -> None:
    """List loaded plugins and the artifact types served."""
    state = current_app.extensions["glare"]
    for info in state.plugins:
        origin = "builtin" if info.builtin else f"{info.distribution or '-'} {info.version or ''}"
        click.echo(f"plugin {info.name}: {origin}")
    for name, artifact_type in state.registry.items():
        click.echo(f"type {name} ({artifact_type.title}) from {state.type_plugins.get(name)}")


def main() -> int:
    return _run(cli, "glare-manage")


def scrubber_main() -> int:
    """``glare-scrubber``: ``glare-manage scrub`` with the settings options of its own."""
    return _run(scrubber, "glare-scrubber")


def _run(command: click.Command, name: str) -> int:
    try:
        command.main(prog_name=name)
    except StartupError as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return 2
    return 0
