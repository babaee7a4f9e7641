"""The OpenAPI document against a real ``glare-api``: a bounded Schemathesis run.

Schemathesis reads ``/-/api/openapi.json`` and sends every operation requests generated
from it (boundary values, schema-valid and schema-violating data), then checks each
answer: never a 5xx, a documented status, content type, headers and body, schema-valid
requests accepted and invalid ones refused. The run is deterministic (fixed seed, one
worker) and bounded (``max-examples`` per operation); its settings and the hooks that
drop bodies breaking rules OpenAPI 3.0 cannot state are in ``tests/system/fuzz/``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.system.conftest import MEMBER

REPO = Path(__file__).resolve().parents[2]
FUZZ = Path(__file__).resolve().parent / "fuzz"
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")

pytestmark = pytest.mark.slow


def run_schemathesis(location: str, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    """Run ``schemathesis run`` on the document at ``location`` with the project's settings."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1"}
    return subprocess.run(
        [str(SCHEMATHESIS), "--config-file", str(FUZZ / "schemathesis.toml"), "run",
         location, "--workers", "1", "--report-dir",
         str(tmp_path / "report"), *extra],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
    )


def test_the_server_answers_as_its_document_says(start_server, tmp_path):
    # One type, so that a create body valid for the document's schema is valid for the
    # type in the path (sample_artifact has a field of every kind).
    server = start_server(env={"GLARE_ENABLED_TYPES": '["sample_artifact"]'})
    result = run_schemathesis(f"{server.url}/-/api/openapi.json", tmp_path)
    report = result.stdout + result.stderr
    assert result.returncode == 0, report[-20000:]
    assert "No issues found" in report or " passed" in report, report[-5000:]
    assert "Tested: 19" in report, report[-5000:]
    # The server side of the run: no request broke it.
    log = server.log_path.read_text()
    assert "Traceback" not in log, log[-5000:]


def test_the_run_finds_a_status_the_document_omits(start_server, tmp_path):
    """The checks have teeth: with a document that omits the 403 a member gets from the
    admin-only quota list, the same run fails on it."""
    server = start_server(env={"GLARE_ENABLED_TYPES": '["sample_artifact"]'})
    document = requests.get(f"{server.url}/-/api/openapi.json", timeout=10).json()
    del document["paths"]["/quotas"]["get"]["responses"]["403"]
    doctored = tmp_path / "openapi.json"
    doctored.write_text(json.dumps(document))
    result = run_schemathesis(
        str(doctored), tmp_path, "--url", server.url, "--include-path", "/quotas",
        "--include-method", "GET",
        *(arg for name, value in MEMBER.items() for arg in ("-H", f"{name}: {value}")),
    )
    report = result.stdout + result.stderr
    assert result.returncode != 0, report[-5000:]
    assert "Undocumented status code" in report and "Received: 403" in report, report[-5000:]
