"""Plugins installed for real with pip: discovery through the ``glare.plugins`` entry points,
type allowlists, and start-up errors that name a broken plugin.

Each case pip-installs a package into a private target folder and starts a fresh Python
process with that folder on its path, so the test environment itself is not changed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import pip_install

HERE = Path(__file__).parent
PROBE = textwrap.dedent(
    """
    import json, sys
    from glare_core.app import create_app
    from glare_core.errors import StartupError
    try:
        app = create_app(json.loads(sys.argv[1]))
    except StartupError as exc:
        print(json.dumps({"error": str(exc)}))
    else:
        state = app.extensions["glare"]
        plugins = {p.name: [p.distribution, p.version] for p in state.plugins}
        print(json.dumps({"types": sorted(state.registry), "plugins": plugins}))
    """
)


def start_probe(target: Path, settings: dict) -> dict:
    env = dict(os.environ, PYTHONPATH=str(target))
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(settings)],
        env=env, check=True, capture_output=True, text=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def installed(demo_plugin_site: Path) -> Path:
    return demo_plugin_site


def test_pip_installed_plugin_type_appears(installed: Path, tmp_path: Path) -> None:
    out = start_probe(installed, {"GLARE_DATA_DIR": str(tmp_path)})
    assert "demo_widgets" in out["types"]
    assert out["plugins"]["demo_widgets"] == ["glare-demo-widgets", "0.3.0"]


def test_type_allowlist_hides_other_types(installed: Path, tmp_path: Path) -> None:
    out = start_probe(installed, {"GLARE_DATA_DIR": str(tmp_path),
                                  "GLARE_ENABLED_TYPES": ["demo_widgets"]})
    assert out["types"] == ["demo_widgets"]


def test_unknown_enabled_type_stops_startup(installed: Path, tmp_path: Path) -> None:
    out = start_probe(installed, {"GLARE_DATA_DIR": str(tmp_path),
                                  "GLARE_ENABLED_TYPES": ["demo_widgets", "nope"]})
    assert "nope" in out["error"]
    assert "not provided by any installed plugin" in out["error"]


def test_disabled_plugin_is_not_loaded(installed: Path, tmp_path: Path) -> None:
    out = start_probe(installed, {"GLARE_DATA_DIR": str(tmp_path),
                                  "GLARE_DISABLED_PLUGINS": ["demo_widgets"]})
    assert "demo_widgets" not in out["types"]
    assert "demo_widgets" not in out["plugins"]


def test_broken_plugin_stops_startup_naming_it(tmp_path: Path) -> None:
    target = tmp_path / "site"
    pip_install(HERE / "broken_plugin", target)
    out = start_probe(target, {"GLARE_DATA_DIR": str(tmp_path / "data")})
    message = out["error"]
    assert "broken_plugin" in message
    assert "glare-broken-plugin 0.0.1" in message
    assert "glare_dependency_that_does_not_exist" in message
    assert "GLARE_DISABLED_PLUGINS=broken_plugin" in message
    # Following the advice works: the server starts without it.
    out = start_probe(target, {"GLARE_DATA_DIR": str(tmp_path / "data"),
                               "GLARE_DISABLED_PLUGINS": ["broken_plugin"]})
    assert "error" not in out
    assert "broken_plugin" not in out["plugins"]
