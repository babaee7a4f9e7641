"""``ArtifactReader``: listing and showing artifacts, the only place the ``all``
pseudo-type is expanded into the types it stands for.

Reads take no lock and write nothing; what they return is the artifact as readers see it
(``UploadLiveness.read_view``: an upload that died with its server shows the blob it was
replacing).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from glare_core.auth.context import RequestContext
from glare_core.data.query import ListQuery
from glare_core.engine import access
from glare_core.engine.context import EngineContext
from glare_core.engine.listing import parse_list_params
from glare_core.engine.liveness import UploadLiveness
from glare_core.engine.merged_lists import run_list
from glare_core.errors import ArtifactNotFound


@dataclass
class ListPage:
    artifact_type: Any
    artifacts: list[dict[str, Any]]
    total: int
    limit: int


class ArtifactReader:
    def __init__(self, ctx: EngineContext, liveness: UploadLiveness) -> None:
        self.ctx = ctx
        self.liveness = liveness

    def list(
        self, context: RequestContext, type_name: str, params: Iterable[tuple[str, str]]
    ) -> ListPage:
        """List/filter/sort/paginate artifacts of one type (or of every type for ``all``)."""
        artifact_type = self.ctx.readable_type(type_name)
        policy = self.ctx.policy
        policy.authorize("artifact:list", {}, context)
        see_all = policy.check("artifact:list_all_artifacts", {}, context)
        parsed = parse_list_params(
            artifact_type,
            params,
            default_limit=self.ctx.settings.default_limit,
            max_limit=self.ctx.settings.max_limit,
        )
        marker = None
        if parsed.marker is not None:
            marker = self.ctx.find(parsed.marker)
            if marker is None or not access.is_visible(context, marker, see_all=see_all):
                raise ArtifactNotFound(f"Marker artifact {parsed.marker} was not found")
        if artifact_type is self.ctx.registry.all_type:
            type_names = tuple(artifact_type.types)
        else:
            type_names = (artifact_type.type_name,)
        query = ListQuery(
            type_names=type_names,
            scope=access.list_scope(context, see_all=see_all),
            filters=parsed.filters,
            sort=parsed.sort,
            limit=parsed.limit,
            marker=marker,
            latest=parsed.latest,
        )
        result = run_list(self.ctx.data_apis, query)
        # Blob fields are neither filterable nor sortable, and an upload leaves the
        # artifact's updated_at alone: what read_view changes never moves an artifact
        # in or out of a page, or within one.
        artifacts = [self.as_read(artifact) for artifact in result.artifacts]
        return ListPage(artifact_type, artifacts, result.total, parsed.limit)

    def get(
        self, context: RequestContext, type_name: str, artifact_id: str
    ) -> tuple[Any, dict[str, Any]]:
        """Show one artifact; returns (type it is shown as, record)."""
        artifact_type = self.ctx.readable_type(type_name)
        self.ctx.policy.authorize("artifact:get", {}, context)
        see_all = self.ctx.policy.check("artifact:get_any_artifact", {}, context)
        artifact = self.ctx.find(artifact_id, artifact_type)
        access.require_visible(context, artifact, see_all=see_all)
        assert artifact is not None
        return artifact_type, self.as_read(artifact)

    def as_read(self, artifact: dict[str, Any]) -> dict[str, Any]:
        """``artifact`` as a reader sees it (``read_view``)."""
        artifact_type = self.ctx.registry.get(artifact["type_name"])
        if artifact_type is None:
            return artifact
        return self.liveness.read_view(artifact_type, artifact)
