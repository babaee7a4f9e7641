"""The ``images`` artifact type: registered through the ``glare.plugins`` entry point."""

from pathlib import Path

from glare_core.plugin import hookimpl
from glare_images.types import Image

MIGRATIONS = Path(__file__).parent / "migrations" / "versions"


@hookimpl
def glare_register_artifact_types(app):
    return [Image]


@hookimpl
def glare_migration_locations(app):
    return [("images", str(MIGRATIONS))]
