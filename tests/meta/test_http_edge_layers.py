"""The HTTP layer's boundaries (issue 19: HTTP at the edge).

``glare_core/api/`` speaks WSGI and calls the engine: it imports neither the blob stores
nor the data layer, nor gunicorn or the server package, which offers its services
through the environ (``api/server_edge.py``). ``glare_core/server/`` holds everything
that knows gunicorn. Modules of both stay small enough to read.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "glare_core"
MAX_LINES = 400
#: What ``glare_core.api`` may not import, by module prefix.
FORBIDDEN_IN_API = ("glare_core.blobs", "glare_core.data", "glare_core.server", "gunicorn")
#: The worker's former path, kept for gunicorn configs that name it.
ALIASES = {"gunicorn_worker.py"}


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, at any level of its code."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def modules(package: str) -> list[Path]:
    return sorted((PACKAGE / package).glob("*.py"))


@pytest.mark.parametrize("path", [p for p in modules("api") if p.name not in ALIASES],
                         ids=lambda p: p.name)
def test_the_http_layer_imports_no_store_data_or_server_module(path: Path) -> None:
    wrong = sorted(name for name in imported_modules(path)
                   if name.startswith(FORBIDDEN_IN_API))
    assert wrong == []


@pytest.mark.parametrize("path", modules("api") + modules("server"),
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_http_modules_stay_small(path: Path) -> None:
    assert len(path.read_text().splitlines()) <= MAX_LINES
