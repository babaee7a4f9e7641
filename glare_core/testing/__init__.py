"""Pytest plugin ``glare`` (entry point ``pytest11``): fixtures for testing Glare and plugins.

Fixtures (fixtures.py):

* ``glare_plugins`` — plugin objects for the test app (override it in a conftest);
* ``glare_database_url`` — None (the default: SQLite) or the URL of a database, e.g. a
  PostgreSQL one, to run the tests on (override it in a conftest);
* ``glare_config`` — settings of the test app (a fresh data folder and database);
* ``glare_app`` — an app built with autoload off and ``glare_plugins`` registered;
* ``glare_client`` — a ``GlareClient`` acting as a member of project ``p1`` (client.py);
* ``make_artifact`` — create artifacts through the API (``make_artifact("t", name=...)``).

Test classes to subclass: ``DataAPIContract`` (contract.py), the tests every DataAPI must
pass; ``PluginMigrationsContract`` (migrations.py), a plugin's migrations create exactly
its tables (``assert_migrations_match`` is the same check as a function).

Every name is importable from ``glare_core.testing``; pytest finds the fixtures here.
"""

from glare_core.testing.client import JSON_PATCH, GlareClient, replace_op
from glare_core.testing.contract import DataAPIContract, contract_values
from glare_core.testing.fixtures import (  # pytest finds the plugin's fixtures here
    _glare_migrated_urls,  # noqa: F401 (a fixture the others use)
    _glare_templates,  # noqa: F401 (a fixture the others use)
    glare_app,
    glare_client,
    glare_config,
    glare_database_url,
    glare_plugins,
    glare_settings,
    glare_template_db,
    make_artifact,
)
from glare_core.testing.migrations import (
    PluginMigrationsContract,
    assert_migrations_match,
    migration_differences,
)

__all__ = [
    "JSON_PATCH",
    "DataAPIContract",
    "GlareClient",
    "PluginMigrationsContract",
    "assert_migrations_match",
    "contract_values",
    "glare_app",
    "glare_client",
    "glare_config",
    "glare_database_url",
    "glare_plugins",
    "glare_settings",
    "glare_template_db",
    "make_artifact",
    "migration_differences",
    "replace_op",
]
