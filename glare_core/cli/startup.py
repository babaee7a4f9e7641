"""What ``glare-api`` does before it serves: claim its port, create its folders, and say
what it is about to serve.

The port is bound first, before any migration runs: a port in use (or not allowed, or an
address the host does not have) is reported at once, in one line, where gunicorn would
retry for five seconds after the migrations and then exit. gunicorn is handed the bound
socket (``fd://N``), so no other process can take the port in between (unless it is
handed sockets already: ``inherits_sockets``).
"""

from __future__ import annotations

import errno
import os
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from glare_core.config import setting_origin
from glare_core.data.database import masked_url
from glare_core.errors import StartupError
from glare_core.folders import create_folder

#: gunicorn's default listen backlog.
BACKLOG = 2048
_BIND_ERRORS = {
    errno.EADDRINUSE: "the port is in use (another server is listening there)",
    errno.EACCES: "permission denied (ports below 1024 need privileges)",
    errno.EADDRNOTAVAIL: "this host has no such address",
}


def inherits_sockets(environ: Mapping[str, str] = os.environ) -> bool:
    """True when gunicorn will serve sockets it is handed: systemd socket activation
    (``LISTEN_FDS``), or the new master of a ``USR2`` upgrade (``GUNICORN_FD``), whose
    port the old master still holds. Binding again would fail; gunicorn takes those."""
    return "LISTEN_FDS" in environ or "GUNICORN_FD" in environ


def listen(config: Mapping[str, Any]) -> socket.socket:
    """A listening socket on ``GLARE_HOST``:``GLARE_PORT`` (SO_REUSEADDR, as gunicorn's).

    :raises StartupError: one line naming the address, why, and where it was set.
    """
    host, port = config["GLARE_HOST"], config["GLARE_PORT"]
    host_origin = setting_origin(config, "GLARE_HOST")
    address = f"{url_host(host)}:{port}"
    try:
        family, _, _, _, sockaddr = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    except socket.gaierror as exc:
        raise StartupError(f"{host_origin}: cannot listen on {address}: unknown host "
                           f"({exc.strerror})") from None
    try:
        return socket.create_server(sockaddr[:2], family=family, backlog=BACKLOG)
    except OSError as exc:
        reason = _BIND_ERRORS.get(exc.errno or 0, exc.strerror or str(exc))
        origin = host_origin if exc.errno == errno.EADDRNOTAVAIL else setting_origin(
            config, "GLARE_PORT")
        raise StartupError(f"{origin}: cannot listen on {address}: {reason}") from None


def create_folders(config: Mapping[str, Any]) -> None:
    """Create the data folder and the file store's blob folder (or stop, in one line)."""
    for key in ("GLARE_DATA_DIR", "GLARE_BLOB_DIR"):
        create_folder(Path(config[key]), setting_origin(config, key))


def banner(app: Any) -> str:
    """The line ``glare-api`` prints before serving: where, with which identity source,
    database and blob store, and which artifact types."""
    config = app.config
    store = config["GLARE_DEFAULT_STORE"]
    if store == "file":
        store = f"file in {config['GLARE_BLOB_DIR']}"
    elif store == "swift":
        store = f"swift at {(config.get('GLARE_SWIFT') or {}).get('auth_url', '?')}"
    auth = config["GLARE_AUTH_STRATEGY"]
    if auth == "noauth":
        auth += " (identity headers are trusted)"
    types = ", ".join(app.extensions["glare"].registry) or "none"
    return (f"glare-api: serving http://{url_host(config['GLARE_HOST'])}:{config['GLARE_PORT']}"
            f" | auth: {auth} | database: {masked_url(config['GLARE_DATABASE_URL'])}"
            f" | blob store: {store} | data: {config['GLARE_DATA_DIR']} | types: {types}")


def url_host(host: str) -> str:
    """``host`` as written in a URL (an IPv6 address in brackets)."""
    return f"[{host}]" if ":" in host else host
