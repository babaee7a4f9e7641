"""Shared fixtures: the test app serves the sample_artifact type (glare_core.testing
provides the app, client and factory fixtures)."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import glare_sample_artifact
import pytest

from glare_core.testing import GlareClient

SAMPLE = "sample_artifact"
SAMPLE_URL = f"/artifacts/{SAMPLE}"


@pytest.fixture
def glare_plugins() -> list[Any]:
    return [glare_sample_artifact]


@pytest.fixture
def user1(glare_client: GlareClient) -> GlareClient:
    """Member of project p1."""
    return glare_client


@pytest.fixture
def user2(glare_client: GlareClient) -> GlareClient:
    """Member of project p2."""
    return glare_client.as_user("p2")


@pytest.fixture
def admin(glare_client: GlareClient) -> GlareClient:
    """Admin, in project admin-project."""
    return glare_client.as_admin()


@pytest.fixture
def anonymous(glare_client: GlareClient) -> GlareClient:
    """No credentials at all."""
    return glare_client.as_user(None, roles=())


# ---- real services -------------------------------------------------------------------------

REPO = Path(__file__).resolve().parent.parent
SWIFT_TOOLS = REPO / "tools" / "swift-dev"


def failure_reason(stderr: str) -> str:
    """What a tools/ start script says about its failure: its last line (the logs it
    printed before stay in its log folder, which that line names)."""
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "it failed without a message"


def service_unavailable(message: str) -> None:
    """A needed service is missing: fail loudly in CI, skip with the reason locally."""
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


class SwiftServer:
    """A real Swift started with the project's tools/swift-dev scripts."""

    def __init__(self, data_dir: Path, port: int | None = None,
                 extra_env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.port = port
        self.extra_env = dict(extra_env or {})
        self.env: dict[str, str] = {}

    def start(self) -> None:
        env = {**os.environ, **self.extra_env}
        if self.port:
            env["SWIFT_PORT"] = str(self.port)
        try:
            result = subprocess.run(
                [str(SWIFT_TOOLS / "start-swift"), str(self.data_dir)],
                capture_output=True, text=True, timeout=600, env=env,
            )
            ok, why = result.returncode == 0, failure_reason(result.stderr)
        except (OSError, subprocess.TimeoutExpired) as exc:
            ok, why = False, repr(exc)
        if not ok:
            service_unavailable(f"cannot start Swift with {SWIFT_TOOLS}/start-swift: {why}")
        self.env = dict(
            line[len("export "):].split("=", 1)
            for line in result.stdout.splitlines() if line.startswith("export ")
        )
        self.port = int(self.env["ST_AUTH"].split(":")[2].split("/")[0])

    def stop(self) -> None:
        subprocess.run([str(SWIFT_TOOLS / "stop-swift"), str(self.data_dir)], timeout=60,
                       capture_output=True)

    def settings(self, **extra: Any) -> dict[str, Any]:
        """The GLARE_SWIFT setting for this server (tempauth v1)."""
        return {"auth_url": self.env["ST_AUTH"], "user": self.env["ST_USER"],
                "key": self.env["ST_KEY"], "auth_version": "1", **extra}

    def connection(self) -> Any:
        from swiftclient.client import Connection

        return Connection(authurl=self.env["ST_AUTH"], user=self.env["ST_USER"],
                          key=self.env["ST_KEY"], auth_version="1")


@pytest.fixture(scope="session")
def swift_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SwiftServer]:
    """One real Swift on 127.0.0.1 for the whole test session."""
    server = SwiftServer(tmp_path_factory.mktemp("swift"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def started_keystone(data_dir: Path, **knobs: str) -> Any:
    """A real Keystone v3 on 127.0.0.1 (tools/keystone-dev; ``knobs`` are its KEYSTONE_*
    settings), or a loud failure in CI and a skip locally when it cannot start."""
    from tests.support.real_keystone import KEYSTONE_TOOLS, KeystoneServer, KeystoneUnavailable

    server = KeystoneServer(data_dir, extra_env=knobs)
    try:
        server.start()
    except KeystoneUnavailable as exc:
        server.stop()
        service_unavailable(f"cannot start Keystone with {KEYSTONE_TOOLS}/start-keystone: {exc}")
    return server


@pytest.fixture(scope="session")
def keystone_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One real Keystone v3 on 127.0.0.1 for the whole test session (tools/keystone-dev)."""
    server = started_keystone(tmp_path_factory.mktemp("keystone"))
    try:
        yield server
    finally:
        server.stop()


def run_parallel(count: int, action: Any) -> Any:
    """Call ``action(n)`` for n in range(count) in threads that start together; return a
    Counter of the results."""
    import threading
    from collections import Counter

    results: list[Any] = []
    lock = threading.Lock()
    start = threading.Barrier(count)

    def run(n: int) -> None:
        start.wait()
        outcome = action(n)
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Counter(results)


def pip_install(package: Path, target: Path) -> None:
    """Install a package with pip into a private folder (the test venv stays as it is)."""
    import sys

    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
         "--disable-pip-version-check", "--target", str(target), str(package)],
        check=True, capture_output=True, text=True,
    )


@pytest.fixture(scope="session")
def demo_plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the pip-installed ``demo_widgets`` plugin (for PYTHONPATH)."""
    target = tmp_path_factory.mktemp("demo-site")
    pip_install(REPO / "tests" / "plugins" / "demo_widgets", target)
    return target


PG_TOOLS = REPO / "tools" / "pg-dev"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A real PostgreSQL on 127.0.0.1 for the session (tools/pg-dev), as a database URL."""
    import shutil
    import tempfile

    # Not under pytest's temp folder: the server may run as 'postgres', which must reach it.
    data = tempfile.mkdtemp(prefix="glare-pg-")
    try:
        result = subprocess.run([str(PG_TOOLS / "start-postgres"), data], capture_output=True,
                                text=True, timeout=600)
        ok, why = result.returncode == 0, failure_reason(result.stderr)
    except (OSError, subprocess.TimeoutExpired) as exc:
        ok, why = False, repr(exc)
    if not ok:
        shutil.rmtree(data, ignore_errors=True)
        service_unavailable(f"cannot start PostgreSQL with {PG_TOOLS}/start-postgres: {why}")
    url = next(line.split("=", 1)[1] for line in result.stdout.splitlines()
               if line.startswith("export GLARE_TEST_PG_URL="))
    try:
        yield url
    finally:
        subprocess.run([str(PG_TOOLS / "stop-postgres"), data], capture_output=True, timeout=60)
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_schema(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The session's PostgreSQL database with every migration applied."""
    from glare_core.app import create_app
    from glare_core.data.migrations import ensure_schema

    app = create_app({"GLARE_DATA_DIR": str(tmp_path_factory.mktemp("pg-migrate")),
                      "GLARE_DATABASE_URL": postgres_url}, autoload=True)
    ensure_schema(app)
    app.extensions["glare"].database.dispose()
    return postgres_url


@pytest.fixture
def empty_database(postgres_url: str) -> Iterator[str]:
    """A database of its own, with no table yet, on the session's PostgreSQL server."""
    import sqlalchemy as sa

    name = f"glare_empty_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE {name} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture
def postgres_app(postgres_schema: str, tmp_path: Path, glare_plugins: list[Any]) -> Iterator[Any]:
    """An app on PostgreSQL with empty tables (every glare table is truncated first)."""
    import sqlalchemy as sa

    from glare_core.app import create_app

    engine = sa.create_engine(postgres_schema)
    with engine.begin() as conn:
        tables = conn.execute(sa.text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename LIKE 'glare_%'")).scalars().all()
        conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} CASCADE"))
    engine.dispose()
    app = create_app({"GLARE_DATA_DIR": str(tmp_path / "pg-data"),
                      "GLARE_DATABASE_URL": postgres_schema, "GLARE_AUTO_MIGRATE": False},
                     plugins=glare_plugins, autoload=False)
    yield app
    app.extensions["glare"].database.dispose()


@pytest.fixture
def swift_prefix() -> str:
    """A container prefix unique to the test (the session shares one Swift account)."""
    return f"t{uuid.uuid4().hex[:12]}"
