"""The shipped type plugins as real packages: ``pip install ./glare_plugins/<name>`` makes
their types appear in a fresh server process, and without the package the server still
starts and the types are absent.

The test venv has every in-repo plugin installed (editable, by scripts/bootstrap). To see a
server with and without one package, each probe process starts without ``site`` (``-S``)
and adds a copy of the venv's site-packages from which the shipped type plugins are
removed (symlinks of every other entry), plus, for the "installed" case, a folder the
package was pip-installed into.
"""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

from tests.conftest import REPO, pip_install

pytestmark = pytest.mark.slow

# package folder → (distribution, module, types served by default, types it provides)
PACKAGES = {
    "heat": ("glare-heat", "glare_heat", ["heat_environments", "heat_templates"],
             ["heat_environments", "heat_templates"]),
    "murano": ("glare-murano", "glare_murano", ["murano_packages"], ["murano_packages"]),
    "tosca": ("glare-tosca", "glare_tosca", ["tosca_templates"], ["tosca_templates"]),
    "secrets": ("glare-secrets", "glare_secrets", [], ["secrets"]),
}
SHIPPED_TYPES = {t for _, _, _, provided in PACKAGES.values() for t in provided}

PROBE = textwrap.dedent(
    """
    import json, site, sys
    for folder in sys.argv[2:]:
        site.addsitedir(folder)
    from glare_core.app import create_app
    from glare_core.errors import StartupError
    try:
        app = create_app(json.loads(sys.argv[1]))
    except StartupError as exc:
        print(json.dumps({"error": str(exc)}))
    else:
        state = app.extensions["glare"]
        plugins = {
            p.name: [p.distribution, p.version,
                     getattr(state.pm.get_plugin(p.name), "__file__", None)]
            for p in state.plugins
        }
        headers = {"X-Identity-Status": "Confirmed", "X-Project-Id": "p1",
                   "X-User-Id": "u1", "X-Roles": "member"}
        schemas = app.test_client().get("/schemas", headers=headers).get_json()["schemas"]
        print(json.dumps({"types": sorted(state.registry), "plugins": plugins,
                          "schemas": sorted(schemas)}))
    """
)


def probe(tmp_path: Path, settings: dict, *site_dirs: Path) -> dict:
    """Start a fresh process that sees only ``site_dirs`` and report what it serves."""
    result = subprocess.run(
        [sys.executable, "-S", "-c", PROBE,
         json.dumps({"GLARE_DATA_DIR": str(tmp_path / "data"), **settings}),
         *map(str, site_dirs)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def _is_shipped_plugin(entry: str) -> bool:
    for _, module, _, _ in PACKAGES.values():
        if entry == module or entry.startswith(
            (f"{module}-", f"__editable__.{module}-", f"__editable___{module}_")
        ):
            return True
    return False


@pytest.fixture(scope="module")
def site_without_plugins(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The venv's site-packages without the shipped type plugins (as if uninstalled)."""
    source = Path(sysconfig.get_paths()["purelib"])
    shadow = tmp_path_factory.mktemp("site-without-type-plugins")
    for entry in source.iterdir():
        if not _is_shipped_plugin(entry.name):
            (shadow / entry.name).symlink_to(entry)
    return shadow


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each package pip-installed (``--no-deps --target``) into a folder of its own."""
    targets = {}
    for name in PACKAGES:
        target = tmp_path_factory.mktemp(f"site-{name}")
        pip_install(REPO / "glare_plugins" / name, target)
        targets[name] = target
    return targets


def test_without_the_packages_the_server_starts_without_their_types(
    site_without_plugins, tmp_path
):
    out = probe(tmp_path, {}, site_without_plugins)
    assert "error" not in out
    assert SHIPPED_TYPES.isdisjoint(out["types"])
    assert SHIPPED_TYPES.isdisjoint(out["schemas"])
    assert "sample_artifact" in out["types"]  # the rest of the venv is there
    assert not {"heat", "murano", "tosca", "secrets"} & set(out["plugins"])


@pytest.mark.parametrize("name", PACKAGES)
def test_pip_installed_package_serves_its_types(name, installed, site_without_plugins,
                                                tmp_path):
    distribution, module, default_types, _ = PACKAGES[name]
    out = probe(tmp_path, {}, installed[name], site_without_plugins)
    assert "error" not in out
    served = SHIPPED_TYPES & set(out["types"])
    assert sorted(served) == default_types
    assert sorted(SHIPPED_TYPES & set(out["schemas"])) == default_types
    dist, version, path = out["plugins"][name]
    assert (dist, version) == (distribution, "1.0.0")
    # Loaded from the pip-installed copy, not from the source tree.
    assert Path(path).resolve() == (installed[name] / module / "__init__.py").resolve()


@pytest.mark.parametrize("name", PACKAGES)
def test_enabling_the_types_of_an_installed_package(name, installed, site_without_plugins,
                                                    tmp_path):
    _, _, _, provided = PACKAGES[name]
    out = probe(tmp_path, {"GLARE_ENABLED_TYPES": provided}, installed[name],
                site_without_plugins)
    assert out["types"] == provided
    assert out["schemas"] == sorted(["all", *provided])


@pytest.mark.parametrize("name", PACKAGES)
def test_enabling_the_types_of_a_missing_package_stops_startup(name, site_without_plugins,
                                                               tmp_path):
    _, _, _, provided = PACKAGES[name]
    out = probe(tmp_path, {"GLARE_ENABLED_TYPES": provided}, site_without_plugins)
    assert "not provided by any installed plugin" in out["error"]
    for type_name in provided:
        assert type_name in out["error"]


def test_all_packages_together(installed, site_without_plugins, tmp_path):
    out = probe(tmp_path, {}, *installed.values(), site_without_plugins)
    assert SHIPPED_TYPES & set(out["types"]) == SHIPPED_TYPES - {"secrets"}
    out = probe(tmp_path, {"GLARE_ENABLED_TYPES": sorted(SHIPPED_TYPES)},
                *installed.values(), site_without_plugins)
    assert out["types"] == sorted(SHIPPED_TYPES)


def test_disabling_an_installed_plugin(installed, site_without_plugins, tmp_path):
    out = probe(tmp_path, {"GLARE_DISABLED_PLUGINS": ["heat"]}, installed["heat"],
                site_without_plugins)
    assert "heat" not in out["plugins"]
    assert SHIPPED_TYPES.isdisjoint(out["types"])
