"""The DataAPI contract suite (glare_core.testing) against the SQL data API, on the core's
generic tables and on the images plugin's own tables."""

from __future__ import annotations

from typing import Any

import glare_images
import glare_sample_artifact
import pytest

from glare_core.testing import DataAPIContract


@pytest.fixture
def glare_plugins() -> list[Any]:
    return [glare_sample_artifact, glare_images]


class TestGenericTables(DataAPIContract):
    int_field = "int1"

    @pytest.fixture
    def data_api(self, glare_app):
        return glare_app.extensions["glare"].data_apis["sample_artifact"]

    @pytest.fixture
    def contract_type(self, glare_app):
        return glare_app.extensions["glare"].registry["sample_artifact"]


class TestImagesTables(DataAPIContract):
    int_field = "min_ram"

    @pytest.fixture
    def data_api(self, glare_app):
        return glare_app.extensions["glare"].data_apis["images"]

    @pytest.fixture
    def contract_type(self, glare_app):
        return glare_app.extensions["glare"].registry["images"]

    def test_images_live_in_their_own_tables(self, data_api, glare_app):
        generic = glare_app.extensions["glare"].data_apis["sample_artifact"]
        assert data_api is not generic
        assert data_api.layout.artifacts.name == "glare_images_artifacts"
