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
    assert "glare_core: none -> 0004 (applied 0001, 0002, 0003, 0004)" in upgraded
    # a plugin's history too
    assert "images: none -> images_0002 (applied images_0001, images_0002)" in upgraded
    current = run("db", "current", env=env)
    assert "glare_core: database ['0004'], latest ['0004'] (up to date)" in current
    assert "needs upgrade" not in current


def test_upgrade_and_downgrade_say_what_they_applied(tmp_path):
    env = {"GLARE_DATA_DIR": str(tmp_path)}
    assert run("db", "upgrade", "0002", env=env).splitlines()[0] == (
        "glare_core: none -> 0002 (applied 0001, 0002)")
    printed = run("db", "upgrade", env=env)
    assert "glare_core: 0002 -> 0004 (applied 0003, 0004)" in printed
    assert "images: already at the latest revision images_0002" in printed
    assert run("db", "upgrade", env=env).splitlines() == [
        "glare_core: already at the latest revision 0004",
        "images: already at the latest revision images_0002"]
    assert run("db", "downgrade", env=env).splitlines()[0] == (
        "glare_core: 0004 -> 0003 (reverted 0004)")
    assert run("db", "downgrade", "base", env=env).splitlines()[0] == (
        "glare_core: 0003 -> none (reverted 0003, 0002, 0001)")


def test_settings_options_may_follow_the_subcommand(tmp_path):
    """``glare-manage db current --data-dir D`` is ``glare-manage --data-dir D db current``;
    given twice, the last one counts."""
    chosen, other = tmp_path / "chosen", tmp_path / "other"
    assert "applied 0001" in run("db", "upgrade", "--data-dir", str(chosen))
    assert (chosen / "glare.db").exists()
    assert "(up to date)" in run("db", "current", "--data-dir", str(chosen))
    assert "(up to date)" in run("--data-dir", str(other), "db", "current",
                                 "--data-dir", str(chosen))
    config = tmp_path / "glare.toml"
    config.write_text(f'data_dir = "{chosen}"\n')
    assert "(up to date)" in run("db", "current", "--config", str(config))
    assert "scrubbed 0 artifact(s)" in run("scrub", "--data-dir", str(chosen))
    assert not other.exists()


def test_help_shows_glare_options_only_and_builds_nothing(tmp_path):
    """No Flask options or commands (--app, --debug, run, shell...); and asking for help
    loads no app, so it creates no folder and needs no valid settings."""
    untouched = tmp_path / "untouched"
    printed = run("--data-dir", str(untouched), "--help", env={"GLARE_PORT": "x"})
    for flask_only in ("--app", "--debug", "--env-file", " run ", " shell ", " routes "):
        assert flask_only not in printed
    for command in ("db", "scrub", "policy", "plugins", "openapi"):
        assert f"  {command} " in printed
    assert "--data-dir" in run("db", "upgrade", "--help")
    assert not untouched.exists()


def test_data_dir_option_picks_the_database(tmp_path):
    """``--data-dir`` works as for glare-api; it wins over GLARE_DATA_DIR."""
    chosen, other = tmp_path / "chosen", tmp_path / "other"
    upgraded = run("--data-dir", str(chosen), "db", "upgrade",
                   env={"GLARE_DATA_DIR": str(other)})
    assert "(applied 0001, 0002, 0003, 0004)" in upgraded
    assert (chosen / "glare.db").exists()
    assert not (other / "glare.db").exists()
    assert "needs upgrade" not in run("--data-dir", str(chosen), "db", "current")


def test_db_current_on_a_folder_without_a_database_says_so(tmp_path):
    empty = tmp_path / "typo"
    result = subprocess.run([str(MANAGE), "--data-dir", str(empty), "db", "current"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert f"There is no database at {empty / 'glare.db'}" in result.stderr
    assert not empty.exists()  # a command that fails creates nothing (no blobs folder)


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


def test_reading_a_postgresql_database_creates_no_folder(postgres_schema, tmp_path):
    """With the database elsewhere, a command that only reads needs no data folder and
    creates none; the migrated schema is reported."""
    folder = tmp_path / "never-made"
    printed = run("db", "current", "--data-dir", str(folder),
                  env={"GLARE_DATABASE_URL": postgres_schema})
    assert "glare_core: database ['0004'], latest ['0004'] (up to date)" in printed
    assert not folder.exists()
