"""``glare-manage``: migrations, effective policy, plugins and the scrubber, as an operator
runs them (real processes, settings from the environment and a config file)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

MANAGE = Path(sys.executable).with_name("glare-manage")
SCRUBBER = Path(sys.executable).with_name("glare-scrubber")


def run(*args: str, env: dict | None = None, command: Path = MANAGE) -> str:
    result = subprocess.run([str(command), *args], capture_output=True, text=True,
                            timeout=120, env={**os.environ, **(env or {})})
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_db_upgrade_then_current(tmp_path):
    env = {"GLARE_DATA_DIR": str(tmp_path)}
    upgraded = run("db", "upgrade", env=env)
    assert "glare_core: database ['0003'], latest ['0003'] (up to date)" in upgraded
    assert "images: database ['images_0001']" in upgraded  # installed plugin's history
    assert "needs upgrade" not in run("db", "current", env=env)


def test_data_dir_option_picks_the_database(tmp_path):
    """``--data-dir`` works as for glare-api; it wins over GLARE_DATA_DIR."""
    chosen, other = tmp_path / "chosen", tmp_path / "other"
    upgraded = run("--data-dir", str(chosen), "db", "upgrade",
                   env={"GLARE_DATA_DIR": str(other)})
    assert "(up to date)" in upgraded
    assert (chosen / "glare.db").exists()
    assert not (other / "glare.db").exists()
    assert "needs upgrade" not in run("--data-dir", str(chosen), "db", "current")


def test_db_current_on_a_folder_without_a_database_says_so(tmp_path):
    empty = tmp_path / "typo"
    result = subprocess.run([str(MANAGE), "--data-dir", str(empty), "db", "current"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert f"There is no database at {empty / 'glare.db'}" in result.stderr
    assert not (empty / "glare.db").exists()


def test_scrubber_help_names_its_own_command():
    printed = run("--help", command=SCRUBBER)
    assert printed.startswith("Usage: glare-scrubber [OPTIONS]")
    assert "--data-dir" in printed and "--config" in printed and "--daemon" in printed


def test_policy_prints_effective_rules_with_overrides(tmp_path):
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(yaml.safe_dump({
        "artifact:publish": "role:publisher or rule:auditor", "auditor": "role:auditor"}))
    config = tmp_path / "glare.toml"
    config.write_text(f'data_dir = "{tmp_path}"\npolicy_file = "{policy_file}"\n')
    printed = run("--config", str(config), "policy")
    rules = {}
    for line in printed.splitlines():
        if not line.startswith("#"):
            name, _, rule = line.partition(": ")
            rules[json.loads(name)] = json.loads(rule)
    assert rules["artifact:publish"] == "role:publisher or rule:auditor"
    assert '# from the policy file only\n"auditor": "role:auditor"' in printed
    assert rules["artifact:deactivate"] == "rule:context_is_admin"
    assert rules["context_is_admin"] == "role:admin"
    assert "# Create an artifact" in printed


def test_plugins_lists_installed_plugins_and_types(tmp_path):
    printed = run("plugins", env={"GLARE_DATA_DIR": str(tmp_path)})
    assert "plugin glare_core.plugins.type_dispatch: builtin" in printed
    assert "type sample_artifact (Sample Artifact) from sample_artifact" in printed
    assert "type images (Images) from images" in printed


def test_scrubber_removes_delayed_deletes(start_server, tmp_path):
    import requests

    from tests.system.conftest import MEMBER

    env = {"GLARE_DELAYED_DELETE": "true"}
    data = tmp_path / "data"
    server = start_server(data, env=env)
    url = f"{server.url}/artifacts/sample_artifact"
    keep = requests.post(url, json={"name": "keep"}, headers=MEMBER, timeout=10).json()
    gone = requests.post(url, json={"name": "gone"}, headers=MEMBER, timeout=10).json()
    requests.put(f"{url}/{gone['id']}/blob", data=b"bytes", timeout=10,
                 headers={**MEMBER, "Content-Type": "text/plain"})
    assert requests.delete(f"{url}/{gone['id']}", headers=MEMBER, timeout=10).status_code == 204
    assert requests.get(f"{url}/{gone['id']}", headers=MEMBER, timeout=10).json()[
        "status"] == "deleted"
    blobs = data / "blobs"
    assert len([p for p in blobs.rglob("*") if p.is_file()]) == 1
    # Settings as options: the data folder on the command line, the rest in a config file.
    config = tmp_path / "scrubber.toml"
    config.write_text("delayed_delete = true\n")
    printed = run("--config", str(config), "--data-dir", str(data), command=SCRUBBER)
    assert printed.strip() == "scrubbed 1 artifact(s)"
    assert requests.get(f"{url}/{gone['id']}", headers=MEMBER, timeout=10).status_code == 404
    assert requests.get(f"{url}/{keep['id']}", headers=MEMBER, timeout=10).json()[
        "status"] == "drafted"
    assert [p for p in blobs.rglob("*") if p.is_file()] == []
