"""Fixtures of the plugin tests: the test app serves the shipped type plugins (heat, murano,
tosca and secrets, the last one enabled explicitly since it is off by default)."""

from __future__ import annotations

from typing import Any

import glare_heat
import glare_murano
import glare_secrets
import glare_tosca
import pytest

BUILTIN_TYPES = [
    "heat_templates", "heat_environments", "murano_packages", "tosca_templates", "secrets",
]


@pytest.fixture
def glare_plugins() -> list[Any]:
    return [glare_heat, glare_murano, glare_tosca, glare_secrets]


@pytest.fixture
def glare_settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Every shipped type enabled; a test may add settings by indirect parametrization."""
    return {"GLARE_ENABLED_TYPES": list(BUILTIN_TYPES), **getattr(request, "param", {})}
