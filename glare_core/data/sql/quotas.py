"""Stored per-project quota values (the rows of ``glare_quotas``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

import sqlalchemy as sa

from glare_core.data.database import Database
from glare_core.data.sql.tables import quotas


class QuotaStore:
    def __init__(self, database: Database) -> None:
        self.db = database

    def for_project(self, project_id: str) -> dict[str, int]:
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(quotas.c.quota_name, quotas.c.quota_value)
                .where(quotas.c.project_id == project_id)
            )
            return {name: value for name, value in rows}

    def all(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = defaultdict(dict)
        with self.db.read() as conn:
            for project, name, value in conn.execute(
                sa.select(quotas.c.project_id, quotas.c.quota_name, quotas.c.quota_value)
                .order_by(quotas.c.project_id, quotas.c.quota_name)
            ):
                out[project][name] = value
        return dict(out)

    def replace(self, values: Mapping[str, Iterable[tuple[str, int]]]) -> None:
        """For every listed project, replace all its rows by the given ones (atomically)."""
        with self.db.write() as conn:
            for project_id, rows in values.items():
                conn.execute(quotas.delete().where(quotas.c.project_id == project_id))
                rows = list(rows)
                if rows:
                    conn.execute(quotas.insert(), [
                        {"project_id": project_id, "quota_name": name, "quota_value": value}
                        for name, value in rows
                    ])
