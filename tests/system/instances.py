"""A deployment of several machines, on one host: two ``glare-api`` instances, each with
a data folder of its own, on one PostgreSQL and one Swift (every blob in Swift), and
``glare-manage`` run with either instance's settings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.system.blobtools import MIB, SAMPLE
from tests.system.conftest import MEMBER, ServerProcess

#: Seconds without a heartbeat after which an upload counts as dead. Short, so that the
#: tests of dead uploads end soon; a live upload beats every third of it (3 s), which
#: leaves a loaded machine's heartbeat thread two beats of slack.
STALE_AFTER = 9
ADMIN = {**MEMBER, "X-Project-Id": "admin-project", "X-User-Id": "root", "X-Roles": "admin"}
PATCH = {"Content-Type": "application/json-patch+json"}
MANAGE = Path(sys.executable).with_name("glare-manage")


def member(project: str) -> dict[str, str]:
    return {**MEMBER, "X-Project-Id": project}


@dataclass
class Deployment:
    """Instances A and B; ``env`` is the settings every instance shares."""

    servers: list[ServerProcess]
    env: dict[str, str]
    swift: Any
    prefix: str

    @property
    def a(self) -> ServerProcess:
        return self.servers[0]

    @property
    def b(self) -> ServerProcess:
        return self.servers[1]

    def url(self, n: int, path: str = SAMPLE) -> str:
        """The address of ``path`` on instance ``n`` (0 is A, 1 is B; counts wrap)."""
        return f"{self.servers[n % len(self.servers)].url}{path}"

    def holdings(self) -> list[str]:
        """Every object Swift holds for the sample type (segments included)."""
        from swiftclient.exceptions import ClientException

        conn, names = self.swift.connection(), []
        for container in (f"{self.prefix}_sample_artifact",
                          f"{self.prefix}_sample_artifact_segments"):
            try:
                listing = conn.get_container(container, full_listing=True)[1]
            except ClientException as exc:
                if exc.http_status != 404:
                    raise
                continue
            names += [f"{container}/{o['name']}" for o in listing]
        return sorted(names)

    def manage(self, n: int, *args: str) -> subprocess.Popen:
        """``glare-manage ARGS`` as an operator of instance ``n`` runs it: its data folder,
        the shared settings (started, not awaited: see ``finish``)."""
        server = self.servers[n]
        return subprocess.Popen(
            [str(MANAGE), "--data-dir", str(server.data_dir), *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, **self.env},
        )


def finish(process: subprocess.Popen) -> tuple[str, str]:
    """Wait for a ``glare-manage`` run; its output and error output (it must succeed)."""
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    return out, err


def deployment_settings(postgres_url: str, swift: Any, prefix: str,
                        **extra: str) -> dict[str, str]:
    """What every instance of the deployment is given alike."""
    return {
        "GLARE_DATABASE_URL": postgres_url,
        "GLARE_DEFAULT_STORE": "swift",
        "GLARE_SWIFT": json.dumps(swift.settings(container_prefix=prefix, segment_size=MIB,
                                                 large_object_size=MIB)),
        "GLARE_UPLOAD_STALE_AFTER": str(STALE_AFTER),
        "GLARE_CLIENT_TIMEOUT": "120",
        # A loaded machine may keep writers to one artifact in line for a while: a 409
        # for a lock still busy would hide the answers the tests look for.
        "GLARE_LOCK_WAIT": "60",
        **extra,
    }


@pytest.fixture
def deploy(start_server, postgres_app, postgres_schema, swift_server, swift_prefix,
           tmp_path: Path) -> Callable[..., Deployment]:
    """Start instances A and B (on emptied tables; ``extra`` settings for both)."""

    def start(**extra: str) -> Deployment:
        env = deployment_settings(postgres_schema, swift_server, swift_prefix, **extra)
        servers = [start_server(tmp_path / name, env=env) for name in ("a", "b")]
        return Deployment(servers, env, swift_server, swift_prefix)

    return start

