"""WSGI entry point for production servers: ``gunicorn 'glare_core.wsgi:app'``.

Settings come from ``GLARE_CONFIG_FILE`` and ``GLARE_*`` variables. The schema is brought
up to date (or checked, with ``GLARE_AUTO_MIGRATE=false``) before the app serves. Under
any gunicorn worker, the app gets gunicorn's services through the environ
(``server/edge.py``); other servers serve it as plain WSGI.
"""

from glare_core.app import create_app
from glare_core.data.migrations import ensure_schema
from glare_core.server.edge import WithGunicornEdge

app = create_app()
app.wsgi_app = WithGunicornEdge(app.wsgi_app)
ensure_schema(app)
