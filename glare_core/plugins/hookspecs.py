"""The plugin contract: every hook a Glare plugin may implement.

Plugins are found through the setuptools entry-point group ``glare.plugins`` and called
through pluggy. Implement a hook by decorating a function of the same name with
``glare_core.plugin.hookimpl``; an implementation may accept a subset of the arguments.

Call semantics are stated per hook: "all impls" hooks call every implementation and
collect non-None results; "firstresult" hooks stop at the first non-None result. Pre-hooks
run inside the artifact lock before anything is saved and veto by raising a
``GlareError``; post-hooks and ``glare_notify`` run after the change was committed, each
implementation on its own: one that fails is logged with its plugin's name and the others
still run (``glare_core.plugins.runner``). Hook wrappers are honoured only by pre-hooks.

Argument names keep one meaning everywhere: ``app`` (the Flask app), ``artifact_type``
(an ``ArtifactType`` instance), ``artifact`` (a read-only dict snapshot of the artifact),
``changes`` (a dict of field → value a pre-hook may edit), ``context`` (the
``RequestContext`` of the caller).

Plugin API version: ``glare_core.plugin.PLUGIN_API_VERSION``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from flask import Flask

    from glare_core.auth.context import RequestContext
    from glare_core.blobs.base import BlobStore
    from glare_core.data.api import DataAPI
    from glare_core.types.base import ArtifactType

PROJECT = "glare"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# ---- start-up: what a plugin provides ---------------------------------------------------


@hookspec
def glare_register_artifact_types(app: Flask) -> list[type[ArtifactType]]:
    """Return the artifact type classes this plugin provides.

    All impls, once at start-up. Two types with the same name stop the start-up.

    :param app: the Flask application being created (read ``app.config``).
    :return: a list of ``ArtifactType`` subclasses.
    """


@hookspec
def glare_register_policy_rules(app: Flask) -> dict[str, str]:
    """Return default policy rules for actions the plugin adds (rule name → rule).

    All impls, once at start-up. Rules use the oslo.policy syntax; the operator's policy
    file overrides them like any core rule.

    :param app: the Flask application being created.
    :return: a dict of rule name → rule string.
    """


@hookspec(firstresult=True)
def glare_get_data_api(artifact_type: ArtifactType, app: Flask) -> DataAPI | None:
    """Return the DataAPI that stores artifacts of ``artifact_type``.

    Firstresult. The builtin implementation runs last: it uses the type's
    ``data_api_factory`` when set, else the core SQL store. Return None to pass.

    :param artifact_type: the enabled type that needs storage.
    :param app: the Flask application being created.
    :return: a ``DataAPI`` instance, or None.
    """


@hookspec
def glare_register_blob_stores(app: Flask) -> list[BlobStore]:
    """Return blob store instances this plugin provides (configured from ``app.config``).

    All impls, once at start-up. Store names must be unique; each store declares the URI
    schemes it reads (``BlobStore.schemes``).

    :param app: the Flask application being created.
    :return: a list of ``BlobStore`` instances.
    """


@hookspec(firstresult=True)
def glare_choose_blob_store(artifact_type: ArtifactType, field_name: str, app: Flask) -> str | None:
    """Name the store new uploads to a blob or folder field go to.

    Firstresult. The builtin implementation runs last: the field's ``store``, then the
    type's configured or declared ``default_store``, then ``GLARE_DEFAULT_STORE``.

    :param artifact_type: the artifact's type.
    :param field_name: the blob or folder field.
    :param app: the Flask application.
    :return: a store name (``file``, ``swift``, ``database``, ...) or None.
    """


@hookspec
def glare_migration_locations(app: Flask) -> list[tuple[str, str]]:
    """Name the Alembic versions folders of the plugin's own tables.

    All impls. Each (name, folder) is an independent history with its own version table
    ``alembic_version_<name>``; ``glare-manage db upgrade`` (and the server at start-up)
    applies it after the core's. Scripts in the folder start with ``down_revision = None``.

    :param app: the Flask application.
    :return: a list of (history name, path of the versions folder).
    """


@hookspec
def glare_startup(app: Flask) -> None:
    """Called once after the app is fully wired (types, storage, routes).

    All impls. Raise to abort the start-up.

    :param app: the Flask application.
    """


# ---- artifact lifecycle -----------------------------------------------------------------


@hookspec
def glare_artifact_pre_create(
    artifact_type: ArtifactType, artifact: dict[str, Any], changes: dict[str, Any],
    context: RequestContext,
) -> None:
    """Before a new artifact is stored; after validation, uniqueness and quota checks.

    All impls. ``changes`` holds every field value of the new artifact: edit it to change
    what is stored (values are validated again). Raise a GlareError to refuse.

    :param artifact_type: the artifact's type.
    :param artifact: snapshot of the artifact about to be created.
    :param changes: the field values to store; editable.
    :param context: the caller.
    """


@hookspec
def glare_artifact_post_create(
    artifact_type: ArtifactType, artifact: dict[str, Any], context: RequestContext
) -> None:
    """After a new artifact was stored. All impls; errors are logged, not returned.

    :param artifact_type: the artifact's type.
    :param artifact: the stored artifact.
    :param context: the caller.
    """


@hookspec
def glare_artifact_pre_update(
    artifact_type: ArtifactType, artifact: dict[str, Any], changes: dict[str, Any],
    planned: dict[str, Any], patch: list[dict[str, Any]], context: RequestContext,
) -> None:
    """After a JSON-patch was planned, before it is saved. All impls; raise a GlareError
    to refuse.

    Since plugin API 1.2 the hook runs after planning and receives ``planned``: check
    the outcome there instead of re-applying ``patch`` (a patch that cannot apply is
    refused before the hook runs). ``patch`` stays for plugins written for 1.1 and goes
    in 2.0. Values set in ``changes`` are applied before the patch (the patch wins on the
    fields it names), then the lifecycle pre-hooks run.

    :param artifact_type: the artifact's type.
    :param artifact: snapshot of the artifact before the patch.
    :param changes: extra field values to save with the patch; editable.
    :param planned: the fields the patch changes, with their new values (read-only).
    :param patch: the JSON-patch operations (read-only; deprecated since 1.2).
    :param context: the caller.
    """


@hookspec
def glare_artifact_post_update(
    artifact_type: ArtifactType, artifact: dict[str, Any], context: RequestContext
) -> None:
    """After a PATCH that changed something was saved. All impls; errors are logged.

    :param artifact_type: the artifact's type.
    :param artifact: the saved artifact.
    :param context: the caller.
    """


def _lifecycle_pre(verb: str) -> Any:
    def spec(
        artifact_type: ArtifactType, artifact: dict[str, Any], changes: dict[str, Any],
        context: RequestContext,
    ) -> None:
        pass

    spec.__name__ = f"glare_artifact_pre_{verb}"
    spec.__doc__ = f"""Before the artifact is {verb}d (the '{verb}' lifecycle action).

    All impls; runs after the policy check for the action. Raise a GlareError to refuse.

    :param artifact_type: the artifact's type.
    :param artifact: snapshot of the artifact right after the change.
    :param changes: extra field values to save with the change; editable.
    :param context: the caller.
    """
    return hookspec(spec)


def _lifecycle_post(verb: str) -> Any:
    def spec(
        artifact_type: ArtifactType, artifact: dict[str, Any], context: RequestContext
    ) -> None:
        pass

    spec.__name__ = f"glare_artifact_post_{verb}"
    spec.__doc__ = f"""After the '{verb}' lifecycle action was saved.

    All impls; errors are logged, nothing is rolled back.

    :param artifact_type: the artifact's type.
    :param artifact: the saved artifact.
    :param context: the caller.
    """
    return hookspec(spec)


glare_artifact_pre_activate = _lifecycle_pre("activate")
glare_artifact_post_activate = _lifecycle_post("activate")
glare_artifact_pre_deactivate = _lifecycle_pre("deactivate")
glare_artifact_post_deactivate = _lifecycle_post("deactivate")
glare_artifact_pre_reactivate = _lifecycle_pre("reactivate")
glare_artifact_post_reactivate = _lifecycle_post("reactivate")
glare_artifact_pre_publish = _lifecycle_pre("publish")
glare_artifact_post_publish = _lifecycle_post("publish")
glare_artifact_pre_delete = _lifecycle_pre("delete")
glare_artifact_post_delete = _lifecycle_post("delete")


# ---- blobs --------------------------------------------------------------------------------


@hookspec
def glare_blob_pre_upload(
    artifact_type: ArtifactType, artifact: dict[str, Any], field_name: str,
    blob_key: str | None, stream: Iterable[bytes], changes: dict[str, Any],
    context: RequestContext,
) -> Iterable[bytes] | None:
    """Before blob data is stored; may replace the data stream (e.g. validate or convert it).

    All impls, chained: each implementation receives the stream the previous one returned
    (returning None keeps it unchanged); the per-type method runs first. Runs after the
    blob is marked ``saving``. A GlareError keeps its status; any other exception is a
    400. Either way the upload is rolled back. Read the stream lazily: blobs may be huge.
    Hook wrappers are not supported for this hook.

    :param artifact_type: the artifact's type.
    :param artifact: snapshot of the artifact.
    :param field_name: the blob or folder field.
    :param blob_key: the folder key, or None for a blob field.
    :param stream: an iterable of byte chunks (the request body).
    :param changes: field values to save with the blob if the upload succeeds (fill it in
        the hook or while the returned stream is read, e.g. from a package manifest).
    :param context: the caller.
    :return: a replacement iterable of byte chunks, or None.
    """


@hookspec
def glare_blob_post_upload(
    artifact_type: ArtifactType, artifact: dict[str, Any], field_name: str,
    blob_key: str | None, context: RequestContext,
) -> None:
    """After uploaded data became ``active``. All impls; errors are logged.

    :param artifact_type: the artifact's type.
    :param artifact: the saved artifact (with the new blob).
    :param field_name: the blob or folder field.
    :param blob_key: the folder key, or None.
    :param context: the caller.
    """


@hookspec
def glare_blob_pre_download(
    artifact_type: ArtifactType, artifact: dict[str, Any], field_name: str,
    blob_key: str | None, context: RequestContext,
) -> None:
    """Before blob data is read. All impls; raise a GlareError to refuse.

    :param artifact_type: the artifact's type.
    :param artifact: snapshot of the artifact.
    :param field_name: the blob or folder field.
    :param blob_key: the folder key, or None.
    :param context: the caller.
    """


@hookspec
def glare_blob_post_download(
    artifact_type: ArtifactType, artifact: dict[str, Any], field_name: str,
    blob_key: str | None, data: Iterable[bytes], context: RequestContext,
) -> Iterable[bytes] | None:
    """After the data was opened; may wrap or replace the iterator sent to the client.

    All impls, chained like ``glare_blob_pre_upload`` (None keeps the data unchanged).
    A non-Glare exception becomes a 400. Not called for external locations (those are
    redirects).

    :param artifact_type: the artifact's type.
    :param artifact: snapshot of the artifact.
    :param field_name: the blob or folder field.
    :param blob_key: the folder key, or None.
    :param data: the iterable of byte chunks about to be sent.
    :param context: the caller.
    :return: a replacement iterable, or None.
    """


@hookspec
def glare_blob_pre_add_location(
    artifact_type: ArtifactType, artifact: dict[str, Any], field_name: str,
    blob_key: str | None, url: str, context: RequestContext,
) -> None:
    """Before a location (external URL or internal store URI) is attached to a blob.

    All impls; raise a GlareError to refuse.

    :param artifact_type: the artifact's type.
    :param artifact: snapshot of the artifact.
    :param field_name: the blob or folder field.
    :param blob_key: the folder key, or None.
    :param url: the location being attached.
    :param context: the caller.
    """


@hookspec
def glare_blob_post_add_location(
    artifact_type: ArtifactType, artifact: dict[str, Any], field_name: str,
    blob_key: str | None, context: RequestContext,
) -> None:
    """After a location was attached. All impls; errors are logged.

    :param artifact_type: the artifact's type.
    :param artifact: the saved artifact.
    :param field_name: the blob or folder field.
    :param blob_key: the folder key, or None.
    :param context: the caller.
    """


# ---- events -------------------------------------------------------------------------------


@hookspec
def glare_notify(event_type: str, payload: Any, context: RequestContext) -> None:
    """A notification after a successful operation (``artifact.create``, ...).

    All impls; errors are logged. The builtin implementation writes an INFO log line.

    :param event_type: ``artifact.<action>`` (create, update, activate, deactivate,
        reactivate, publish, delete, upload, set_location, set_internal_location,
        delete_blob, set_quotas).
    :param payload: the artifact summary (type, id, name, version, ...) or other data.
    :param context: the caller.
    """
