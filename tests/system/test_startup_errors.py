"""Operator mistakes at start-up, as an operator makes them (real ``glare-api``,
``glare-manage`` and ``glare-scrubber`` processes): each stops the command with exit code 2
and one line on stderr naming the mistake and where the value came from, never a Python
traceback; and the server says, as it starts, what it serves with."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.system.conftest import GLARE_API, MEMBER, free_port, raw_get

MANAGE = Path(sys.executable).with_name("glare-manage")
SCRUBBER = Path(sys.executable).with_name("glare-scrubber")
SAMPLE = "/artifacts/sample_artifact"


def refused(command: Path, *args: str, env: dict[str, str] | None = None,
            drop: tuple[str, ...] = ()) -> str:
    """Run a command that must refuse to start; its one line of stderr."""
    environ = {key: value for key, value in os.environ.items() if key not in drop}
    result = subprocess.run([str(command), *args], capture_output=True, text=True,
                            timeout=120, env={**environ, **(env or {})})
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_a_data_dir_that_is_a_file_or_cannot_be_created(tmp_path: Path) -> None:
    a_file = tmp_path / "glare.db"
    a_file.write_text("not a folder")
    line = refused(GLARE_API, "--data-dir", str(a_file), "--port", str(free_port()))
    assert line == f"glare-api: cannot start: --data-dir: {a_file} is a file, not a folder"
    under_a_file = a_file / "data"
    line = refused(GLARE_API, "--data-dir", str(under_a_file), "--port", str(free_port()))
    assert f"--data-dir: {under_a_file} cannot be created: {a_file} is a file" in line
    line = refused(MANAGE, "db", "upgrade", env={"GLARE_DATA_DIR": str(under_a_file)})
    assert f"GLARE_DATA_DIR (environment variable): {under_a_file} cannot be" in line


@pytest.mark.parametrize("port", ["99999", "0", "http"])
def test_a_port_out_of_range(tmp_path: Path, port: str) -> None:
    line = refused(GLARE_API, "--data-dir", str(tmp_path), "--port", port)
    assert line.startswith(f"glare-api: argument --port: '{port}': a port is a whole number "
                           "from 1 to 65535")
    line = refused(GLARE_API, "--data-dir", str(tmp_path), env={"GLARE_PORT": port})
    assert f"GLARE_PORT (environment variable): '{port}' is invalid: a port is" in line


def test_a_port_in_use_is_reported_before_the_migrations(tmp_path: Path) -> None:
    """At once and before any migration (no database is created), not after gunicorn's
    five one-second retries."""
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        started = time.monotonic()
        line = refused(GLARE_API, "--data-dir", str(tmp_path / "data"), "--port", str(port))
        elapsed = time.monotonic() - started
    assert line == (f"glare-api: cannot start: --port: cannot listen on 127.0.0.1:{port}: "
                    "the port is in use (another server is listening there)")
    assert not (tmp_path / "data").exists()  # nothing migrated, nothing created
    print(f"port in use reported after {elapsed:.2f} s")


def test_a_database_that_cannot_be_reached(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://glare:s3cret@127.0.0.1:{free_port()}/glare"
    env = {"GLARE_DATABASE_URL": url}
    for command, args in ((GLARE_API, ("--port", str(free_port()))), (MANAGE, ("db", "upgrade")),
                          (MANAGE, ("db", "current")), (SCRUBBER, ())):
        line = refused(command, "--data-dir", str(tmp_path / "data"), *args, env=env)
        assert "Cannot connect to the database postgresql+psycopg://glare:***@127.0.0.1:" in line
        assert "(GLARE_DATABASE_URL (environment variable)): connection failed" in line
        assert "s3cret" not in line
    assert not (tmp_path / "data").exists()


def test_a_database_server_that_never_answers(tmp_path: Path) -> None:
    """A server that accepts the connection and then says nothing (a hung host, a
    firewall that swallows packets): the command gives up after libpq's connect timeout
    instead of waiting without end."""
    with socket.create_server(("127.0.0.1", 0)) as silent:  # never accepts, never answers
        url = f"postgresql+psycopg://glare@127.0.0.1:{silent.getsockname()[1]}/glare"
        line = refused(MANAGE, "--data-dir", str(tmp_path / "data"), "db", "current",
                       env={"GLARE_DATABASE_URL": url})
    assert "Cannot connect to the database" in line and "timeout" in line.lower(), line


@pytest.mark.parametrize(("url", "reason"), [
    ("mysql://glare:s3cret@db/glare", "Glare runs on sqlite and postgresql, not mysql"),
    ("glare.db", "not a database URL"),
    ("postgresql+nodriver://glare:s3cret@db/glare", "no driver for postgresql+nodriver"),
])
def test_a_database_url_glare_cannot_use(tmp_path: Path, url: str, reason: str) -> None:
    line = refused(GLARE_API, "--data-dir", str(tmp_path), env={"GLARE_DATABASE_URL": url})
    assert line.startswith(f"glare-api: cannot start: GLARE_DATABASE_URL (environment "
                           f"variable): {reason}")
    assert "s3cret" not in line


def test_a_misspelt_variable_stops_every_command(tmp_path: Path) -> None:
    """GLARE_AUTH_STRATEGYY=keystone would otherwise start a server that trusts identity
    headers."""
    env = {"GLARE_AUTH_STRATEGYY": "keystone"}
    expected = ("Unknown environment variable GLARE_AUTH_STRATEGYY (did you mean "
                "GLARE_AUTH_STRATEGY?)")
    for command, args in ((GLARE_API, ("--port", str(free_port()))), (MANAGE, ("policy",)),
                          (MANAGE, ("db", "current")), (SCRUBBER, ())):
        line = refused(command, "--data-dir", str(tmp_path / "data"), *args, env=env)
        assert expected in line, line
    assert not (tmp_path / "data").exists()


def test_config_errors_name_where_the_value_came_from(tmp_path: Path) -> None:
    config = tmp_path / "glare.toml"
    config.write_text('auth_strategy = "keystones"\n')
    line = refused(GLARE_API, "--config", str(config), "--data-dir", str(tmp_path))
    assert line == (f"glare-api: cannot start: config file {config}, key auth_strategy: "
                    "'keystones' is invalid: must be one of noauth, trusted-auth, keystone "
                    "(did you mean keystone?)")
    line = refused(GLARE_API, "--data-dir", str(tmp_path),
                   env={"GLARE_CONFIG_FILE": str(config), "GLARE_AUTH_STRATEGY": "trusted"})
    assert "GLARE_AUTH_STRATEGY (environment variable): 'trusted' is invalid" in line
    config.write_text("prot = 9000\n")
    line = refused(GLARE_API, "--config", str(config), "--data-dir", str(tmp_path))
    assert line.endswith(f"{config}: unknown setting 'prot' (did you mean port?)")


def test_the_banner_says_what_the_server_serves_with(start_server, tmp_path: Path) -> None:
    """One line: address, identity source, database, blob store, data folder, types. The
    tools' own GLARE_* variables (scripts/bootstrap's, the tests') do not stop a start."""
    server = start_server(tmp_path / "data", env={
        "GLARE_AUTH_STRATEGY": "trusted-auth", "GLARE_VENV": ".venv",
        "GLARE_TEST_WORKERS": "0"})
    data = tmp_path / "data"
    [banner] = [line for line in server.log_path.read_text().splitlines()
                if line.startswith("glare-api: ")]
    assert banner.startswith(
        f"glare-api: serving http://127.0.0.1:{server.port} | auth: trusted-auth | "
        f"database: sqlite:///{data}/glare.db | blob store: file in {data}/blobs | "
        f"data: {data} | types: ")
    assert "sample_artifact" in banner


def test_repeated_identity_headers_are_refused(start_server, tmp_path: Path) -> None:
    """Two X-Roles lines (member, then admin) would be joined into 'member,admin', an
    admin: every repeated identity header is a 400, sent as the raw lines a client (or a
    proxy adding its own line) writes."""
    server = start_server(tmp_path / "data")
    head = "".join(f"{name}: {value}\r\n" for name, value in MEMBER.items())
    cases = {
        "X-Roles": "X-Roles: admin\r\n",
        "X-Project-Id": "X-Project-Id: p2\r\n",
        "X-User-Id": "x-user-id: u2\r\n",  # names are case-insensitive
        "X-Identity-Status": "X-Identity-Status: Confirmed\r\n",
        "X-Tenant-Id": "X-Tenant-Id: p1\r\nX-Tenant-Id: p2\r\n",
        "X-Auth-Token": "X-Auth-Token: a\r\nX-Auth-Token: b\r\n",
    }
    for name, extra in cases.items():
        status, body = raw_get(server.url, SAMPLE, head + extra)
        assert status == 400, (name, body)
        assert body["error"]["type"] == "BadRequest"
        assert body["error"]["message"] == (
            f"The identity header {name} is sent more than once: send each identity header "
            "once")
    status, body = raw_get(server.url, SAMPLE, head)
    assert status == 200, body
    # The same caller with one X-Roles line listing both roles is served (as an admin).
    both = {**MEMBER, "X-Roles": "member,admin"}
    assert requests.get(f"{server.url}{SAMPLE}", headers=both, timeout=10).status_code == 200

