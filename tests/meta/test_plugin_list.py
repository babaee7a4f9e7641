"""One list of in-repo plugins: requirements-plugins.txt names every plugin package in
glare_plugins/, and scripts/bootstrap (so scripts/serve and scripts/test) and tox both
install from it, so the two ways of running the suite test the same plugins."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PLUGIN_LIST = "requirements-plugins.txt"


def listed_plugins() -> set[str]:
    text = (REPO / PLUGIN_LIST).read_text()
    return set(re.findall(r"^-e \./(glare_plugins/[\w-]+)/?$", text, flags=re.MULTILINE))


def test_every_plugin_package_is_listed():
    packages = {str(path.parent.relative_to(REPO))
                for path in REPO.glob("glare_plugins/*/pyproject.toml")}
    assert packages
    assert listed_plugins() == packages


def test_bootstrap_and_tox_install_the_list():
    assert f"-r {PLUGIN_LIST}" in (REPO / "scripts" / "bootstrap").read_text()
    assert f"-r {PLUGIN_LIST}" in (REPO / "tox.ini").read_text()
