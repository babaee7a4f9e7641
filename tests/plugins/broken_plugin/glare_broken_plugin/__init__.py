"""Fails at import time, like a plugin whose dependency is missing."""

import glare_dependency_that_does_not_exist  # noqa: F401
