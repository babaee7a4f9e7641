"""Fixtures shared by the API tests (plain helpers are in tests/api/helpers.py).

``glare_settings`` here replaces the plugin's default for every module in tests/api; a module
or class may still override it (or just ``extra_settings``).
"""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(params=["file", "database"])
def store_name(request: pytest.FixtureRequest) -> str:
    """The default blob store under test (§31 #148). A module whose every test runs once per
    store says so with ``pytestmark = pytest.mark.usefixtures("store_name")``."""
    return request.param


@pytest.fixture
def extra_settings() -> dict[str, Any]:
    """Settings a module or test class adds to the test app."""
    return {}


@pytest.fixture
def glare_settings(request: pytest.FixtureRequest,
                   extra_settings: dict[str, Any]) -> dict[str, Any]:
    """The store under test (when the test uses ``store_name``), then ``extra_settings``,
    then any settings a test passes with indirect parametrization."""
    settings: dict[str, Any] = {}
    if "store_name" in request.fixturenames:
        settings["GLARE_DEFAULT_STORE"] = request.getfixturevalue("store_name")
    settings.update(extra_settings)
    settings.update(getattr(request, "param", {}))
    return settings


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def glare_database_url(request: pytest.FixtureRequest) -> str | None:
    """Every API test runs on SQLite (a fresh file per test) and on the session's real
    PostgreSQL (tables emptied before each test)."""
    if request.param == "sqlite":
        return None
    return request.getfixturevalue("postgres_url")
