"""The house's layering, checked on every import in ``glare_core`` (including imports inside
functions and ``TYPE_CHECKING`` blocks): a module that reaches across a wall fails here with
the import named. Also no ``glare_core`` module grows past 400 lines.

    api/     HTTP only: no blob stores, no storage (it talks to the engine)
    server/  the gunicorn specifics (api/ never imports it)
    engine/  the operations: no SQL, no HTTP, no server
    blobs/   blob stores: no storage of metadata, no engine, no HTTP
    data/    metadata storage and the engine's ports: no engine, no api, no blob stores
    types/   artifact types and fields: no storage, no blob stores, no engine, no HTTP
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import glare_core

PACKAGE = Path(glare_core.__file__).parent
MAX_LINES = 400
HTTP = ("flask", "flask_smorest", "werkzeug", "gunicorn")

#: package → import prefixes its modules must not use.
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "api": ("glare_core.blobs", "glare_core.data", "glare_core.server", "gunicorn",
            "sqlalchemy"),
    "engine": ("sqlalchemy", "glare_core.data.sql", "glare_core.data.database",
               "glare_core.api", "glare_core.server", "glare_core.app",
               "glare_core.assembly", *HTTP),
    "blobs": ("glare_core.data", "glare_core.engine", "glare_core.api", "glare_core.server",
              *HTTP),
    # (Flask-Migrate's commands take the Flask app: data/migrations.py names it.)
    "data": ("glare_core.engine", "glare_core.api", "glare_core.blobs", "glare_core.server",
             "werkzeug", "gunicorn"),
    "types": ("glare_core.data", "glare_core.blobs", "glare_core.engine", "glare_core.api",
              "glare_core.server", *HTTP),
}


#: Crossings allowed on purpose, each with its reason.
ALLOWED = {
    # The worker's class path before it moved to server/: production configurations
    # name it (``gunicorn -k glare_core.api.gunicorn_worker.GlareWorker``), so the old
    # path stays an alias. Nothing in api/ uses it.
    ("api/gunicorn_worker.py", "glare_core.server.worker"),
    ("api/gunicorn_worker.py", "glare_core.server.worker.GlareWorker"),
}


def modules() -> list[Path]:
    return sorted(path for path in PACKAGE.rglob("*.py") if "__pycache__" not in path.parts)


def imported_names(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every absolute import in the file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            # ``from glare_core import data`` names the package in the alias
            found.extend((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)
    return found


def layer_of(path: Path) -> str | None:
    parts = path.relative_to(PACKAGE).parts
    return parts[0] if len(parts) > 1 else None


def reaches(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def test_the_layers_are_known() -> None:
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert set(FORBIDDEN) <= packages


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_no_import_crosses_a_wall(layer: str) -> None:
    crossings = [
        f"{path.relative_to(PACKAGE.parent)}:{line} imports {module}"
        for path in modules() if layer_of(path) == layer
        for line, module in imported_names(path)
        if any(reaches(module, prefix) for prefix in FORBIDDEN[layer])
        and (path.relative_to(PACKAGE).as_posix(), module) not in ALLOWED
    ]
    assert crossings == [], "\n".join(crossings)


def test_no_module_is_longer_than_the_limit() -> None:
    long = [f"{path.relative_to(PACKAGE.parent)}: {n} lines" for path in modules()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES]
    assert long == [], "\n".join(long)


def test_the_checker_sees_a_crossing(tmp_path: Path) -> None:
    """The walk finds imports at any depth, ``from`` forms included."""
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from glare_core import data\n    import sqlalchemy.orm\n")
    names = [module for _, module in imported_names(sample)]
    assert any(reaches(n, "glare_core.data") for n in names)
    assert any(reaches(n, "sqlalchemy") for n in names)
