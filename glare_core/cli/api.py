"""``glare-api``: start the Glare API server (gunicorn, several worker processes).

With no options it serves 127.0.0.1:9494 on the embedded default: a SQLite database and
blob folder under the data directory, applying migrations first.
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
from typing import Any, NoReturn

from gunicorn.app.base import BaseApplication
from gunicorn.config import Config

from glare_core.app import create_app
from glare_core.cli import startup
from glare_core.config import port_number
from glare_core.data.migrations import ensure_schema
from glare_core.errors import StartupError


class GlareServer(BaseApplication):
    """Gunicorn running an already-built app (created once, before the workers fork)."""

    def __init__(self, app: Any, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return self.application


class _Parser(argparse.ArgumentParser):
    """Reports a wrong option in one line (argparse prints its whole usage first)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _port(text: str) -> int:
    try:
        return port_number(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: {exc}") from None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = _Parser(prog="glare-api", description=__doc__)
    parser.add_argument("--host", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=_port, help="port to bind (default 9494)")
    parser.add_argument("--data-dir", help="folder for the SQLite database and blobs")
    parser.add_argument("--config", help="TOML config file (see etc/glare.toml.sample)")
    parser.add_argument("--workers", type=int, help="worker processes (default 2)")
    parser.add_argument("--threads", type=int, help="threads per worker (default 8)")
    return parser.parse_args(argv)


#: The settings glare-api's options set, by option (errors about them name the option).
OPTIONS = {"GLARE_HOST": "--host", "GLARE_PORT": "--port", "GLARE_DATA_DIR": "--data-dir",
           "GLARE_WORKERS": "--workers", "GLARE_THREADS": "--threads"}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    overrides = {key: getattr(args, option[2:].replace("-", "_"))
                 for key, option in OPTIONS.items()}
    overrides = {key: value for key, value in overrides.items() if value is not None}
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        app = create_app(overrides, config_file=args.config, origins=OPTIONS)
        # Before any migration: a port in use is reported now, not after them.
        listener = None if startup.inherits_sockets() else startup.listen(app.config)
        ensure_schema(app)
        startup.create_folders(app.config)
    except StartupError as exc:
        print(f"glare-api: cannot start: {exc}", file=sys.stderr)
        return 2
    # Forked workers must not share the master's database connections.
    app.extensions["glare"].database.dispose()
    print(startup.banner(app), file=sys.stderr, flush=True)
    options = gunicorn_options(app.config)
    if listener is not None:  # gunicorn serves the socket bound above (and closes it)
        options["bind"] = f"fd://{listener.detach()}"
    GlareServer(app, options).run()
    return 0


def gunicorn_options(config: Any) -> dict[str, Any]:
    """The gunicorn settings ``glare-api`` runs with, for the app's ``config``."""
    options: dict[str, Any] = {
        "bind": f"{config['GLARE_HOST']}:{config['GLARE_PORT']}",
        "workers": config["GLARE_WORKERS"],
        "threads": config["GLARE_THREADS"],
        "worker_class": "glare_core.server.worker.GlareWorker",
        "timeout": 300,
        # How long a stopping worker lets requests finish; it rolls back the uploads
        # still receiving their body shortly before (server/worker.py).
        "graceful_timeout": math.ceil(config["GLARE_GRACEFUL_TIMEOUT"]),
        "accesslog": "-",
        "loglevel": config["GLARE_LOG_LEVEL"].lower(),
        # gunicorn's most (its default is 4094): a folder key may be 1000 characters,
        # which a client sends percent-encoded, 6 bytes per Cyrillic or Greek letter.
        "limit_request_line": 8190,
    }
    # gunicorn 25.1+ opens a control socket at one path per user, whatever the port
    # ($XDG_RUNTIME_DIR/gunicorn.ctl or ~/.gunicorn/gunicorn.ctl): every server on a host
    # would claim the same socket, the last one started answering for all. glare-api
    # uses none; older gunicorns have no such setting.
    if "control_socket_disable" in Config().settings:
        options["control_socket_disable"] = True
    return options


if __name__ == "__main__":
    sys.exit(main())
