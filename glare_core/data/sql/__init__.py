"""The default DataAPI: artifacts in SQL (SQLite or PostgreSQL) through SQLAlchemy Core."""
