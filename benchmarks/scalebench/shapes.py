"""The query shapes of issue 20 and the sequential client that times them."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from scalebench import dataset
from scalebench.dataset import TYPE_NAME
from scalebench.loader import headers

LIST = f"/artifacts/{TYPE_NAME}"
PAGE = 25
MARKER_PAGE = 200


@dataclass
class Catalog:
    """What the client draws its operands from: the loaded size and the marker."""

    count: int
    rng: random.Random
    marker: str = ""
    marker_page: int = 0

    def visible_index(self) -> int:
        while True:
            index = self.rng.randrange(self.count)
            if dataset.visible(index):
                return index

    def name(self) -> str:
        return dataset.name(self.visible_index())


@dataclass(frozen=True)
class Shape:
    key: str
    label: str
    target_ms: float | None  # None: the reference, no target
    path: Callable[[Catalog], str]


def _tag(catalog: Catalog) -> str:
    return dataset.tag_name(catalog.rng.randrange(dataset.TAG_COUNT))


#: The reference: the cheapest request the server answers, timed like the shapes in the
#: same run. It shows what the machine allows at that moment: on a loaded machine it
#: rises with every shape, and a shape growing as much between two sizes did not grow.
REFERENCE = Shape("reference", "reference: GET /healthcheck", None, lambda c: "/healthcheck")
SHAPES = (
    REFERENCE,
    Shape("get", "get by id", 50,
          lambda c: f"{LIST}/{dataset.artifact_id(c.visible_index())}"),
    Shape("name", "name=eq:X", 50, lambda c: f"{LIST}?name=eq:{c.name()}"),
    Shape("latest_name", "version=latest&name=X", 50,
          lambda c: f"{LIST}?version=latest&name={c.name()}"),
    Shape("default", "default list (no filter)", 50, lambda c: LIST),
    Shape("int1", "int1=eq:V (0.1 %)", 50,
          lambda c: f"{LIST}?int1=eq:{c.rng.randrange(dataset.INT1_VALUES)}"),
    Shape("tag", "tags=T (1 %)", 50, lambda c: f"{LIST}?tags={_tag(c)}"),
    Shape("latest", "version=latest (no name)", 50, lambda c: f"{LIST}?version=latest"),
    Shape("sort_int1", "sort=int1:desc", 50, lambda c: f"{LIST}?sort=int1:desc"),
    Shape("marker", "page 200 with marker", 50, lambda c: f"{LIST}?marker={c.marker}"),
    Shape("prefix", "str1=like:abc% (1 %)", 50,
          lambda c: f"{LIST}?str1=like:{c.rng.choice(dataset.PREFIXES)}%25"),
    Shape("infix", "str1=like:%abc% (1 %)", 200,
          lambda c: f"{LIST}?str1=like:%25{c.rng.choice(dataset.INFIXES)}%25"),
    Shape("count", "limit=0 (count only)", 50, lambda c: f"{LIST}?limit=0"),
    Shape("count_common", "tags=common&limit=0 (count of all)", 250,
          lambda c: f"{LIST}?tags={dataset.COMMON_TAG}&limit=0"),
    Shape("all", "all: default list", 50, lambda c: "/artifacts/all"),
)


def find_marker(session: Any, url: str, catalog: Catalog) -> None:
    """Walk the default list to page 200 (or the last full page of a small catalog): the
    marker is the id of the last artifact of the page before it."""
    visible = sum(1 for i in range(catalog.count) if dataset.visible(i))
    target = max(2, min(MARKER_PAGE, visible // PAGE))
    path, page = LIST, 1
    while page < target:
        body = get_json(session, url + path)
        path = body["next"]
        page += 1
    catalog.marker = path.rsplit("marker=", 1)[1]
    catalog.marker_page = target


def get_json(session: Any, full_url: str) -> Any:
    response = session.get(full_url, headers=headers())
    if response.status_code != 200:
        raise RuntimeError(f"GET {full_url}: {response.status_code} {response.text[:500]}")
    return response.json()


@dataclass
class Timing:
    shape: Shape
    times_ms: list[float]
    seconds: float

    def percentile(self, p: float) -> float:
        ordered = sorted(self.times_ms)
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]

    @property
    def rate(self) -> float:
        return len(self.times_ms) / self.seconds

    @property
    def over_target(self) -> bool:
        target = self.shape.target_ms
        return target is not None and self.percentile(99) >= target

    def as_dict(self) -> dict[str, Any]:
        return {"shape": self.shape.key, "label": self.shape.label,
                "requests": len(self.times_ms), "p50_ms": round(self.percentile(50), 2),
                "p95_ms": round(self.percentile(95), 2), "p99_ms": round(self.percentile(99), 2),
                "req_per_s": round(self.rate, 1), "target_p99_ms": self.shape.target_ms,
                "meets_target": None if self.shape.target_ms is None else not self.over_target}


def time_shape(session: Any, url: str, shape: Shape, catalog: Catalog, requests: int,
               warmup: int) -> Timing:
    """``warmup`` untimed requests, then ``requests`` timed ones, one after the other."""
    for _ in range(warmup):
        response = session.get(url + shape.path(catalog), headers=headers())
        if response.status_code != 200:
            raise RuntimeError(f"{shape.label}: {response.status_code} {response.text[:500]}")
    paths = [shape.path(catalog) for _ in range(requests)]
    times = []
    began = time.perf_counter()
    for path in paths:
        start = time.perf_counter()
        response = session.get(url + path, headers=headers())
        response.content  # noqa: B018 -- the whole body, as a client reads it
        times.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path}: {response.status_code} {response.text[:500]}")
    return Timing(shape, times, time.perf_counter() - began)
