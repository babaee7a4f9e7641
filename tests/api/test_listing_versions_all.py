"""Listing: version filters and semver ordering, ``version=latest`` and the ``all``
pseudo-type (contract §13.2-§13.4, §15, §18, §29.7, §31 #104-#106, #28, #139).

Artifacts are labelled ``name@version`` (normalized version); expected results are written
by hand from the contract's SemVer rules. Data sets are built once per module with a
controlled clock (known ``created_at`` ⇒ known default order), and tests only read them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from glare_core.testing import GlareClient
from tests.api.helpers import (
    BASE_FIELDS,
    Clock,
    activate,
    assert_bad_request,
    assert_pages,
    build_app,
    callers,
    encode_query,
    engine_context,
    fetch,
    get_list,
    publish,
)
from tests.conftest import SAMPLE, SAMPLE_URL

ALL_URL = "/artifacts/all"


def labels(body: dict[str, Any]) -> list[str]:
    return [f"{item['name']}@{item['version']}" for item in body["artifacts"]]


def lab(name: str, *versions: str) -> set[str]:
    return {f"{name}@{version}" for version in versions}


def ok(client: GlareClient, raw: str, type_name: str = SAMPLE) -> dict[str, Any]:
    response = get_list(client, raw, type_name)
    assert response.status_code == 200, (raw, response.get_data(as_text=True))
    return response.get_json()


def build_shared(
    template_db: Any, data_dir: Any, rows: list[tuple[str, str, str | None, dict[str, Any]]]
) -> tuple[Any, dict[str, GlareClient], dict[str, str], list[str]]:
    """Create ``rows`` (caller, name, version input or None, extra fields) one minute apart
    from 2020-01-01T00:00; returns app, callers, label → id and labels in creation order."""
    app = build_app(template_db, data_dir)
    who = callers(app)
    ids: dict[str, str] = {}
    order: list[str] = []
    clock = Clock()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine_context(app), "clock", clock)
        for caller, name, version, extra in rows:
            values = dict(extra)
            if version is not None:
                values["version"] = version
            art = who[caller].create(SAMPLE, name=name, **values)
            label = f"{caller}:{name}@{art['version']}"
            ids[label] = art["id"]
            order.append(label)
            clock.tick(minutes=1)
    return app, who, ids, order


# ======================================================================================
# Version filters and ordering (§13.2, §13.3, §31 #104, #106)
# ======================================================================================

VERSION_ROWS: list[tuple[str, str | None]] = [
    ("name", None),  # 0.0.0 by default
    ("name", "1.0"),
    ("name", "1.1"),
    ("name", "2.0.0"),
    ("name", "2.0.1-beta"),
    ("name", "2.0.1"),
    ("name", "20.0"),
    ("other", "1"),
    ("other", "2.0.1-beta"),
    ("pre", "0.9"),
    ("pre", "1.0.0-alpha"),
    ("pre", "1.0.0-alpha.1"),
    ("pre", "1.0.0-alpha.beta"),
    ("pre", "1.0.0-beta"),
    ("pre", "1.0.0-beta.2"),
    ("pre", "1.0.0-beta.11"),
    ("pre", "1.0.0-rc.1"),
    ("pre", "1.0.0"),
    ("pre", "9.0"),
    ("pre", "10.0"),
    ("build", "0.9.9"),
    ("build", "1.0.0"),
    ("build", "1.0.0+b1"),
    ("build", "1.0.0+b2"),
    ("build", "1.0.1"),
]
NAME_ASC = ["0.0.0", "1.0.0", "1.1.0", "2.0.0", "2.0.1-beta", "2.0.1", "20.0.0"]
PRE_ASC = ["0.9.0", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
           "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "9.0.0", "10.0.0"]
BUILD_ALL = ["0.9.9", "1.0.0", "1.0.0+b1", "1.0.0+b2", "1.0.1"]


@pytest.fixture(scope="module")
def versions_data(
    glare_template_db: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    rows = [("user1", name, version, {}) for name, version in VERSION_ROWS]
    app, who, ids, order = build_shared(
        glare_template_db, tmp_path_factory.mktemp("listing-versions"), rows
    )
    # labels without the caller prefix: everything belongs to user1 here
    yield {
        "client": who["user1"],
        "ids": {key.split(":", 1)[1]: value for key, value in ids.items()},
        "order": [key.split(":", 1)[1] for key in order],
    }
    app.extensions["glare"].database.dispose()


def test_version_inputs_were_normalized(versions_data):
    """§13.1: the data set's versions are stored normalized (guards the other tables)."""
    assert sorted(versions_data["order"]) == sorted(
        lab("name", *NAME_ASC) | lab("other", "1.0.0", "2.0.1-beta") | lab("pre", *PRE_ASC)
        | lab("build", *BUILD_ALL)
    )


VERSION_FILTERS = [
    # §31 #104
    ("name=name&version=gte:2.0.0", lab("name", "2.0.0", "2.0.1-beta", "2.0.1", "20.0.0")),
    ("name=name&version=gte:1.1&version=lt:2.0.1-beta", lab("name", "1.1.0", "2.0.0")),
    ("version=gte:1.1&version=lt:2.0.1-beta", lab("name", "1.1.0", "2.0.0")),
    ("name=in:name,other&version=gte:2.0.0",
     lab("name", "2.0.0", "2.0.1-beta", "2.0.1", "20.0.0") | lab("other", "2.0.1-beta")),
    ("name=neq:pre&name=neq:build&version=gte:2.0.0",
     lab("name", "2.0.0", "2.0.1-beta", "2.0.1", "20.0.0") | lab("other", "2.0.1-beta")),
    ("name=neq:name&version=gte:2.0.0",
     lab("other", "2.0.1-beta") | lab("pre", "9.0.0", "10.0.0")),
    # equality is on the normalized version, including build metadata (§13.2-§13.3)
    ("version=1", lab("name", "1.0.0") | lab("other", "1.0.0") | lab("pre", "1.0.0")
     | lab("build", "1.0.0")),
    ("version=eq:1.0.0", lab("name", "1.0.0") | lab("other", "1.0.0") | lab("pre", "1.0.0")
     | lab("build", "1.0.0")),
    ("version=1.0.0+b1", lab("build", "1.0.0+b1")),
    ("version=in:1.1,20,1.0.0+b2", lab("name", "1.1.0", "20.0.0") | lab("build", "1.0.0+b2")),
    ("version=in:0.9,10", lab("pre", "0.9.0", "10.0.0")),
    ("version=in:0.0.1,10-rc1", set()),
    ("version=1-alpha", lab("pre", "1.0.0-alpha")),
    ("version=2.0.1-beta", lab("name", "2.0.1-beta") | lab("other", "2.0.1-beta")),
    ("name=name&version=neq:1.0",
     lab("name", "0.0.0", "1.1.0", "2.0.0", "2.0.1-beta", "2.0.1", "20.0.0")),
    ("name=build&version=neq:1.0.0", lab("build", "0.9.9", "1.0.0+b1", "1.0.0+b2", "1.0.1")),
    # ranges ignore build metadata
    ("name=build&version=gte:1.0.0", lab("build", "1.0.0", "1.0.0+b1", "1.0.0+b2", "1.0.1")),
    ("name=build&version=gt:1.0.0", lab("build", "1.0.1")),
    ("name=build&version=lte:1.0.0", lab("build", "0.9.9", "1.0.0", "1.0.0+b1", "1.0.0+b2")),
    ("name=build&version=lt:1.0.0+b2", lab("build", "0.9.9")),
    ("name=build&version=gt:1.0.0+b1", lab("build", "1.0.1")),
    # pre-releases sort before their release; numeric identifiers compare as numbers
    ("name=pre&version=lt:1.0.0", lab("pre", *PRE_ASC[:8])),
    ("name=pre&version=gt:1.0.0-beta.2",
     lab("pre", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "9.0.0", "10.0.0")),
    ("name=pre&version=gte:1.0.0-alpha.1&version=lte:1.0.0-beta",
     lab("pre", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta")),
    ("name=pre&version=gt:9", lab("pre", "10.0.0")),
    ("name=pre&version=lt:10", lab("pre", *PRE_ASC[:-1])),
    ("name=name&version=gt:2.0.1-beta", lab("name", "2.0.1", "20.0.0")),
    ("name=name&version=lt:2.0.1", lab("name", "0.0.0", "1.0.0", "1.1.0", "2.0.0", "2.0.1-beta")),
    # §31 #106 across every name
    ("version=gt:1-beta&version=lt:10",
     lab("name", "1.0.0", "1.1.0", "2.0.0", "2.0.1-beta", "2.0.1")
     | lab("other", "1.0.0", "2.0.1-beta")
     | lab("pre", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "9.0.0")
     | lab("build", "1.0.0", "1.0.0+b1", "1.0.0+b2", "1.0.1")),
    ("version=gt:1",
     lab("name", "1.1.0", "2.0.0", "2.0.1-beta", "2.0.1", "20.0.0")
     | lab("other", "2.0.1-beta") | lab("pre", "9.0.0", "10.0.0") | lab("build", "1.0.1")),
    ("version=gte:1",
     lab("name", "1.0.0", "1.1.0", "2.0.0", "2.0.1-beta", "2.0.1", "20.0.0")
     | lab("other", "1.0.0", "2.0.1-beta") | lab("pre", "1.0.0", "9.0.0", "10.0.0")
     | lab("build", "1.0.0", "1.0.0+b1", "1.0.0+b2", "1.0.1")),
    ("version=lte:1",
     lab("name", "0.0.0", "1.0.0") | lab("other", "1.0.0") | lab("pre", *PRE_ASC[:9])
     | lab("build", "0.9.9", "1.0.0", "1.0.0+b1", "1.0.0+b2")),
    ("version=or:1.1&version=or:10", lab("name", "1.1.0") | lab("pre", "10.0.0")),
]


@pytest.mark.parametrize(("raw", "expected"), VERSION_FILTERS)
def test_version_filters(versions_data, raw, expected):
    body = ok(versions_data["client"], raw)
    order = versions_data["order"]
    assert labels(body) == sorted(expected, key=order.index, reverse=True)
    assert body["total_count"] == len(expected)


BAD_VERSION_FILTERS = [
    "version=INVALID_VERSION",
    "version=INVALID_op:1",
    "version=like:1%",
    "version=",
    "version=eq:",
    "version=gt:abc",
    "version=in:1,abc",
    "version=gt:-1",
    "version=eq:latest",
    "version=latest:1",
    "version=or:latest",
    # Q5: limits on components and numeric pre-release identifiers are 400, not 500
    "version=70000",
    "version=gt:1.70000",
    "version=1.0.0-1234567",
    "version.x=1",
]


@pytest.mark.parametrize("raw", BAD_VERSION_FILTERS)
def test_bad_version_filters_are_400(versions_data, raw):
    assert_bad_request(versions_data["client"], raw)


VERSION_SORTS = [
    ("name=name&sort=version:asc", [f"name@{v}" for v in NAME_ASC]),
    ("name=name&sort=version:desc", [f"name@{v}" for v in reversed(NAME_ASC)]),
    ("name=name&sort=version", [f"name@{v}" for v in reversed(NAME_ASC)]),
    ("name=pre&sort=version:asc", [f"pre@{v}" for v in PRE_ASC]),
    ("name=pre&sort=version:desc", [f"pre@{v}" for v in reversed(PRE_ASC)]),
    ("name=in:name,other&sort=version:asc,name:asc",
     ["name@0.0.0", "name@1.0.0", "other@1.0.0", "name@1.1.0", "name@2.0.0",
      "name@2.0.1-beta", "other@2.0.1-beta", "name@2.0.1", "name@20.0.0"]),
    ("name=in:name,other&sort=version:desc,name:desc",
     ["name@20.0.0", "name@2.0.1", "other@2.0.1-beta", "name@2.0.1-beta", "name@2.0.0",
      "name@1.1.0", "other@1.0.0", "name@1.0.0", "name@0.0.0"]),
    # ties on version broken by created_at desc (other@… created after name@…)
    ("name=in:name,other&version=in:1,2.0.1-beta&sort=version:asc",
     ["other@1.0.0", "name@1.0.0", "other@2.0.1-beta", "name@2.0.1-beta"]),
    ("name=in:name,pre&version=gte:2&sort=version:asc,name:asc",
     ["name@2.0.0", "name@2.0.1-beta", "name@2.0.1", "pre@9.0.0", "pre@10.0.0", "name@20.0.0"]),
    ("name=in:name,pre&version=gte:2&sort=name:desc,version:desc",
     ["pre@10.0.0", "pre@9.0.0", "name@20.0.0", "name@2.0.1", "name@2.0.1-beta", "name@2.0.0"]),
]


@pytest.mark.parametrize(("raw", "expected"), VERSION_SORTS)
def test_version_sorting(versions_data, raw, expected):
    """§13.2, §31 #104: ascending semver order, release after its pre-releases."""
    body = ok(versions_data["client"], raw)
    assert labels(body) == expected
    assert body["total_count"] == len(expected)


@pytest.mark.parametrize("limit", [1, 2, 3])
@pytest.mark.parametrize(("raw", "expected"), VERSION_SORTS)
def test_version_sorted_pagination(versions_data, raw, expected, limit):
    """Keyset pagination on version order (§15.5; §31 #91 unit with sort=version:desc)."""
    client = versions_data["client"]
    pages = [fetch(client, f"{SAMPLE_URL}?{encode_query(raw)}&limit={limit}")]
    while "next" in pages[-1]:
        pages.append(fetch(client, pages[-1]["next"]))
    chunks = [expected[i:i + limit] for i in range(0, len(expected), limit)]
    if len(chunks[-1]) == limit:
        chunks.append([])
    assert [labels(page) for page in pages] == chunks
    assert {page["total_count"] for page in pages} == {len(expected)}


@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_build_metadata_sorting_and_paging(versions_data, direction):
    """Build metadata is only the final sort tie-breaker: 1.0.0, 1.0.0+b1 and 1.0.0+b2 sit
    between 0.9.9 and 1.0.1; paging through them visits each exactly once."""
    client = versions_data["client"]
    body = ok(client, f"name=build&sort=version:{direction}")
    got = labels(body)
    middle = lab("build", "1.0.0", "1.0.0+b1", "1.0.0+b2")
    ends = ["build@0.9.9", "build@1.0.1"]
    if direction == "desc":
        ends.reverse()
    assert [got[0], got[-1]] == ends
    assert set(got[1:4]) == middle
    assert body["total_count"] == 5
    pages = [fetch(client, f"{SAMPLE_URL}?name=build&sort=version:{direction}&limit=1")]
    while "next" in pages[-1]:
        pages.append(fetch(client, pages[-1]["next"]))
    assert [label for page in pages for label in labels(page)] == got


def test_version_marker(versions_data):
    ids = versions_data["ids"]
    body = fetch(
        versions_data["client"],
        f"{SAMPLE_URL}?name=pre&sort=version:asc&marker={ids['pre@1.0.0-beta.2']}",
    )
    assert labels(body) == [f"pre@{v}" for v in PRE_ASC[6:]]
    assert body["total_count"] == len(PRE_ASC)


def test_duplicate_name_and_version_conflict(user1):
    """§31 #104: duplicate name + 1.0 → 409 (same for an equal normalized version)."""
    user1.create(SAMPLE, name="name", version="1.0")
    for version in ("1.0", "1.0.0", "1"):
        response = user1.post(SAMPLE_URL, {"name": "name", "version": version})
        assert response.status_code == 409
    body = ok(user1, "name=name")
    assert labels(body) == ["name@1.0.0"]
    assert body["total_count"] == 1


# ======================================================================================
# version=latest (§13.4, §31 #105)
# ======================================================================================

LATEST_ROWS: list[tuple[str, str, str | None, dict[str, Any]]] = [
    ("user1", "group1", "1.0", {"int1": 2050, "tags": ["t"]}),
    ("user1", "group1", "20.0", {}),
    ("user1", "group1", "2.0.0", {"int1": 2050}),
    ("user1", "group1", "2.0.1-beta", {"tags": ["t"]}),
    ("user1", "group1", "2.0.1", {}),
    ("user1", "group2", "1", {"int1": 2050}),
    ("user1", "group2", "1000.0.1-beta", {}),
    ("user1", "group2", "99.0", {"int1": 2050}),
    ("user1", "group2", "1000.0.1-alpha", {"tags": ["t"]}),
    ("user1", "group2", "1000.0.1", {}),
    ("user1", "group3", "1.0", {}),
    ("user2", "group3", "5.0", {}),
    ("user1", "group4", "3.0", {}),
    ("user2", "group4", "3.0", {}),
]


@pytest.fixture(scope="module")
def latest_data(
    glare_template_db: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """LATEST_ROWS; then group1 20.0.0 is activated and group2 99.0.0 activated and
    published (so anonymous callers see exactly that one)."""
    app, who, ids, order = build_shared(
        glare_template_db, tmp_path_factory.mktemp("listing-latest"), LATEST_ROWS
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine_context(app), "clock", lambda: dt.datetime(2020, 1, 1, 2, 0, 0))
        activate(who["user1"], ids["user1:group1@20.0.0"])
        activate(who["user1"], ids["user1:group2@99.0.0"])
        publish(who["admin"], ids["user1:group2@99.0.0"])
    yield {"clients": who, "ids": ids, "order": order}
    app.extensions["glare"].database.dispose()


LATEST_CASES = [
    # §31 #105
    ("user1", "version=latest&sort=name:asc",
     ["group1@20.0.0", "group2@1000.0.1", "group3@1.0.0", "group4@3.0.0"]),
    ("user1", "sort=name:asc&version=latest",
     ["group1@20.0.0", "group2@1000.0.1", "group3@1.0.0", "group4@3.0.0"]),
    ("user1", "version=latest&status=drafted&sort=name:asc",
     ["group1@2.0.1", "group2@1000.0.1", "group3@1.0.0", "group4@3.0.0"]),
    ("user1", "version=latest&int1=2050&sort=name:asc", ["group1@2.0.0", "group2@99.0.0"]),
    ("user1", "version=latest&name=group1", ["group1@20.0.0"]),
    ("user1", "name=group2&version=latest", ["group2@1000.0.1"]),
    ("user1", "version=latest&name=nothing", []),
    # latest after the other filters, including version ranges
    ("user1", "version=latest&name=in:group1,group2&version=lt:20&sort=name:asc",
     ["group1@2.0.1", "group2@1.0.0"]),
    ("user1", "version=latest&tags=t&sort=name:asc",
     ["group1@2.0.1-beta", "group2@1000.0.1-alpha"]),
    ("user1", "version=latest&status=active&sort=name:asc", ["group1@20.0.0", "group2@99.0.0"]),
    ("user1", "version=latest&sort=version:desc",
     ["group2@1000.0.1", "group1@20.0.0", "group4@3.0.0", "group3@1.0.0"]),
    ("user1", "version=latest&sort=version:asc",
     ["group3@1.0.0", "group4@3.0.0", "group1@20.0.0", "group2@1000.0.1"]),
    # computed within the caller's visible set (§13.4)
    ("user2", "version=latest&sort=name:asc", ["group2@99.0.0", "group3@5.0.0", "group4@3.0.0"]),
    ("anonymous", "version=latest", ["group2@99.0.0"]),
    # admin: user2's group3 5.0.0 wins; both group4 3.0.0 are highest (created_at desc)
    ("admin", "version=latest&sort=name:asc",
     ["group1@20.0.0", "group2@1000.0.1", "group3@5.0.0", "group4@3.0.0", "group4@3.0.0"]),
    ("admin", "version=latest&owner=p1&sort=name:asc",
     ["group1@20.0.0", "group2@1000.0.1", "group3@1.0.0", "group4@3.0.0"]),
]


@pytest.mark.parametrize(("who", "raw", "expected"), LATEST_CASES)
def test_version_latest(latest_data, who, raw, expected):
    body = ok(latest_data["clients"][who], raw)
    assert labels(body) == expected
    assert body["total_count"] == len(expected)


def test_latest_ties_are_all_returned(latest_data):
    """Both group4 3.0.0 artifacts (user1's and user2's) are the highest: both listed."""
    ids = latest_data["ids"]
    body = ok(latest_data["clients"]["admin"], "version=latest&name=group4")
    assert [item["id"] for item in body["artifacts"]] == [
        ids["user2:group4@3.0.0"], ids["user1:group4@3.0.0"]
    ]
    assert body["total_count"] == 2


def test_latest_pagination_and_links(latest_data):
    client, ids = latest_data["clients"]["user1"], latest_data["ids"]
    body = fetch(client, f"{SAMPLE_URL}?version=latest&sort=name:asc&limit=1")
    query = "version=latest&sort=name%3Aasc&limit=1"
    assert labels(body) == ["group1@20.0.0"]
    assert body["total_count"] == 4
    assert body["first"] == f"/artifacts/sample_artifact?{query}"
    assert body["next"] == f"/artifacts/sample_artifact?{query}&marker={ids['user1:group1@20.0.0']}"
    seen = labels(body)
    while "next" in body:
        body = fetch(client, body["next"])
        assert body["total_count"] == 4
        seen += labels(body)
    assert seen == ["group1@20.0.0", "group2@1000.0.1", "group3@1.0.0", "group4@3.0.0"]
    body = fetch(
        client,
        f"{SAMPLE_URL}?version=latest&sort=name:asc&marker={ids['user1:group2@1000.0.1']}",
    )
    assert labels(body) == ["group3@1.0.0", "group4@3.0.0"]
    assert body["total_count"] == 4


# ======================================================================================
# The ``all`` pseudo-type (§18, §29.7, §31 #28, #139-#141)
# ======================================================================================

ALL_ROWS: list[tuple[str, str, str | None, dict[str, Any]]] = [
    *[("user1", name, version, {"tags": ["top"]} if version == "2" else {})
      for name in ("aaa", "bbb", "ccc") for version in ("0", "1", "2")],
    ("user2", "aaa", "5.0", {}),
    ("user2", "ddd", "1.0", {}),
]
USER1_ALL_CREATED = [f"{n}@{v}.0.0" for n in ("aaa", "bbb", "ccc") for v in "012"]


@pytest.fixture(scope="module")
def all_data(
    glare_template_db: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """ALL_ROWS; user1's ccc 2.0.0 is activated (01:00) and published by admin (01:01)."""
    app, who, ids, order = build_shared(
        glare_template_db, tmp_path_factory.mktemp("listing-all"), ALL_ROWS
    )
    clock = Clock()
    clock.now = dt.datetime(2020, 1, 1, 1, 0, 0)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine_context(app), "clock", clock)
        activate(who["user1"], ids["user1:ccc@2.0.0"])
        clock.tick(minutes=1)
        publish(who["admin"], ids["user1:ccc@2.0.0"])
    yield {"clients": who, "ids": ids, "order": order}
    app.extensions["glare"].database.dispose()


def all_default(names: list[str]) -> list[str]:
    """user1's labels in the default order (created_at desc)."""
    return sorted(names, key=USER1_ALL_CREATED.index, reverse=True)


ALL_CASES = [
    # §31 #139
    ("sort=name:asc&limit=100",
     ["aaa@2.0.0", "aaa@1.0.0", "aaa@0.0.0", "bbb@2.0.0", "bbb@1.0.0", "bbb@0.0.0",
      "ccc@2.0.0", "ccc@1.0.0", "ccc@0.0.0"]),
    ("version=latest&sort=name:asc", ["aaa@2.0.0", "bbb@2.0.0", "ccc@2.0.0"]),
    ("type_name=sample_artifact", all_default(USER1_ALL_CREATED)),
    ("type_name=eq:sample_artifact", all_default(USER1_ALL_CREATED)),
    ("type_name=images", []),
    ("type_name=in:images,sample_artifact", all_default(USER1_ALL_CREATED)),
    ("type_name=in:images,heat_templates", []),
    ("type_name=like:sample%", all_default(USER1_ALL_CREATED)),
    ("type_name=like:heat%", []),
    ("type_name=neq:sample_artifact", []),
    ("type_name=neq:images", all_default(USER1_ALL_CREATED)),
    ("display_type_name=like:Sample%", all_default(USER1_ALL_CREATED)),
    ("display_type_name=like:Heat%", []),
    ("display_type_name=Sample Artifact", all_default(USER1_ALL_CREATED)),
    ("display_type_name=in:Images,All Artifacts", []),
    # sorting on type_name / display_type_name (all equal here: tie-breakers decide)
    ("sort=type_name:asc", all_default(USER1_ALL_CREATED)),
    ("sort=type_name:desc", all_default(USER1_ALL_CREATED)),
    ("sort=type_name:asc,name:desc,version:asc",
     ["ccc@0.0.0", "ccc@1.0.0", "ccc@2.0.0", "bbb@0.0.0", "bbb@1.0.0", "bbb@2.0.0",
      "aaa@0.0.0", "aaa@1.0.0", "aaa@2.0.0"]),
    ("sort=display_type_name:asc", all_default(USER1_ALL_CREATED)),
    ("sort=display_type_name:desc,version:asc,name:asc",
     ["aaa@0.0.0", "bbb@0.0.0", "ccc@0.0.0", "aaa@1.0.0", "bbb@1.0.0", "ccc@1.0.0",
      "aaa@2.0.0", "bbb@2.0.0", "ccc@2.0.0"]),
    ("sort=version:desc,name:asc",
     ["aaa@2.0.0", "bbb@2.0.0", "ccc@2.0.0", "aaa@1.0.0", "bbb@1.0.0", "ccc@1.0.0",
      "aaa@0.0.0", "bbb@0.0.0", "ccc@0.0.0"]),
    ("sort=status:asc,name:asc",
     ["ccc@2.0.0", "aaa@2.0.0", "aaa@1.0.0", "aaa@0.0.0", "bbb@2.0.0", "bbb@1.0.0",
      "bbb@0.0.0", "ccc@1.0.0", "ccc@0.0.0"]),
    ("sort=updated_at:desc", ["ccc@2.0.0", *all_default(USER1_ALL_CREATED[:-1])]),
    # base-field filters on all
    ("name=bbb&version=gte:1", ["bbb@2.0.0", "bbb@1.0.0"]),
    ("tags=top&sort=name:desc", ["ccc@2.0.0", "bbb@2.0.0", "aaa@2.0.0"]),
    ("visibility=public", ["ccc@2.0.0"]),
    ("name=or:aaa&version=or:1&sort=name:asc,version:asc",
     ["aaa@0.0.0", "aaa@1.0.0", "aaa@2.0.0", "bbb@1.0.0", "ccc@1.0.0"]),
    ("version=latest&name=in:aaa,bbb&version=lt:2&sort=name:asc", ["aaa@1.0.0", "bbb@1.0.0"]),
    ("version=latest&type_name=sample_artifact&sort=name:desc",
     ["ccc@2.0.0", "bbb@2.0.0", "aaa@2.0.0"]),
]


@pytest.mark.parametrize(("raw", "expected"), ALL_CASES)
def test_all_listing(all_data, raw, expected):
    body = ok(all_data["clients"]["user1"], raw, "all")
    assert labels(body) == expected
    assert body["total_count"] == len(expected)
    assert body["type_name"] == "all"
    assert body["schema"] == "/schemas/all"
    assert {item["type_name"] for item in body["artifacts"]} <= {SAMPLE}


ALL_SCOPED = [
    # §31 #28: each caller sees own + public; admin sees everything
    ("user1", "sort=name:asc,version:asc",
     ["aaa@0.0.0", "aaa@1.0.0", "aaa@2.0.0", "bbb@0.0.0", "bbb@1.0.0", "bbb@2.0.0",
      "ccc@0.0.0", "ccc@1.0.0", "ccc@2.0.0"]),
    ("user2", "sort=name:asc,version:asc", ["aaa@5.0.0", "ccc@2.0.0", "ddd@1.0.0"]),
    ("anonymous", "sort=name:asc", ["ccc@2.0.0"]),
    ("admin", "sort=name:asc,version:asc",
     ["aaa@0.0.0", "aaa@1.0.0", "aaa@2.0.0", "aaa@5.0.0", "bbb@0.0.0", "bbb@1.0.0",
      "bbb@2.0.0", "ccc@0.0.0", "ccc@1.0.0", "ccc@2.0.0", "ddd@1.0.0"]),
    ("admin", "version=latest&sort=name:asc", ["aaa@5.0.0", "bbb@2.0.0", "ccc@2.0.0", "ddd@1.0.0"]),
    ("user2", "version=latest&sort=name:asc", ["aaa@5.0.0", "ccc@2.0.0", "ddd@1.0.0"]),
    ("admin", "owner=p2&sort=name:asc", ["aaa@5.0.0", "ddd@1.0.0"]),
    ("user1", "owner=p2", []),
    ("admin", "sort=owner:desc,name:asc,version:desc",
     ["aaa@5.0.0", "ddd@1.0.0", "aaa@2.0.0", "aaa@1.0.0", "aaa@0.0.0", "bbb@2.0.0",
      "bbb@1.0.0", "bbb@0.0.0", "ccc@2.0.0", "ccc@1.0.0", "ccc@0.0.0"]),
]


@pytest.mark.parametrize(("who", "raw", "expected"), ALL_SCOPED)
def test_all_listing_is_scoped(all_data, who, raw, expected):
    body = ok(all_data["clients"][who], raw, "all")
    assert labels(body) == expected
    assert body["total_count"] == len(expected)


def test_all_items_have_base_fields_and_type_name(all_data):
    """§18: base fields + type_name through the type's format-for-all hook; no type fields."""
    client, ids = all_data["clients"]["user1"], all_data["ids"]
    body = ok(client, "name=bbb&version=1", "all")
    [item] = body["artifacts"]
    typed = client.show(SAMPLE, ids["user1:bbb@1.0.0"])
    expected = {key: typed[key] for key in BASE_FIELDS}
    expected.update(type_name=SAMPLE, __some_meta_information__="BBB")
    assert item == expected
    assert item["display_type_name"] == "Sample Artifact"


@pytest.mark.parametrize("limit", [2, 4, 9])
def test_all_pagination(all_data, limit):
    client = all_data["clients"]["user1"]
    expected = ["aaa@0.0.0", "aaa@1.0.0", "aaa@2.0.0", "bbb@0.0.0", "bbb@1.0.0",
                "bbb@2.0.0", "ccc@0.0.0", "ccc@1.0.0", "ccc@2.0.0"]
    url = f"{ALL_URL}?sort=name:asc,version:asc&limit={limit}"
    pages = [fetch(client, url)]
    while "next" in pages[-1]:
        pages.append(fetch(client, pages[-1]["next"]))
    chunks = [expected[i:i + limit] for i in range(0, len(expected), limit)]
    if len(chunks[-1]) == limit:
        chunks.append([])
    assert [labels(page) for page in pages] == chunks
    first = f"/artifacts/all?sort=name%3Aasc%2Cversion%3Aasc&limit={limit}"
    for page in pages:
        assert page["first"] == first
        assert page["total_count"] == 9
        if len(page["artifacts"]) == limit:
            assert page["next"] == f"{first}&marker={page['artifacts'][-1]['id']}"


def test_all_pagination_helper_agrees(all_data):
    """The generic page check (next iff full, consecutive slices) on ``all``, limit 1."""
    client = all_data["clients"]["user2"]
    pages = [fetch(client, f"{ALL_URL}?sort=name:asc&limit=1")]
    while "next" in pages[-1]:
        pages.append(fetch(client, pages[-1]["next"]))
    for page in pages:
        for item in page["artifacts"]:
            item["name"] = f"{item['name']}@{item['version']}"
    assert_pages(pages, ["aaa@5.0.0", "ccc@2.0.0", "ddd@1.0.0"], 1)


def test_all_marker(all_data):
    client, ids = all_data["clients"]["user1"], all_data["ids"]
    body = fetch(
        client, f"{ALL_URL}?sort=name:asc,version:asc&marker={ids['user1:bbb@2.0.0']}"
    )
    assert labels(body) == ["ccc@0.0.0", "ccc@1.0.0", "ccc@2.0.0"]
    assert body["total_count"] == 9
    # user2's private artifact is not a valid marker for user1; unknown ids neither
    for marker in (ids["user2:ddd@1.0.0"], "00000000-0000-4000-8000-000000000000"):
        response = client.get(f"{ALL_URL}?sort=name:asc&marker={marker}")
        assert response.status_code == 404


def test_all_empty_result_exact(all_data):
    assert ok(all_data["clients"]["user1"], "name=zzz", "all") == {
        "first": "/artifacts/all?name=zzz",
        "artifacts": [],
        "schema": "/schemas/all",
        "type_name": "all",
        "total_count": 0,
    }


BAD_ALL_QUERIES = [
    # type-specific fields do not exist on ``all``
    "int1=1",
    "str1=x",
    "dict_of_str.pr1=val1",
    "list_of_str=aaa",
    "sort=int1",
    "sort=system_attribute:asc",
    "sort=type_name:up",
    "sort=tags",
    "type_name=gt:a",
    "type_name.x=a",
    "display_type_name=gt:a",
    "description=x",
    "limit=-1",
    "limit=x",
    "version=bad",
    "tags=eq:top",
]


@pytest.mark.parametrize("raw", BAD_ALL_QUERIES)
def test_bad_all_queries_are_400(all_data, raw):
    assert_bad_request(all_data["clients"]["user1"], raw, "all")
