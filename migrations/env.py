"""Alembic environment: runs migrations on the Glare application's own database engine.

Flask-Migrate calls this with the application context pushed; the engine and the core
table metadata come from ``app.extensions["migrate"].db`` (a ``glare_core`` Database).
"""

import logging

from alembic import context
from flask import current_app

log = logging.getLogger("alembic.env")
config = context.config
database = current_app.extensions["migrate"].db
target_metadata = database.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=str(database.engine.url),
        target_metadata=target_metadata,
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
        context.configure(connection=connection, target_metadata=target_metadata, **options)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
