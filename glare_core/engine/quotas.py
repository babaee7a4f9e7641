"""Quotas (contract §21): how many artifacts and how many uploaded bytes a project may have,
globally and per type; ``-1`` means unlimited.

Effective limit = the project's stored value for the quota name, else the configured one.
Enforcement is atomic across processes: the check and the write that consumes the quota
run under a per-project lock in the database (taken only when a limit applies), so N
parallel creates or uploads can never end above a limit.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from glare_core.auth.context import RequestContext
from glare_core.data.ports import QuotaStore
from glare_core.engine.locking import Locker
from glare_core.errors import BadRequest, Forbidden, QuotaExceeded
from glare_core.types.fields import flatten_messages

ARTIFACT_NUMBER = "max_artifact_number"
UPLOADED_DATA = "max_uploaded_data"
QUOTA_NAMES = (ARTIFACT_NUMBER, UPLOADED_DATA)
UNLIMITED = -1


# A 64-bit signed integer: what every database's BIGINT holds.
MAX_QUOTA_VALUE = 2**63 - 1


def _not_bool(value: Any) -> bool:
    if isinstance(value, bool):
        raise ValidationError("must be an integer, not a boolean")
    return True


class _QuotaSchema(Schema):
    quota_name = fields.String(required=True, validate=[validate.Length(min=1, max=255)])
    quota_value = fields.Integer(
        required=True, strict=True,
        validate=[_not_bool, validate.Range(min=UNLIMITED, max=MAX_QUOTA_VALUE)],
    )


class _ProjectQuotasSchema(Schema):
    project_id = fields.String(required=True, validate=[validate.Length(min=1, max=255)])
    project_quotas = fields.List(fields.Nested(_QuotaSchema), required=True)


@dataclass(frozen=True)
class QuotaSettings:
    """Configured limits: global ones and ``type → {quota name → limit}``."""

    max_artifact_number: int = UNLIMITED
    max_uploaded_data: int = UNLIMITED
    per_type: Mapping[str, Mapping[str, int]] | None = None

    def configured(self) -> dict[str, int]:
        """The ``global_quotas`` document: both globals, plus per-type limits that are set."""
        out = {ARTIFACT_NUMBER: self.max_artifact_number, UPLOADED_DATA: self.max_uploaded_data}
        for type_name, limits in sorted((self.per_type or {}).items()):
            for name in QUOTA_NAMES:
                value = limits.get(name, UNLIMITED)
                if value is not None and int(value) != UNLIMITED:
                    out[f"{name}:{type_name}"] = int(value)
        return out


class QuotaService:
    def __init__(
        self,
        *,
        store: QuotaStore,
        settings: QuotaSettings,
        type_names: Any,
        usage: Any,
        locker: Locker,
    ) -> None:
        """``type_names()`` lists enabled types; ``usage`` answers count/bytes questions."""
        self.store = store
        self.settings = settings
        self.type_names = type_names
        self.usage = usage
        self.locker = locker

    # ---- limits ---------------------------------------------------------------------

    def effective(self, project_id: str) -> dict[str, int]:
        limits = self.settings.configured()
        limits.update(self.store.for_project(project_id))
        return limits

    def _limits(self, project_id: str, quota: str, type_name: str) -> list[tuple[str, int]]:
        """(scope, limit) pairs that apply: the global one and the type's, unlimited dropped."""
        effective = self.effective(project_id)
        pairs = [("", effective.get(quota, UNLIMITED)),
                 (type_name, effective.get(f"{quota}:{type_name}", UNLIMITED))]
        return [(scope, int(limit)) for scope, limit in pairs if int(limit) != UNLIMITED]

    def _scope_types(self, scope: str) -> tuple[str, ...]:
        return (scope,) if scope else tuple(self.type_names())

    # ---- artifact count -------------------------------------------------------------

    def count_limits(self, owner: str, type_name: str) -> list[tuple[str, int]]:
        """The artifact limits that apply to a new artifact of ``type_name`` (none: no
        count to check, no lock to take)."""
        return self._limits(owner, ARTIFACT_NUMBER, type_name)

    @contextlib.contextmanager
    def count_guard(self, owner: str, type_name: str,
                    limits: list[tuple[str, int]] | None = None) -> Iterator[None]:
        """Hold while checking and creating: 403 if the project is at its artifact limit
        (``limits``: as ``count_limits`` gave them, if already looked up)."""
        if limits is None:
            limits = self.count_limits(owner, type_name)
        if not limits:
            yield
            return
        with self.locker.hold(f"quota:{owner}", wait=30.0):
            self.check_count(owner, type_name, limits)
            yield

    def check_count(self, owner: str, type_name: str,
                    limits: list[tuple[str, int]] | None = None) -> None:
        for scope, limit in limits if limits is not None else self._limits(
                owner, ARTIFACT_NUMBER, type_name):
            used = self.usage.count_artifacts(owner, self._scope_types(scope))
            if used >= limit:
                where = f" of type {scope}" if scope else ""
                raise QuotaExceeded(
                    f"The project may own at most {limit} artifacts{where} (quota "
                    f"{ARTIFACT_NUMBER}{':' + scope if scope else ''})"
                )

    # ---- uploaded data --------------------------------------------------------------

    @contextlib.contextmanager
    def data_guard(self, owner: str, type_name: str) -> Iterator[None]:
        """Hold while computing the allowance and reserving the upload's size."""
        if not self._limits(owner, UPLOADED_DATA, type_name):
            yield
            return
        with self.locker.hold(f"quota:{owner}", wait=30.0):
            yield

    def data_allowance(
        self, owner: str, type_name: str, *, exclude: tuple[str, str, str | None]
    ) -> tuple[int, str] | None:
        """Bytes the project may still upload (and the 413 message), or None: unlimited.

        ``exclude`` is the blob being replaced: its old size does not count (contract Q9).
        """
        best: tuple[int, str] | None = None
        for scope, limit in self._limits(owner, UPLOADED_DATA, type_name):
            used = self.usage.uploaded_bytes(owner, self._scope_types(scope), exclude)
            left = max(0, limit - used)
            if best is None or left < best[0]:
                name = f"{UPLOADED_DATA}{':' + scope if scope else ''}"
                best = (left, f"The upload exceeds the project's quota {name} ({limit} bytes; "
                              f"{left} left for this upload)")
        return best

    # ---- the quota API --------------------------------------------------------------

    def parse_quotas(self, body: Any) -> dict[str, list[tuple[str, int]]]:
        """Validate a ``PUT /quotas`` body; return project → [(name, value)]."""
        if not isinstance(body, list):
            raise BadRequest("The body must be a JSON array of project quotas")
        try:
            items = _ProjectQuotasSchema(many=True).load(body)
        except ValidationError as exc:
            raise BadRequest(f"Invalid quotas: {flatten_messages(exc.messages)}") from None
        out: dict[str, list[tuple[str, int]]] = {}
        for item in items:
            rows = []
            for quota in item["project_quotas"]:
                name = quota["quota_name"]
                self._check_name(name)
                if any(name == seen for seen, _ in rows):
                    raise BadRequest(
                        f"Quota '{name}' is given twice for project {item['project_id']}")
                rows.append((name, quota["quota_value"]))
            out[item["project_id"]] = rows
        return out

    def _check_name(self, name: str) -> None:
        base, sep, type_name = name.partition(":")
        if base not in QUOTA_NAMES or (sep and type_name not in self.type_names()):
            raise BadRequest(
                f"Unknown quota '{name}': use {' or '.join(QUOTA_NAMES)}, optionally "
                "followed by ':<enabled artifact type>'"
            )

    def set_quotas(self, values: dict[str, list[tuple[str, int]]]) -> list[dict[str, Any]]:
        self.store.replace(values)
        stored = self.store.all()
        return [_document(project, stored.get(project, {})) for project in values]

    def all_quotas(self) -> dict[str, Any]:
        stored = self.store.all()
        return {
            "quotas": [_document(project, rows) for project, rows in stored.items()],
            "global_quotas": self.settings.configured(),
        }

    def project_quotas(self, project_id: str) -> list[dict[str, Any]]:
        return [_document(project_id, self.effective(project_id))]


class Usage:
    """What a project consumes, summed over every data API that stores the types asked."""

    def __init__(self, data_apis: Mapping[str, Any]) -> None:
        self.data_apis = data_apis

    def _groups(self, type_names: tuple[str, ...]) -> list[tuple[Any, tuple[str, ...]]]:
        groups: dict[int, tuple[Any, list[str]]] = {}
        for name in type_names:
            data_api = self.data_apis[name]
            groups.setdefault(id(data_api), (data_api, []))[1].append(name)
        return [(api, tuple(names)) for api, names in groups.values()]

    def count_artifacts(self, owner: str, type_names: tuple[str, ...]) -> int:
        return sum(api.count_artifacts(owner, names) for api, names in self._groups(type_names))

    def uploaded_bytes(self, owner: str, type_names: tuple[str, ...],
                       exclude: tuple[str, str, str | None] | None = None) -> int:
        return sum(api.uploaded_bytes(owner, names, exclude)
                   for api, names in self._groups(type_names))


def _document(project_id: str, values: Mapping[str, int]) -> dict[str, Any]:
    return {
        "project_id": project_id,
        "project_quotas": [{"quota_name": name, "quota_value": value}
                           for name, value in values.items()],
    }


def target_project(context: RequestContext, project_id: str | None) -> str:
    if project_id is not None:
        return project_id
    if context.project_id is None:
        raise Forbidden("Anonymous callers have no project quotas")
    return context.project_id
