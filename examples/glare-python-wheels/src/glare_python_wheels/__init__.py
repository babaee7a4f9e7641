"""Glare plugin ``python_wheels``: a type for Python wheels.

Registered through the ``glare.plugins`` entry point of this distribution; imports only
``glare_core.plugin``, Glare's public plugin API.
"""

from glare_core.plugin import PLUGIN_API_VERSION, hookimpl
from glare_python_wheels.types import PythonWheel

__version__ = "0.1.0"
SUPPORTED_API_MAJOR = 1
MINIMUM_API_MINOR = 2  # pre_update's ``planned``

_major, _minor = (int(part) for part in PLUGIN_API_VERSION.split(".")[:2])
if _major != SUPPORTED_API_MAJOR or _minor < MINIMUM_API_MINOR:
    raise ImportError(
        f"glare-python-wheels supports the Glare plugin API "
        f"{SUPPORTED_API_MAJOR}.{MINIMUM_API_MINOR} and later 1.x, "
        f"this Glare has {PLUGIN_API_VERSION}"
    )


@hookimpl
def glare_register_artifact_types(app):
    return [PythonWheel]
