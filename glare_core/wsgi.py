"""WSGI entry point for production servers: ``gunicorn 'glare_core.wsgi:app'``.

Settings come from ``GLARE_CONFIG_FILE`` and ``GLARE_*`` variables. The schema is brought
up to date (or checked, with ``GLARE_AUTO_MIGRATE=false``) before the app serves.
"""

from glare_core.app import create_app
from glare_core.data.migrations import ensure_schema

app = create_app()
ensure_schema(app)
