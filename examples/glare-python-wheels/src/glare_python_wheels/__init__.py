"""Glare plugin ``python_wheels``: a type for Python wheels.

Registered through the ``glare.plugins`` entry point of this distribution; imports only
``glare_core.plugin``, Glare's public plugin API.
"""

from glare_core.plugin import PLUGIN_API_VERSION, hookimpl
from glare_python_wheels.types import PythonWheel

__version__ = "0.1.0"
SUPPORTED_API_MAJOR = 1

if int(PLUGIN_API_VERSION.split(".")[0]) != SUPPORTED_API_MAJOR:
    raise ImportError(
        f"glare-python-wheels supports the Glare plugin API {SUPPORTED_API_MAJOR}.x, "
        f"this Glare has {PLUGIN_API_VERSION}"
    )


@hookimpl
def glare_register_artifact_types(app):
    return [PythonWheel]
