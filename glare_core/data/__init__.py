"""Metadata storage: the DataAPI interface and the default SQLAlchemy implementation."""
