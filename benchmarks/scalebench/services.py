"""The processes the scale benchmark runs: a PostgreSQL (tools/pg-dev) and ``glare-api``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
import sqlalchemy as sa

REPO = Path(__file__).resolve().parents[2]
PG_TOOLS = REPO / "tools" / "pg-dev"
GLARE_API = Path(sys.executable).with_name("glare-api")
#: auto_explain is loaded in every backend but logs nothing (its log_min_duration is -1)
#: until ``set_auto_explain``: the timed requests run without its instrumentation. (Not
#: on the command line, which would override ALTER SYSTEM.)
PG_OPTIONS = ("-c shared_preload_libraries=auto_explain -c auto_explain.log_analyze=on "
              "-c auto_explain.log_buffers=on -c auto_explain.log_nested_statements=on")


class Postgres:
    """A PostgreSQL of tools/pg-dev in ``data_dir`` (a kept one is started again)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.log_path = data_dir / "server.log"
        self.url = ""

    def start(self) -> str:
        result = subprocess.run(
            [str(PG_TOOLS / "start-postgres"), str(self.data_dir)], capture_output=True,
            text=True, timeout=600, env={**os.environ, "PG_EXTRA_OPTIONS": PG_OPTIONS})
        if result.returncode != 0:
            raise RuntimeError(f"cannot start PostgreSQL: {result.stderr[-2000:]}")
        self.url = next(line.split("=", 1)[1] for line in result.stdout.splitlines()
                        if line.startswith("export GLARE_TEST_PG_URL="))
        return self.url

    def stop(self) -> None:
        subprocess.run([str(PG_TOOLS / "stop-postgres"), str(self.data_dir)],
                       capture_output=True, timeout=120)

    def log_size(self) -> int:
        return self.log_path.stat().st_size

    def log_since(self, offset: int) -> str:
        with self.log_path.open("rb") as log:
            log.seek(offset)
            return log.read().decode("utf-8", "replace")


def set_auto_explain(url: str, min_duration_ms: float | None) -> None:
    """Have every backend log the plans (EXPLAIN ANALYZE) of statements slower than
    ``min_duration_ms``; None: log none. Applies to open connections too (a reload)."""
    value = -1 if min_duration_ms is None else max(0, round(min_duration_ms))
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f"ALTER SYSTEM SET auto_explain.log_min_duration = {value}"))
            conn.execute(sa.text("SELECT pg_reload_conf()"))
    finally:
        engine.dispose()
    time.sleep(0.2)  # backends read the new configuration at their next command


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class GlareApi:
    """``glare-api --workers 2`` on 127.0.0.1 against the benchmark's database."""

    def __init__(self, data_dir: Path, database_url: str | None, workers: int) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir / f"glare-api-{self.port}.log"
        env = {**os.environ, "GLARE_LOG_LEVEL": "WARNING"}
        if database_url:
            env["GLARE_DATABASE_URL"] = database_url
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [str(GLARE_API), "--port", str(self.port), "--data-dir", str(data_dir),
             "--workers", str(workers)],
            stdout=self._log, stderr=subprocess.STDOUT, env=env)

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"glare-api exited: {self.log_path.read_text()[-2000:]}")
            try:
                if requests.get(f"{self.url}/healthcheck", timeout=5).status_code == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):
                pass  # not listening yet, or slow to answer on a loaded machine
            time.sleep(0.2)
        raise RuntimeError(f"glare-api did not answer: {self.log_path.read_text()[-2000:]}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()
