"""``GlareState``: everything ``create_app`` wires together, kept in ``app.extensions``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pluggy

from glare_core.auth.policy import Policy
from glare_core.blobs.registry import StoreRegistry
from glare_core.data.api import DataAPI
from glare_core.data.database import Database
from glare_core.engine.services import Engine
from glare_core.plugins.manager import PluginInfo
from glare_core.plugins.runner import HookRunner
from glare_core.types.registry import TypeRegistry

EXTENSION_KEY = "glare"


@dataclass
class GlareState:
    database: Database
    pm: pluggy.PluginManager
    hooks: HookRunner
    plugins: list[PluginInfo]
    registry: TypeRegistry
    policy: Policy
    default_data_api: DataAPI
    type_plugins: dict[str, str] = field(default_factory=dict)
    data_apis: dict[str, DataAPI] = field(default_factory=dict)
    schemas: dict[str, Any] = field(default_factory=dict)
    stores: StoreRegistry = field(init=False)
    engine: Engine = field(init=False)
