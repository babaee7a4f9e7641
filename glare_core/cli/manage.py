"""``glare-manage``: operator commands (database migrations, scrubbing, policy, plugins,
the OpenAPI document).

Settings come from ``--config`` / ``GLARE_CONFIG_FILE``, ``--data-dir`` /
``GLARE_DATA_DIR`` and the other ``GLARE_*`` variables, as for the server. ``--config``
and ``--data-dir`` are accepted before or after the subcommand (``glare-manage db current
--data-dir D``). ``glare-scrubber`` is ``glare-manage scrub`` as a command of its own.

The commands are a plain click group: the app is built only by a command that needs it
(``--help`` builds none and creates nothing), and Flask's own command-line options and
commands (``--app``, ``--debug``, ``run``, ``shell``...) are not offered: there is one
application, and the server is ``glare-api``. ``openapi`` is flask-smorest's group.
"""

from __future__ import annotations

import copy
import json
import sys
import time
from collections.abc import Callable
from typing import Any

import click
import flask_migrate
from alembic import command as alembic_command
from flask import Flask, current_app
from flask.cli import ScriptInfo, with_appcontext
from flask_smorest.spec import openapi_cli

from glare_core.app import create_app
from glare_core.data.migrations import (
    CORE,
    alembic_config,
    check_database,
    current_revisions,
    migration_lock,
    migrations_directory,
    prepare_database,
    revisions_between,
    sources,
)
from glare_core.data.migrations import upgrade as upgrade_all
from glare_core.engine.scrubber import scrub as scrub_deleted
from glare_core.errors import StartupError

_CHOSEN = "glare.settings_options"  # ctx.meta key: the --config / --data-dir given


def _make_app() -> Flask:
    """The app of the settings: ``--data-dir`` and ``--config`` (wherever on the command
    line they were given) over the environment's."""
    chosen = click.get_current_context().meta.get(_CHOSEN, {})
    overrides = {"GLARE_DATA_DIR": chosen["data_dir"]} if chosen.get("data_dir") else {}
    return create_app(overrides, config_file=chosen.get("config"),
                      origins={"GLARE_DATA_DIR": "--data-dir"})


def _remember(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value and param.name:
        ctx.meta.setdefault(_CHOSEN, {})[param.name] = value  # meta: shared by subcommands


def _settings_options() -> list[click.Option]:
    return [
        click.Option(["--config"], expose_value=False, is_eager=True, callback=_remember,
                     help="TOML config file (or set GLARE_CONFIG_FILE)."),
        click.Option(["--data-dir"], expose_value=False, is_eager=True, callback=_remember,
                     help="Folder of the SQLite database and blobs (or set GLARE_DATA_DIR)."),
    ]


def with_settings_options(command: click.Command) -> click.Command:
    """``command`` (a copy of it, and of every subcommand of a group) accepting
    ``--config`` and ``--data-dir`` itself, so they may follow the subcommand too."""
    command = copy.copy(command)
    present = {param.name for param in command.params}
    command.params = [*command.params,
                      *(option for option in _settings_options() if option.name not in present)]
    if isinstance(command, click.Group):
        command.commands = {name: with_settings_options(sub)
                            for name, sub in command.commands.items()}
    return command


class ManageGroup(click.Group):
    """A group whose commands all accept the settings options (see ``with_settings_options``)."""

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        super().add_command(with_settings_options(cmd), name)


@click.group(cls=ManageGroup)
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Glare operator commands."""
    # flask.cli.with_appcontext builds the app through the ScriptInfo it finds here.
    ctx.obj = ScriptInfo(create_app=_make_app, set_debug_flag=False)


cli.params.extend(_settings_options())


@click.group(cls=ManageGroup)
def db() -> None:
    """Database schema migrations (core tables and every plugin's branch)."""


@db.command()
@click.argument("revision", default="heads")
@with_appcontext
def upgrade(revision: str) -> None:
    """Upgrade the core schema (default: to its latest revision) and every plugin's."""
    prepare_database(current_app)
    with migration_lock(current_app):  # not while a server starting elsewhere migrates
        before = current_revisions(current_app)
        upgrade_all(current_app, revision)
        after = current_revisions(current_app)
    report_changes(before, after, upgraded=True)


@db.command()
@click.argument("revision", default="-1")
@with_appcontext
def downgrade(revision: str) -> None:
    """Downgrade the core schema (default: one revision)."""
    require_database()
    with migration_lock(current_app):
        before = current_revisions(current_app)
        core = next(source for source in sources(current_app) if source.name == CORE)
        alembic_command.downgrade(alembic_config(core), revision)
        after = current_revisions(current_app)
    report_changes(before, after, upgraded=False)


@db.command()
@with_appcontext
def current() -> None:
    """Show, per history (core and plugins), the database's and the latest revisions."""
    require_database()
    for name, (in_db, latest) in current_revisions(current_app).items():
        state = "up to date" if in_db == latest else "needs upgrade"
        click.echo(f"{name}: database {sorted(in_db) or '-'}, latest {sorted(latest)} "
                   f"({state})")


def require_database() -> None:
    """A command that works on an existing database stops if there is none: looking would
    create an empty SQLite file, hiding a mistyped --data-dir."""
    path = current_app.extensions["glare"].database.sqlite_path
    if path is not None and not path.exists():
        raise click.ClickException(f"There is no database at {path} (wrong --data-dir? "
                                   "`glare-manage db upgrade` creates it)")
    check_database(current_app)


def report_changes(before: dict[str, tuple[set[str], set[str]]],
                   after: dict[str, tuple[set[str], set[str]]], *, upgraded: bool) -> None:
    """One line per history: from -> to, and the revisions the upgrade applied (or the
    downgrade reverted); or that it was left as it was."""
    for name, (now, latest) in after.items():
        was = before.get(name, (set(), latest))[0]
        if was == now:
            state = "already at the latest revision" if now == latest else "unchanged at"
            click.echo(f"{name}: {state} {_heads(now)}")
            continue
        if upgraded:
            done = f"applied {', '.join(revisions_between(current_app, name, was, now))}"
        else:
            done = f"reverted {', '.join(revisions_between(current_app, name, now, was)[::-1])}"
        click.echo(f"{name}: {_heads(was)} -> {_heads(now)} ({done})")


def _heads(revisions: set[str]) -> str:
    return ", ".join(sorted(revisions)) or "none"


@db.command()
@click.option("-m", "--message", required=True, help="What the migration does.")
@with_appcontext
def revision(message: str) -> None:
    """Autogenerate a new core migration from the table definitions (for developers)."""
    flask_migrate.migrate(directory=migrations_directory(), message=message)


cli.add_command(db)


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


@click.command()
@scrub_options
@with_appcontext
def scrub(daemon: bool, wakeup_time: float, scrub_time: float, pool_size: int) -> None:
    """Remove artifacts left in status 'deleted' by delayed delete (and their blobs)."""
    run_scrubber(daemon, wakeup_time, scrub_time, pool_size)


cli.add_command(scrub)


@click.command()
@scrub_options
def scrubber(daemon: bool, wakeup_time: float, scrub_time: float, pool_size: int) -> None:
    """Remove artifacts left in status 'deleted' by delayed delete (and their blobs)."""
    with _make_app().app_context():
        run_scrubber(daemon, wakeup_time, scrub_time, pool_size)


scrubber = with_settings_options(scrubber)


def run_scrubber(daemon: bool, wakeup_time: float, scrub_time: float, pool_size: int) -> None:
    """Scrub once, or every ``wakeup_time`` seconds with ``daemon``, in the current app."""
    require_database()
    state = current_app.extensions["glare"]
    while True:
        removed = scrub_deleted(state.engine, scrub_time=scrub_time, pool_size=pool_size)
        click.echo(f"scrubbed {removed} artifact(s)")
        if not daemon:
            return
        time.sleep(wakeup_time)


@click.command()
@with_appcontext
def policy() -> None:
    """Print the effective policy rules (defaults merged with the policy file) as YAML."""
    policy = current_app.extensions["glare"].policy
    for name, rule in policy.rules.items():
        click.echo(f"# {policy.origin(name)}")
        click.echo(f"{json.dumps(name)}: {json.dumps(rule)}")


@click.command()
@with_appcontext
def plugins() -> None:
    """List loaded plugins and the artifact types served."""
    state = current_app.extensions["glare"]
    for info in state.plugins:
        origin = "builtin" if info.builtin else f"{info.distribution or '-'} {info.version or ''}"
        click.echo(f"plugin {info.name}: {origin}")
    for name, artifact_type in state.registry.items():
        plugin = state.type_plugins.get(name)
        click.echo(f"type {name} ({artifact_type.display_name}) from {plugin}")


for _command in (policy, plugins, openapi_cli):
    cli.add_command(_command)


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
