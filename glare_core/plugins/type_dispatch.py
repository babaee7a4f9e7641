"""Builtin plugin: forward lifecycle hooks to the artifact type's own hook methods.

Type authors write plain methods (``pre_activate`` ...) on their ``ArtifactType``; this
plugin runs them first (``tryfirst``) whenever the engine calls the global hooks, so there
is one call path for per-type and cross-cutting behaviour.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any

from glare_core.plugins.hookspecs import hookimpl


@functools.cache
def _parameters(method: Any) -> frozenset[str] | None:
    """The keyword parameters ``method`` takes (None: any, it has ``**kwargs``); computed
    once per method, not on every call."""
    parameters = inspect.signature(method).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return None
    return frozenset(parameters)


def _accepted(method: Any, arguments: dict[str, Any]) -> dict[str, Any]:
    """The arguments ``method`` accepts: a type written for an older plugin API may not
    take the arguments added since (``planned`` of ``pre_update``, plugin API 1.2)."""
    accepted = _parameters(method)
    if accepted is None:
        return arguments
    return {name: value for name, value in arguments.items() if name in accepted}


@hookimpl(tryfirst=True)
def glare_artifact_pre_create(artifact_type: Any, artifact: dict, changes: dict, context: Any):
    artifact_type.pre_create(artifact=artifact, changes=changes, context=context)


@hookimpl(tryfirst=True)
def glare_artifact_post_create(artifact_type: Any, artifact: dict, context: Any):
    artifact_type.post_create(artifact=artifact, context=context)


@hookimpl(tryfirst=True)
def glare_artifact_pre_update(
    artifact_type: Any, artifact: dict, changes: dict, planned: dict, patch: list, context: Any
):
    artifact_type.pre_update(**_accepted(type(artifact_type).pre_update, dict(
        artifact=artifact, changes=changes, planned=planned, patch=patch, context=context)))


@hookimpl(tryfirst=True)
def glare_artifact_post_update(artifact_type: Any, artifact: dict, context: Any):
    artifact_type.post_update(artifact=artifact, context=context)


@hookimpl(tryfirst=True)
def glare_artifact_pre_activate(artifact_type: Any, artifact: dict, changes: dict, context: Any):
    artifact_type.pre_activate(artifact=artifact, changes=changes, context=context)


@hookimpl(tryfirst=True)
def glare_artifact_post_activate(artifact_type: Any, artifact: dict, context: Any):
    artifact_type.post_activate(artifact=artifact, context=context)


@hookimpl(tryfirst=True)
def glare_artifact_pre_deactivate(
    artifact_type: Any, artifact: dict, changes: dict, context: Any
):
    artifact_type.pre_deactivate(artifact=artifact, changes=changes, context=context)


@hookimpl(tryfirst=True)
def glare_artifact_post_deactivate(artifact_type: Any, artifact: dict, context: Any):
    artifact_type.post_deactivate(artifact=artifact, context=context)


@hookimpl(tryfirst=True)
def glare_artifact_pre_reactivate(
    artifact_type: Any, artifact: dict, changes: dict, context: Any
):
    artifact_type.pre_reactivate(artifact=artifact, changes=changes, context=context)


@hookimpl(tryfirst=True)
def glare_artifact_post_reactivate(artifact_type: Any, artifact: dict, context: Any):
    artifact_type.post_reactivate(artifact=artifact, context=context)


@hookimpl(tryfirst=True)
def glare_artifact_pre_publish(artifact_type: Any, artifact: dict, changes: dict, context: Any):
    artifact_type.pre_publish(artifact=artifact, changes=changes, context=context)


@hookimpl(tryfirst=True)
def glare_artifact_post_publish(artifact_type: Any, artifact: dict, context: Any):
    artifact_type.post_publish(artifact=artifact, context=context)


@hookimpl(tryfirst=True)
def glare_artifact_pre_delete(artifact_type: Any, artifact: dict, changes: dict, context: Any):
    artifact_type.pre_delete(artifact=artifact, changes=changes, context=context)


@hookimpl(tryfirst=True)
def glare_artifact_post_delete(artifact_type: Any, artifact: dict, context: Any):
    artifact_type.post_delete(artifact=artifact, context=context)


@hookimpl(tryfirst=True)
def glare_blob_pre_upload(artifact_type, artifact, field_name, blob_key, stream, changes,
                          context):
    return artifact_type.pre_upload(artifact=artifact, field_name=field_name, blob_key=blob_key,
                                    stream=stream, changes=changes, context=context)


@hookimpl(tryfirst=True)
def glare_blob_post_upload(artifact_type, artifact, field_name, blob_key, context):
    artifact_type.post_upload(artifact=artifact, field_name=field_name, blob_key=blob_key,
                              context=context)


@hookimpl(tryfirst=True)
def glare_blob_pre_download(artifact_type, artifact, field_name, blob_key, context):
    artifact_type.pre_download(artifact=artifact, field_name=field_name, blob_key=blob_key,
                               context=context)


@hookimpl(tryfirst=True)
def glare_blob_post_download(artifact_type, artifact, field_name, blob_key, data, context):
    return artifact_type.post_download(artifact=artifact, field_name=field_name,
                                       blob_key=blob_key, data=data, context=context)


@hookimpl(tryfirst=True)
def glare_blob_pre_add_location(artifact_type, artifact, field_name, blob_key, url, context):
    artifact_type.pre_add_location(artifact=artifact, field_name=field_name, blob_key=blob_key,
                                   url=url, context=context)


@hookimpl(tryfirst=True)
def glare_blob_post_add_location(artifact_type, artifact, field_name, blob_key, context):
    artifact_type.post_add_location(artifact=artifact, field_name=field_name,
                                    blob_key=blob_key, context=context)
