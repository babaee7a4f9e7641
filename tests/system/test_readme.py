"""The README's examples, run as a new user would paste them, against a real server.

The shell blocks of "Try it" (and the quota example) run in order in one bash session,
with only the server address changed; the python-glareclient block runs against a server
in trusted-auth mode. Each test then checks, through the API, that the examples did what
the README says they do.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import requests

from tests.system.conftest import GLARE_API

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
DOCUMENTED_URL = "http://127.0.0.1:9494"
ADMIN = {"X-Identity-Status": "Confirmed", "X-Project-Id": "demo", "X-User-Id": "alice",
         "X-Roles": "admin"}


def section(title: str) -> str:
    """The README text from the heading ``title`` to the next heading of its level."""
    text = README.read_text()
    level = title.split(" ")[0]
    start = text.index(f"\n{title}\n")
    end = text.find(f"\n{level} ", start + len(title) + 2)
    return text[start:end if end != -1 else len(text)]


def bash_blocks(text: str) -> list[str]:
    return re.findall(r"```bash\n(.*?)```", text, flags=re.DOTALL)


def run_bash(script: str, server_url: str, cwd: Path) -> str:
    # -e stops at the first failing command; no pipefail, as in a user's shell (the README
    # pipes curl into head, which closes the pipe early). The files the examples write
    # under /tmp go to the test's own folder.
    script = "set -eu\n" + script.replace(DOCUMENTED_URL, server_url).replace(
        "/tmp/", f"{cwd}/")
    result = subprocess.run(["bash", "-c", script], cwd=cwd, capture_output=True, text=True,
                            timeout=120, env={"PATH": f"{GLARE_API.parent}:/usr/bin:/bin"})
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    return result.stdout


def test_try_it_examples_do_what_the_readme_says(start_server, tmp_path: Path) -> None:
    server = start_server(tmp_path / "data")
    curl_blocks = [b for b in bash_blocks(section("## Try it"))
                   if "glare --os-glare-url" not in b and "scripts/serve" not in b]
    assert len(curl_blocks) == 4  # identity + create, upload/download, activate, publish
    quota_block = next(b for b in bash_blocks(section("## Authentication, policy and quotas"))
                       if "/quotas" in b)
    workdir = tmp_path / "user"
    workdir.mkdir()
    shutil.copy(README, workdir / "README.md")
    printed = run_bash("\n".join([*curl_blocks, quota_block]), server.url, workdir)
    assert '"name": "hello"' in printed

    listed = requests.get(f"{server.url}/artifacts/sample_artifact?name=hello",
                          headers=ADMIN, timeout=10).json()["artifacts"]
    assert len(listed) == 1
    artifact = listed[0]
    assert (artifact["status"], artifact["visibility"], artifact["version"]) == (
        "active", "public", "1.0.0")
    assert artifact["blob"]["status"] == "active"
    assert (workdir / "copy.md").read_bytes() == README.read_bytes()
    quotas = requests.get(f"{server.url}/project-quotas/demo", headers=ADMIN,
                          timeout=10).json()
    stored = {q["quota_name"]: q["quota_value"] for q in quotas[0]["project_quotas"]}
    assert stored["max_artifact_number"] == 100
    assert stored["max_uploaded_data:images"] == 10737418240


def test_try_it_run_again_says_why_the_create_fails(start_server, tmp_path: Path) -> None:
    """A second run of the create hits the uniqueness rule: the reader sees the server's
    409 message, not a Python traceback (``KeyError: 'id'``)."""
    server = start_server(tmp_path / "data")
    create = next(b for b in bash_blocks(section("## Try it")) if "-d '{\"name\"" in b)
    run_bash(create, server.url, tmp_path)
    script = "set -eu\n" + create.replace(DOCUMENTED_URL, server.url)
    again = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120,
                           env={"PATH": "/usr/bin:/bin"})
    assert again.returncode != 0
    assert "create failed:" in again.stderr and "already" in again.stderr.lower(), again.stderr
    assert "Traceback" not in again.stderr


def test_python_glareclient_example(start_server, tmp_path: Path) -> None:
    if not (GLARE_API.parent / "glare").exists():
        pytest.fail("python-glareclient's `glare` command is missing: install the test extras")
    server = start_server(tmp_path / "data", env={"GLARE_AUTH_STRATEGY": "trusted-auth"})
    (block,) = [b for b in bash_blocks(section("## Try it")) if "glare --os-glare-url" in b]
    # The block starts the server itself; the test has started it already, and runs the
    # block with .venv/bin on its PATH (what the `source` line gives a reader).
    assert "source .venv/bin/activate" in block
    commands = "\n".join(line for line in block.splitlines()
                         if "scripts/serve" not in line and not line.startswith("source "))
    workdir = tmp_path / "user"
    workdir.mkdir()
    printed = run_bash(commands, server.url, workdir)
    template = "heat_template_version: 2018-08-31\nresources: {}\n"
    assert (workdir / "stack.yaml").read_text() == template  # written by the example
    assert "heat_templates" in printed
    token = {"X-Auth-Token": "alice:demo:member"}
    (artifact,) = requests.get(f"{server.url}/artifacts/heat_templates?name=mytpl",
                               headers=token, timeout=10).json()["artifacts"]
    assert artifact["version"] == "1.0.0"
    assert artifact["template"]["size"] == len(template)
    download = requests.get(f"{server.url}/artifacts/heat_templates/{artifact['id']}/template",
                            headers=token, timeout=10)
    assert download.text == template


def test_the_several_machines_settings_file_is_valid(tmp_path: Path) -> None:
    """The settings file of Production, Several machines, loads as written (no unknown
    key) and puts every blob in Swift, on PostgreSQL, with migrations left to
    ``glare-manage``; the commands beside it read it."""
    from glare_core.config import load_settings

    (block,) = re.findall(r"```toml\n(.*?)```", section("### Several machines"),
                          flags=re.DOTALL)
    config = tmp_path / "glare.toml"
    config.write_text(block)
    settings = load_settings(config, environ={})
    assert settings["GLARE_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert settings["GLARE_DEFAULT_STORE"] == "swift"
    assert settings["GLARE_AUTO_MIGRATE"] is False
    assert settings["GLARE_SWIFT"]["auth_url"].endswith("/v3")
    # every command reads that file, where its first line says it lives
    path = block.splitlines()[0].removeprefix("# ").split(",")[0]
    (commands,) = bash_blocks(section("### Several machines"))
    assert [line.split()[:3] for line in commands.splitlines()] == [
        [command, "--config", path] for command in ("glare-manage", "glare-api",
                                                    "glare-scrubber")]
