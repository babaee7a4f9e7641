"""``glare-api``: start the Glare API server (gunicorn, several worker processes).

With no options it serves 127.0.0.1:9494 on the embedded default: a SQLite database and
blob folder under the data directory, applying migrations first.
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.config import Config

from glare_core.app import create_app
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


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="glare-api", description=__doc__)
    parser.add_argument("--host", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to bind (default 9494)")
    parser.add_argument("--data-dir", help="folder for the SQLite database and blobs")
    parser.add_argument("--config", help="TOML config file (see etc/glare.toml.sample)")
    parser.add_argument("--workers", type=int, help="worker processes (default 2)")
    parser.add_argument("--threads", type=int, help="threads per worker (default 8)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    overrides = {
        key: value
        for key, value in (
            ("GLARE_HOST", args.host),
            ("GLARE_PORT", args.port),
            ("GLARE_DATA_DIR", args.data_dir),
            ("GLARE_WORKERS", args.workers),
            ("GLARE_THREADS", args.threads),
        )
        if value is not None
    }
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        app = create_app(overrides, config_file=args.config)
        ensure_schema(app)
    except StartupError as exc:
        print(f"glare-api: cannot start: {exc}", file=sys.stderr)
        return 2
    # Forked workers must not share the master's database connections.
    app.extensions["glare"].database.dispose()
    config = app.config
    types = ", ".join(app.extensions["glare"].registry) or "none"
    print(
        f"glare-api: starting on http://{config['GLARE_HOST']}:{config['GLARE_PORT']} "
        f"(data: {config['GLARE_DATA_DIR']}, blob store: {config['GLARE_DEFAULT_STORE']}, "
        f"types: {types})",
        file=sys.stderr,
        flush=True,
    )
    GlareServer(app, gunicorn_options(config)).run()
    return 0


def gunicorn_options(config: Any) -> dict[str, Any]:
    """The gunicorn settings ``glare-api`` runs with, for the app's ``config``."""
    options: dict[str, Any] = {
        "bind": f"{config['GLARE_HOST']}:{config['GLARE_PORT']}",
        "workers": config["GLARE_WORKERS"],
        "threads": config["GLARE_THREADS"],
        "worker_class": "glare_core.api.gunicorn_worker.GlareWorker",
        "timeout": 300,
        # How long a stopping worker lets requests finish; it rolls back the uploads
        # still receiving their body shortly before (api/gunicorn_worker.py).
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
