"""``create_app``: the application factory. It only wires parts together, in this order:

1. settings (defaults < config file < ``GLARE_*`` environment < ``config`` argument);
2. the database and Flask-Migrate;
3. the plugin manager (builtins, ``plugins`` argument, ``glare.plugins`` entry points);
4. the type registry and the policy;
5. one DataAPI per type, the engine, the JSON-Schemas;
6. routes (flask-smorest), error handlers, request plumbing;
7. the ``glare_startup`` hook.

Nothing is created at import time; every app has its own plugin manager and state.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import swagger_ui_bundle
from flask import Flask

from glare_core import __version__
from glare_core.api import artifacts, blobs, cors, docs, meta, quotas, schemas, transport
from glare_core.api.errors import register_error_handlers
from glare_core.api.fault import FaultWrapper
from glare_core.api.openapi_components import GlareApi, register_components
from glare_core.api.routing import GlareFlask
from glare_core.api.unread_body import CloseAfterUnreadBody
from glare_core.assembly import build_engine
from glare_core.auth.keystone import wrap_with_auth_token
from glare_core.auth.policy import Policy, load_policy_file
from glare_core.blobs.registry import StoreRegistry
from glare_core.config import ORIGINS_KEY, load_settings
from glare_core.data.database import Database, UnusableDatabaseURL
from glare_core.data.migrations import migrate, migrations_directory
from glare_core.data.sql.store import SqlDataAPI
from glare_core.errors import StartupError
from glare_core.folders import check_folder
from glare_core.plugins.manager import make_plugin_manager
from glare_core.plugins.runner import HookRunner
from glare_core.state import EXTENSION_KEY, GlareState
from glare_core.types.jsonschema import type_schema
from glare_core.types.registry import TypeRegistry

OPENAPI_SETTINGS = {
    "API_TITLE": "Glare artifact repository",
    "API_VERSION": __version__,
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/-/api",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "/docs",
    # Relative to /-/api/docs: the assets below, served by the app itself (no CDN, so the
    # UI works on machines without internet access and behind a path prefix).
    "OPENAPI_SWAGGER_UI_URL": "swagger-ui/",
}
SWAGGER_UI_ASSETS_URL = "/-/api/swagger-ui"


def create_app(
    config: Mapping[str, Any] | None = None,
    *,
    config_file: str | os.PathLike[str] | None = None,
    plugins: Iterable[Any] = (),
    autoload: bool | None = None,
    origins: Mapping[str, str] | None = None,
) -> Flask:
    """Build a Glare application. It creates no folder (see ``glare_core.folders``).

    :param config: settings that win over every other source (``GLARE_*`` keys).
    :param config_file: a TOML config file (default: ``$GLARE_CONFIG_FILE``).
    :param plugins: plugin objects to register in addition to the entry points.
    :param autoload: override ``GLARE_PLUGINS_AUTOLOAD`` (False in most tests).
    :param origins: how errors name the ``config`` keys (``{"GLARE_PORT": "--port"}``).
    """
    settings = load_settings(config_file, overrides=config, origins=origins)
    # The only static files are the Swagger UI's (from the swagger-ui-bundle package).
    app = GlareFlask("glare_core", static_folder=str(swagger_ui_bundle.swagger_ui_path),
                     static_url_path=SWAGGER_UI_ASSETS_URL)
    app.config.update(OPENAPI_SETTINGS)
    app.config.update(settings)
    app.config[ORIGINS_KEY] = settings.origins
    logging.getLogger("glare").setLevel(settings["GLARE_LOG_LEVEL"].upper())
    for folder in ("GLARE_DATA_DIR", "GLARE_BLOB_DIR"):
        check_folder(Path(settings[folder]), settings.origin(folder))

    try:
        database = Database(settings["GLARE_DATABASE_URL"])
    except UnusableDatabaseURL as exc:
        raise StartupError(f"{settings.origin('GLARE_DATABASE_URL')}: {exc}") from None
    migrate.init_app(app, database, directory=migrations_directory())

    pm, plugin_infos = make_plugin_manager(
        plugins=plugins,
        autoload=settings["GLARE_PLUGINS_AUTOLOAD"] if autoload is None else autoload,
        enabled=settings["GLARE_ENABLED_PLUGINS"],
        disabled=settings["GLARE_DISABLED_PLUGINS"],
    )
    hooks = HookRunner(pm)
    offered = _offered_types(hooks, app)
    registry = TypeRegistry.build(
        offered, enabled=settings["GLARE_ENABLED_TYPES"], type_config=settings["GLARE_TYPES"]
    )
    policy = _build_policy(hooks, app, settings.get("GLARE_POLICY_FILE"))

    state = GlareState(
        database=database,
        pm=pm,
        hooks=hooks,
        plugins=plugin_infos,
        registry=registry,
        policy=policy,
        default_data_api=SqlDataAPI(database, registry),
        type_plugins={type_cls.name: plugin for plugin, type_cls in offered},
    )
    app.extensions[EXTENSION_KEY] = state
    for name, artifact_type in registry.items():
        data_api = hooks.first("glare_get_data_api", artifact_type=artifact_type, app=app)
        if data_api is None:
            raise StartupError(f"No data API for artifact type '{name}'")
        data_api.check_types((name,))
        state.data_apis[name] = data_api
    state.stores = StoreRegistry(
        store for stores in hooks.all("glare_register_blob_stores", app=app) for store in stores
    )
    choose_store = _store_chooser(hooks, app, state.stores)
    for artifact_type in registry.values():  # an unknown store stops the start-up here
        for field_name in artifact_type.blob_fields:
            choose_store(artifact_type, field_name)
    state.schemas = {name: type_schema(t) for name, t in registry.items()}
    state.schemas["all"] = type_schema(registry.all_type)
    state.engine = build_engine(
        settings, database=database, registry=registry, data_apis=state.data_apis,
        policy=policy, hooks=hooks, stores=state.stores, choose_store=choose_store,
        plugins=plugin_infos, type_plugins=state.type_plugins, schemas=state.schemas,
    )

    api = GlareApi(app)
    register_components(api, registry, auth_strategy=settings["GLARE_AUTH_STRATEGY"],
                             allow_anonymous=settings["GLARE_ALLOW_ANONYMOUS"])
    for blueprint in (meta.blp, schemas.blp, artifacts.blp, blobs.blp, quotas.blp):
        api.register_blueprint(blueprint)
    docs.finish_paths(api, registry)
    register_error_handlers(app)
    transport.install(app)
    cors.install(app, settings["GLARE_CORS_ORIGINS"])
    if settings["GLARE_AUTH_STRATEGY"] == "keystone":
        app.wsgi_app = wrap_with_auth_token(app.wsgi_app, settings["GLARE_KEYSTONE"])
    app.wsgi_app = CloseAfterUnreadBody(FaultWrapper(app.wsgi_app))
    hooks.all("glare_startup", app=app)
    return app


def _offered_types(hooks: HookRunner, app: Flask) -> list[tuple[str, Any]]:
    """(plugin name, type class) for every type every plugin registers."""
    return [(plugin_name, type_cls)
            for plugin_name, types in hooks.collect(
                "glare_register_artifact_types", app=app)
            for type_cls in types or ()]


def _store_chooser(hooks: HookRunner, app: Flask, stores: StoreRegistry) -> Any:
    def choose(artifact_type: Any, field_name: str) -> Any:
        name = hooks.first("glare_choose_blob_store", artifact_type=artifact_type,
                           field_name=field_name, app=app)
        return stores.named(name)

    return choose


def _build_policy(hooks: HookRunner, app: Flask, policy_file: str | None) -> Policy:
    extra: dict[str, str] = {}
    for rules in hooks.all("glare_register_policy_rules", app=app):
        extra.update(rules or {})
    overrides = load_policy_file(policy_file) if policy_file else {}
    return Policy(overrides=overrides, extra_defaults=extra)
