"""Glare core: the generic artifact repository service (plugin host, API, engine)."""

__version__ = "0.1.0"
