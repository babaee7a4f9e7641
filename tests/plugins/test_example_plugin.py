"""The example third-party plugin (examples/glare-python-wheels), installed for real.

The package is pip-installed into a private folder, then its own test suite runs in a
fresh pytest process that sees that folder on PYTHONPATH and gets its fixtures only from
the ``glare`` pytest11 entry point of the installed glare-core (plugin autoloading off,
``-p glare``). The process runs in the example's folder with the example's own
configuration, so this repository's tests/conftest.py plays no part. A second fresh
process checks that a server started with that PYTHONPATH serves the type.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import REPO, pip_install

pytestmark = pytest.mark.slow

EXAMPLE = REPO / "examples" / "glare-python-wheels"
PROBE = textwrap.dedent(
    """
    import json, sys
    from glare_core.app import create_app
    app = create_app({"GLARE_DATA_DIR": sys.argv[1]})
    state = app.extensions["glare"]
    plugins = {p.name: [p.distribution, p.version] for p in state.plugins}
    headers = {"X-Identity-Status": "Confirmed", "X-Project-Id": "p1", "X-User-Id": "u1",
               "X-Roles": "member"}
    response = app.test_client().get("/schemas/python_wheels", headers=headers)
    schema = response.get_json()["schemas"]["python_wheels"]
    print(json.dumps({
        "types": sorted(state.registry),
        "plugins": plugins,
        "module": state.pm.get_plugin("python_wheels").__file__,
        "status": response.status_code,
        "display_name": schema["display_name"],
        "fields": sorted(n for n, p in schema["properties"].items() if p.get("readOnly")),
    }))
    """
)


@pytest.fixture(scope="module")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the pip-installed example plugin.

    pip builds from a copy: a build leaves build/ and *.egg-info next to the sources.
    """
    source = tmp_path_factory.mktemp("wheels-source") / "glare-python-wheels"
    shutil.copytree(EXAMPLE, source,
                    ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    target = tmp_path_factory.mktemp("wheels-site")
    pip_install(source, target)
    return target


def isolated_env(site: Path) -> dict[str, str]:
    """This process's environment without pytest's own variables, plus the plugin folder."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    env["PYTHONPATH"] = str(site)
    return env


def run_example_tests(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """pytest on the example's tests, in the example's folder, with its own configuration."""
    env = dict(isolated_env(site), PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    return subprocess.run(
        [sys.executable, "-m", "pytest", str(EXAMPLE / "tests"), "-q", "-p", "no:cacheprovider",
         "-p", "glare", "--rootdir", str(EXAMPLE), "-c", str(EXAMPLE / "pyproject.toml"),
         *args],
        cwd=EXAMPLE, env=env, capture_output=True, text=True, timeout=600,
    )


def test_example_test_suite_passes_against_the_installed_package(example_site: Path) -> None:
    collected = run_example_tests(example_site, "--collect-only")
    assert collected.returncode == 0, collected.stdout + collected.stderr
    items = [line for line in collected.stdout.splitlines() if "::" in line]
    assert all(line.startswith("tests/test_python_wheels.py::") for line in items), items
    assert len(items) >= 18

    result = run_example_tests(example_site)

    assert result.returncode == 0, result.stdout + result.stderr
    summary = result.stdout.strip().splitlines()[-1]
    # Every collected test passed: no failure, error or skip.
    assert re.fullmatch(rf"{len(items)} passed in [\d.]+s( \([\d:]+\))?", summary), (
        result.stdout)


def test_fresh_process_serves_the_installed_type(example_site: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path / "data")],
        env=isolated_env(example_site), check=True, capture_output=True, text=True,
        timeout=300,
    )
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert "python_wheels" in out["types"]
    assert out["plugins"]["python_wheels"] == ["glare-python-wheels", "0.1.0"]
    assert Path(out["module"]).is_relative_to(example_site)
    assert (out["status"], out["display_name"]) == (200, "Python Wheels")
    assert out["fields"] == sorted(
        ["summary", "requires_python", "requires_dist", "license", "platform_tag",
         "id", "owner", "created_at", "updated_at", "activated_at", "display_type_name"])
