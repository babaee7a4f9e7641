"""Bulk loading through ``SqlDataAPI.create_many`` and checking the result over HTTP.

Rows are never written by hand: one template artifact is created through the API (so
every field holds what the API writes, defaults included), read back from the data API,
and each loaded artifact is that record with the fields of ``dataset.Varied`` replaced.
``create_many`` builds the rows with the code ``create`` uses, so whatever the store
derives from a record (property rows, version keys, counters) it derives here too.
"""

from __future__ import annotations

import copy
import random
import time
from typing import Any

import sqlalchemy as sa

from glare_core.app import create_app
from glare_core.data.migrations import ensure_schema
from scalebench import dataset
from scalebench.dataset import BIG_PROJECT, TYPE_NAME

TEMPLATE_NAME = "scale-template"
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # the contract's (§10), as the API renders them


def headers(project: str = BIG_PROJECT) -> dict[str, str]:
    """noauth identity headers of a member of ``project``."""
    return {"X-Identity-Status": "Confirmed", "X-Project-Id": project,
            "X-User-Id": f"{project}-user", "X-Roles": "member"}


class Loader:
    """The in-process app on the benchmark's database, and the loads through it."""

    def __init__(self, settings: dict[str, Any]) -> None:
        self.app = create_app(settings, autoload=True)
        ensure_schema(self.app)
        state = self.app.extensions["glare"]
        self.database = state.database
        self.data_api = state.engine.context.data_apis[TYPE_NAME]
        self.fields = state.engine.context.registry[TYPE_NAME].fields
        self.client = self.app.test_client()
        self.template = self._template()

    def _template(self) -> dict[str, Any]:
        """A record the API wrote: every field with its default, plus a client's fields."""
        for stale in self._get(f"/artifacts/{TYPE_NAME}?name={TEMPLATE_NAME}")["artifacts"]:
            self._delete(stale["id"])  # left by an interrupted run
        response = self.client.post(f"/artifacts/{TYPE_NAME}", headers=headers(), json={
            "name": TEMPLATE_NAME, "version": "1.0.0", "description": "template",
            "int1": 1, "str1": "aa-kk-0000000", "tags": ["common", "t00"],
            "dict_of_str": {"arch": "x86_64"}, "string_required": "release"})
        if response.status_code != 201:
            raise RuntimeError(f"cannot create the template: {response.get_data(as_text=True)}")
        template_id = response.get_json()["id"]
        record = self.data_api.get(template_id)
        self.template_json = self._get(f"/artifacts/{TYPE_NAME}/{template_id}")
        self._delete(template_id)
        return record

    def _get(self, path: str) -> Any:
        response = self.client.get(path, headers=headers())
        if response.status_code != 200:
            raise RuntimeError(f"GET {path}: {response.status_code} "
                               f"{response.get_data(as_text=True)}")
        return response.get_json()

    def _delete(self, artifact_id: str) -> None:
        response = self.client.delete(f"/artifacts/{TYPE_NAME}/{artifact_id}", headers=headers())
        if response.status_code != 204:
            raise RuntimeError(f"cannot delete the template: {response.get_data(as_text=True)}")

    def loaded(self) -> int:
        """How many catalog artifacts the database holds (a kept one may have some)."""
        with self.database.read() as conn:
            return conn.execute(sa.text(
                "SELECT count(*) FROM glare_artifacts WHERE type_name = :type"),
                {"type": TYPE_NAME}).scalar_one()

    def record(self, index: int, *, coerce: bool = False) -> dict[str, Any]:
        """Artifact ``index`` as the engine hands it to the data API."""
        varied = dataset.Varied.of(index).values
        if coerce:  # what the API would make of the client's values must be the values
            for name in dataset.CLIENT_FIELDS:
                spec = self.fields[name]
                if (stored := spec.coerce(varied[name])) != varied[name]:
                    raise RuntimeError(f"the API stores {name}={stored!r}, not {varied[name]!r}")
        # shallow: create_many only reads a record, so the template's containers may be shared
        record = dict(self.template)
        record.update(varied)
        return record

    def load(self, start: int, stop: int, batch: int) -> float:
        """Create artifacts ``start``..``stop - 1`` in transactions of ``batch``; seconds."""
        began = time.perf_counter()
        for first in range(start, stop, batch):
            last = min(first + batch, stop)
            records = [self.record(i, coerce=(i == first)) for i in range(first, last)]
            self.data_api.create_many(TYPE_NAME, records)
            done = last - start
            if done % (batch * 25) == 0 or last == stop:
                elapsed = time.perf_counter() - began
                print(f"  loaded {last:,} ({done / elapsed:,.0f} artifacts/s)", flush=True)
        return time.perf_counter() - began

    def analyze(self) -> float | None:
        """PostgreSQL: VACUUM ANALYZE (statistics for the planner, a visibility map for
        index-only scans), as autovacuum would after a while; its seconds. SQLite: nothing
        (no deployment runs ANALYZE on it)."""
        if self.database.dialect != "postgresql":
            return None
        began = time.perf_counter()
        with self.database.engine.connect().execution_options(
                isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
        return time.perf_counter() - began

    def expected_json(self, index: int) -> dict[str, Any]:
        """What ``GET /artifacts/sample_artifact/<id>`` must answer for artifact ``index``."""
        expected = copy.deepcopy(self.template_json)
        for key, value in dataset.Varied.of(index).values.items():
            expected[key] = value.strftime(TIMESTAMP_FORMAT) if hasattr(value, "strftime") \
                else value
        # sample_artifact's format_output adds the upper-cased name
        expected["__some_meta_information__"] = expected["name"].upper()
        return expected


def verify(session: Any, url: str, loader: Loader, count: int, sample: int,
           rng: random.Random) -> int:
    """GET ``sample`` random loaded artifacts over HTTP and compare every field with what
    was loaded; also the count the big project sees. Raises on any difference."""
    indexes = rng.sample(range(count), min(sample, count))  # each read by its owner
    for index in indexes:
        path = f"/artifacts/{TYPE_NAME}/{dataset.artifact_id(index)}"
        response = session.get(url + path, headers=headers(dataset.owner(index)))
        if response.status_code != 200:
            raise RuntimeError(f"verification: GET {path}: {response.status_code} {response.text}")
        got, expected = response.json(), loader.expected_json(index)
        if got != expected:
            diff = {key: (got.get(key), expected.get(key)) for key in set(got) | set(expected)
                    if got.get(key) != expected.get(key)}
            raise RuntimeError(f"verification: artifact {index} differs (got, loaded): {diff}")
    total = session.get(f"{url}/artifacts/{TYPE_NAME}?limit=0", headers=headers()).json()
    visible = sum(1 for i in range(count) if dataset.visible(i))
    if total["total_count"] != visible:
        raise RuntimeError(f"verification: the big project sees {total['total_count']} "
                           f"artifacts, {visible} were loaded for it")
    return len(indexes)

