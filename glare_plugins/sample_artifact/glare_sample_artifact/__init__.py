"""The ``sample_artifact`` test type: registers itself through the ``glare.plugins`` entry point."""

from glare_core.plugin import hookimpl
from glare_sample_artifact.types import SampleArtifact


@hookimpl
def glare_register_artifact_types(app):
    return [SampleArtifact]
