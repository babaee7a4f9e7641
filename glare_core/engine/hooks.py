"""The engine's hook calls, by what they are about, over the one ``HookRunner``.

Pre-hooks veto by raising (errors propagate to the client); post-hooks and notifications
run after the change is committed, one implementation at a time: their errors are logged
and never undo anything (``glare_core.plugins.runner``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from glare_core.auth.context import RequestContext
from glare_core.engine.copies import detached
from glare_core.errors import BadRequest, GlareError
from glare_core.plugins.runner import HookRunner
from glare_core.types.base import ArtifactType

# The builtin plugin that forwards hooks to the types' own methods.
TYPE_DISPATCH = "glare_core.plugins.type_dispatch"
# Fields of the notification payload (contract §25).
PAYLOAD_FIELDS = ("id", "name", "version", "description", "visibility", "status", "owner",
                  "created_at", "updated_at", "activated_at")


class EngineHooks:
    def __init__(self, runner: HookRunner) -> None:
        self.runner = runner

    # ---- artifacts ------------------------------------------------------------------

    def pre(self, verb: str, artifact_type: ArtifactType, artifact: Mapping[str, Any],
            changes: dict[str, Any], context: RequestContext, **extra: Any) -> dict[str, Any]:
        """Run ``glare_artifact_pre_<verb>``; return the (possibly edited) ``changes``."""
        self.runner.pre(f"glare_artifact_pre_{verb}", artifact_type=artifact_type,
                        artifact=detached(dict(artifact)), changes=changes,
                        context=context, **extra)
        return changes

    def pre_is_noop(self, verb: str, artifact_type: ArtifactType) -> bool:
        """True when ``glare_artifact_pre_<verb>`` does nothing for ``artifact_type``: its
        one implementation is the builtin forwarding to the type's own method, which the
        type does not override."""
        implementations = getattr(self.runner.pm.hook,
                                  f"glare_artifact_pre_{verb}").get_hookimpls()
        method = f"pre_{verb}"
        return (all(impl.function.__module__ == TYPE_DISPATCH for impl in implementations)
                and getattr(type(artifact_type), method) is getattr(ArtifactType, method))

    def post(self, verb: str, artifact_type: ArtifactType, artifact: Mapping[str, Any],
             context: RequestContext) -> None:
        self.runner.post(f"glare_artifact_post_{verb}", artifact_type=artifact_type,
                         artifact=artifact, context=context)

    def notify(self, action: str, payload: Any, context: RequestContext) -> None:
        self.runner.post("glare_notify", event_type=f"artifact.{action}", payload=payload,
                         context=context)

    def done(self, verb: str, artifact_type: ArtifactType, artifact: Mapping[str, Any],
             context: RequestContext) -> None:
        """What follows a saved change: its post-hooks, then its notification."""
        self.post(verb, artifact_type, artifact, context)
        self.notify(verb, artifact_payload(artifact_type.type_name, artifact), context)

    # ---- blobs ----------------------------------------------------------------------

    def blob_pre(self, verb: str, artifact_type: ArtifactType, artifact: Mapping[str, Any],
                 field_name: str, blob_key: str | None, context: RequestContext,
                 **extra: Any) -> None:
        """``glare_blob_pre_<verb>`` (download, add_location): raise to refuse."""
        self.runner.pre(f"glare_blob_pre_{verb}", artifact_type=artifact_type,
                        artifact=detached(dict(artifact)), field_name=field_name,
                        blob_key=blob_key, context=context, **extra)

    def blob_post(self, verb: str, artifact_type: ArtifactType, artifact: Mapping[str, Any],
                  field_name: str, blob_key: str | None, context: RequestContext) -> None:
        """``glare_blob_post_<verb>`` (upload, add_location), each implementation isolated."""
        self.runner.post(f"glare_blob_post_{verb}", artifact_type=artifact_type,
                         artifact=artifact, field_name=field_name, blob_key=blob_key,
                         context=context)

    def blob_stream(self, verb: str, name: str, value: Iterable[bytes],
                    artifact_type: ArtifactType, artifact: Mapping[str, Any],
                    field_name: str, blob_key: str | None, context: RequestContext,
                    **extra: Any) -> Iterable[bytes]:
        """The chained stream hooks (``glare_blob_pre_upload``: ``stream``;
        ``glare_blob_post_download``: ``data``): each may replace the stream. A hook that
        fails other than with a Glare error refuses the transfer (400)."""
        try:
            return self.runner.chain(
                f"glare_blob_{verb}", name, value, artifact_type=artifact_type,
                artifact=detached(dict(artifact)), field_name=field_name,
                blob_key=blob_key, context=context, **extra)
        except GlareError:
            raise
        except Exception as exc:
            what = "upload" if verb == "pre_upload" else "download"
            raise BadRequest(f"The {what} was refused: {exc}") from None


def artifact_payload(type_name: str, artifact: Mapping[str, Any]) -> dict[str, Any]:
    payload: dict[str, Any] = {"type": type_name}
    for name in PAYLOAD_FIELDS:
        value = artifact.get(name)
        payload[name] = value.isoformat() if hasattr(value, "isoformat") else value
    return payload


def coerce_hook_changes(artifact_type: ArtifactType,
                        changes: Mapping[str, Any]) -> dict[str, Any]:
    """Validate field values a hook put into ``changes`` like client input. Hooks may set
    any field but a blob, system fields included."""
    out = {}
    for name, value in changes.items():
        spec = artifact_type.fields.get(name)
        if spec is None or spec.is_blob:
            raise BadRequest(f"A hook set '{name}', which is not a field it may set")
        out[name] = value if spec.is_datetime else spec.coerce(value)
    return out
