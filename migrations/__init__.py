"""Alembic scripts of the Glare core tables (installed as the package glare_migrations)."""
