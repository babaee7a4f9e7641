"""Alembic environment: runs migrations on the Glare application's own database engine.

It runs with the application context pushed (by glare_core.data.migrations or by
Flask-Migrate); the engine and the core table metadata come from
``app.extensions["migrate"].db``. The same environment runs plugins' histories: their
versions folder and version table come from the Alembic config's attributes.
"""

import logging
from typing import Any

from alembic import context
from flask import current_app

from glare_core.data.sql.layout_ddl import schema_filter

log = logging.getLogger("alembic.env")
config = context.config
database = current_app.extensions["migrate"].db
version_table = config.attributes.get("version_table", "alembic_version")
# Autogenerate compares with the core tables only; plugins write their scripts themselves.
target_metadata = database.metadata if config.attributes.get("core", True) else None


def include_object(obj: Any, name: str | None, type_: str, reflected: bool,
                   compare_to: Any) -> bool:
    """Autogenerate leaves alone the tables of other owners found in the database (the
    plugins', the database blob store's): it would otherwise propose dropping them; and
    indexes that exist on some databases only (schema_filter)."""
    if type_ == "index":
        return schema_filter(database.engine.dialect.name)(
            obj, name, type_, reflected, compare_to)
    return not (type_ == "table" and reflected and compare_to is None)


def run_migrations_offline() -> None:
    context.configure(
        url=str(database.engine.url),
        target_metadata=target_metadata,
        include_object=include_object,
        version_table=version_table,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    options = dict(current_app.extensions["migrate"].configure_args)
    with database.engine.connect() as connection:
        # SQLite cannot ALTER most things in place; batch mode copies tables instead.
        options["render_as_batch"] = connection.dialect.name == "sqlite"
        options["version_table"] = version_table
        options.setdefault("include_object", include_object)
        context.configure(connection=connection, target_metadata=target_metadata, **options)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
