"""Glare under gunicorn: the worker ``glare-api`` runs and what it offers the HTTP layer.

Everything that knows gunicorn's internals lives here. The HTTP layer (``glare_core.api``)
never imports this package: it asks for the server's services through the WSGI environ
(``api/server_edge.py``), and this package depends on it, not the other way round.
"""
