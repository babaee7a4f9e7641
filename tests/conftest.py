"""Shared fixtures: the test app serves the sample_artifact type (glare_core.testing
provides the app, client and factory fixtures)."""

from __future__ import annotations

from typing import Any

import glare_sample_artifact
import pytest

from glare_core.testing import GlareClient

SAMPLE = "sample_artifact"
SAMPLE_URL = f"/artifacts/{SAMPLE}"


@pytest.fixture
def glare_plugins() -> list[Any]:
    return [glare_sample_artifact]


@pytest.fixture
def user1(glare_client: GlareClient) -> GlareClient:
    """Member of project p1."""
    return glare_client


@pytest.fixture
def user2(glare_client: GlareClient) -> GlareClient:
    """Member of project p2."""
    return glare_client.as_user("p2")


@pytest.fixture
def admin(glare_client: GlareClient) -> GlareClient:
    """Admin, in project admin-project."""
    return glare_client.as_admin()


@pytest.fixture
def anonymous(glare_client: GlareClient) -> GlareClient:
    """No credentials at all."""
    return glare_client.as_user(None, roles=())
