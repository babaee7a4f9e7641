"""Listing: sorting, limit/marker pagination, first/next links and total_count
(contract §7.2, §15.4, §15.5, §30 Q6/Q7, §31 #89-#91, #103, #107, #108, #114).

Most tests read one shared data set built with a controlled clock, so ``created_at`` (and
with it the implicit tie-breaker ``created_at desc``) is known in advance; every expected
order below is derived by hand from the contract's sort rules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from glare_core.testing import GlareClient
from tests.api.helpers import (
    Clock,
    activate,
    assert_bad_request,
    assert_pages,
    build_app,
    callers,
    encode_query,
    engine_context,
    fetch,
    list_ok,
    names_of,
    publish,
)
from tests.conftest import SAMPLE, SAMPLE_URL


@pytest.fixture
def extra_settings() -> dict[str, Any]:
    """Anonymous access on; tests may add settings with indirect parametrize."""
    return {"GLARE_ALLOW_ANONYMOUS": True}


# ---- the shared data set -----------------------------------------------------------------
# Creation order (clock 2020-01-01T00:00, +1 minute each):
#   00:00 kilo   int1=20   float1=1.0  str1=b      (user1)
#   00:01 alpha  int1=10   float1=2.5  str1=a      (user1)  activated at 01:00
#   00:02 echo   int1=20   float1=1.0  str1=null   (user1)
#   00:03 bravo  int1=null float1=1.0  str1=c      (user1)
#   00:04 delta  int1=30   float1=null str1=a      (user1)  activated 01:01, published 01:02
#   00:05 charlie int1=null float1=null str1=b     (user1)
#   00:06 zulu   (user2, private)
#   00:07 yankee (admin, private)
# user1 sees the first six; user2 sees delta and zulu; admin sees all eight.

ROWS = [
    ("user1", "kilo", {"int1": 20, "float1": 1.0, "str1": "b"}),
    ("user1", "alpha", {"int1": 10, "float1": 2.5, "str1": "a"}),
    ("user1", "echo", {"int1": 20, "float1": 1.0}),
    ("user1", "bravo", {"float1": 1.0, "str1": "c"}),
    ("user1", "delta", {"int1": 30, "str1": "a"}),
    ("user1", "charlie", {"str1": "b"}),
    ("user2", "zulu", {}),
    ("admin", "yankee", {}),
]
USER1_NAMES = [name for who, name, _ in ROWS if who == "user1"]
CREATED_DESC = list(reversed(USER1_NAMES))  # charlie, delta, bravo, echo, alpha, kilo


@pytest.fixture(scope="module")
def shared(
    glare_template_db: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    app = build_app(glare_template_db, tmp_path_factory.mktemp("listing-sort"))
    who = callers(app)
    ids: dict[str, str] = {}
    clock = Clock()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine_context(app), "clock", clock)
        for owner, name, values in ROWS:
            ids[name] = who[owner].create(SAMPLE, name=name, **values)["id"]
            clock.tick(minutes=1)
        clock.now = dt.datetime(2020, 1, 1, 1, 0, 0)
        activate(who["user1"], ids["alpha"])
        clock.tick(minutes=1)
        activate(who["user1"], ids["delta"])
        clock.tick(minutes=1)
        publish(who["admin"], ids["delta"])
    yield {"clients": who, "ids": ids}
    app.extensions["glare"].database.dispose()


@pytest.fixture
def reader(shared: dict[str, Any]) -> GlareClient:
    return shared["clients"]["user1"]


@pytest.fixture
def ids(shared: dict[str, Any]) -> dict[str, str]:
    return shared["ids"]


def walk(client: GlareClient, raw: str, limit: int) -> list[dict[str, Any]]:
    """Follow ``next`` links from the first page; return every page body."""
    url = f"{SAMPLE_URL}?{encode_query(raw) + '&' if raw else ''}limit={limit}"
    pages = [fetch(client, url)]
    while "next" in pages[-1]:
        assert len(pages) < 20, "pagination does not end"
        pages.append(fetch(client, pages[-1]["next"]))
    return pages


# ---- sort orders (§15.4, §30 Q7, §31 #103) --------------------------------------------------

USER1_ORDERS = [
    # no sort: created_at desc, id asc
    ("", CREATED_DESC),
    ("sort=name:asc", ["alpha", "bravo", "charlie", "delta", "echo", "kilo"]),
    ("sort=name:desc", ["kilo", "echo", "delta", "charlie", "bravo", "alpha"]),
    # default direction is desc
    ("sort=name", ["kilo", "echo", "delta", "charlie", "bravo", "alpha"]),
    # ties (kilo/echo int1=20) by created_at desc; nulls last asc / first desc (Q7)
    ("sort=int1:asc", ["alpha", "echo", "kilo", "delta", "charlie", "bravo"]),
    ("sort=int1:desc", ["charlie", "bravo", "delta", "echo", "kilo", "alpha"]),
    ("sort=int1", ["charlie", "bravo", "delta", "echo", "kilo", "alpha"]),
    ("sort=int1:asc,name:asc", ["alpha", "echo", "kilo", "delta", "bravo", "charlie"]),
    # a repeated key changes nothing: the first occurrence decides
    ("sort=int1:asc,int1:desc,name:asc,int1:asc",
     ["alpha", "echo", "kilo", "delta", "bravo", "charlie"]),
    ("sort=" + ",".join(["name:asc"] * 600), ["alpha", "bravo", "charlie", "delta", "echo",
                                              "kilo"]),
    ("sort=int1:asc,name:desc", ["alpha", "kilo", "echo", "delta", "charlie", "bravo"]),
    ("sort=int1:desc,name:asc", ["bravo", "charlie", "delta", "echo", "kilo", "alpha"]),
    ("sort=float1:asc", ["bravo", "echo", "kilo", "alpha", "charlie", "delta"]),
    ("sort=float1:desc", ["charlie", "delta", "alpha", "bravo", "echo", "kilo"]),
    ("sort=float1:asc,name:desc", ["kilo", "echo", "bravo", "alpha", "delta", "charlie"]),
    ("sort=str1:asc", ["delta", "alpha", "charlie", "kilo", "bravo", "echo"]),
    ("sort=str1:desc", ["echo", "bravo", "charlie", "kilo", "delta", "alpha"]),
    ("sort=str1:asc,name:asc", ["alpha", "delta", "charlie", "kilo", "bravo", "echo"]),
    # a type key after base keys
    ("sort=name:asc,int1:desc", ["alpha", "bravo", "charlie", "delta", "echo", "kilo"]),
    ("sort=status:desc,int1:asc", ["echo", "kilo", "charlie", "bravo", "alpha", "delta"]),
    # base keys
    ("sort=created_at:asc", USER1_NAMES),
    ("sort=created_at:desc", CREATED_DESC),
    ("sort=created_at", CREATED_DESC),
    ("sort=updated_at:desc", ["delta", "alpha", "charlie", "bravo", "echo", "kilo"]),
    ("sort=updated_at:asc", ["kilo", "echo", "bravo", "charlie", "alpha", "delta"]),
    ("sort=status:asc", ["delta", "alpha", "charlie", "bravo", "echo", "kilo"]),
    ("sort=status:desc,name:asc", ["bravo", "charlie", "echo", "kilo", "alpha", "delta"]),
    ("sort=visibility:asc,name:asc", ["alpha", "bravo", "charlie", "echo", "kilo", "delta"]),
    ("sort=visibility:desc", ["delta", "charlie", "bravo", "echo", "alpha", "kilo"]),
    ("sort=status:asc,visibility:desc,name:desc",
     ["delta", "alpha", "kilo", "echo", "charlie", "bravo"]),
    ("status=active&sort=activated_at:asc", ["alpha", "delta"]),
    ("status=active&sort=activated_at:desc", ["delta", "alpha"]),
    ("sort=display_type_name:asc", CREATED_DESC),
    ("sort=display_type_name:desc,name:asc",
     ["alpha", "bravo", "charlie", "delta", "echo", "kilo"]),
    ("sort=owner:asc", CREATED_DESC),
    # system_attribute: sortable type field, same value everywhere
    ("sort=system_attribute:asc", CREATED_DESC),
    ("sort=system_attribute:desc,name:asc",
     ["alpha", "bravo", "charlie", "delta", "echo", "kilo"]),
    # filters + sort
    ("int1=gte:20&sort=int1:asc", ["echo", "kilo", "delta"]),
    ("str1=neq:c&sort=str1:desc,name:desc", ["kilo", "charlie", "delta", "alpha"]),
]


@pytest.mark.parametrize(("raw", "expected"), USER1_ORDERS)
def test_sort_order(reader, raw, expected):
    body = list_ok(reader, raw)
    assert names_of(body) == expected
    assert body["total_count"] == len(expected)
    assert "next" not in body


@pytest.mark.parametrize("limit", [1, 2, 4])
@pytest.mark.parametrize(("raw", "expected"), USER1_ORDERS)
def test_pagination_walk_follows_sort_order(reader, raw, expected, limit):
    """§31 #89/#91: following ``next`` visits every artifact once, in sort order."""
    assert_pages(walk(reader, raw, limit), expected, limit)


def test_sort_by_id(reader, ids):
    user1_ids = sorted(ids[name] for name in USER1_NAMES)
    for raw, ordered in (("sort=id:asc", user1_ids), ("sort=id:desc", user1_ids[::-1]),
                         ("sort=id", user1_ids[::-1])):
        body = list_ok(reader, raw)
        assert [item["id"] for item in body["artifacts"]] == ordered
        assert body["total_count"] == 6
    pages = walk(reader, "sort=id:asc", 4)
    assert [item["id"] for page in pages for item in page["artifacts"]] == user1_ids


ADMIN_ORDERS = [
    ("sort=name:asc",
     ["alpha", "bravo", "charlie", "delta", "echo", "kilo", "yankee", "zulu"]),
    # owners: admin-project < p1 < p2
    ("sort=owner:asc,name:asc",
     ["yankee", "alpha", "bravo", "charlie", "delta", "echo", "kilo", "zulu"]),
    ("sort=owner:desc", ["zulu", *CREATED_DESC, "yankee"]),
    ("", ["yankee", "zulu", *CREATED_DESC]),
]


@pytest.mark.parametrize("limit", [3, 25])
@pytest.mark.parametrize(("raw", "expected"), ADMIN_ORDERS)
def test_admin_sorts_and_pages_over_every_project(shared, raw, expected, limit):
    assert_pages(walk(shared["clients"]["admin"], raw, limit), expected, limit)


@pytest.mark.parametrize(("who", "expected"), [
    ("user2", ["delta", "zulu"]),
    ("anonymous", ["delta"]),
])
def test_other_callers_page_over_their_visible_set(shared, who, expected):
    assert_pages(walk(shared["clients"][who], "sort=name:asc", 1), expected, 1)


BAD_SORTS = [
    # §31 #103
    "sort=bool1:asc",
    "sort=bool1",
    "sort=NOTEXIST",
    "sort=notexist:asc",
    "sort=name:invalid_op",
    "sort=name:ASC",
    "sort=name:asc:desc",
    "sort=name:",  # an empty direction is not the default one
    "sort=list_of_int",
    "sort=list_of_str:asc",
    "sort=dict_of_int",
    "sort=dict_of_int.one",
    "sort=dict_of_str.pr1:asc",
    "sort=metadata",
    "sort=metadata.team:asc",
    "sort=tags",
    "sort=description:asc",
    "sort=blob",
    "sort=small_blob:asc",
    "sort=dict_of_blobs",
    "sort=link1",
    "sort=string_mutable",
    "sort=string_required:asc",
    "sort=string_regex",
    "sort=int_validators",
    "sort=metadata_attribute",
    "sort=type_name:asc",
    "sort=__some_meta_information__",
    # at most one type-specific key (§15.4)
    "sort=int1,float1",
    "sort=int1:asc,float1:desc",
    "sort=str1:asc,int2:asc",
    "sort=system_attribute:asc,int1:asc",
    "sort=name:asc,int1:asc,float1:asc",
    "sort=float2,name,str1",
    # empty keys
    "sort=",
    "sort=name:asc,",
    "sort=,name",
    "sort=:asc",
    # invalid key in otherwise valid lists
    "sort=name:asc,bool1:desc",
    "sort=name:asc,int1:up",
]


@pytest.mark.parametrize("raw", BAD_SORTS)
def test_bad_sort_is_400(reader, raw):
    assert_bad_request(reader, raw)


# ---- markers (§15.5, §31 #90) ---------------------------------------------------------------

MARKER_CASES = [
    # (sort query, marker name, names after it)
    ("sort=name:asc", "bravo", ["charlie", "delta", "echo", "kilo"]),
    ("sort=name:desc", "bravo", ["alpha"]),
    ("sort=name:asc", "kilo", []),
    ("", "bravo", ["echo", "alpha", "kilo"]),
    # §31 #90: int1 asc / desc, float1 asc with equal values, name desc
    ("sort=int1:asc", "echo", ["kilo", "delta", "charlie", "bravo"]),
    ("sort=int1:desc", "echo", ["kilo", "alpha"]),
    ("sort=float1:asc,name:desc", "echo", ["bravo", "alpha", "delta", "charlie"]),
    # markers on null values (nulls last asc, first desc)
    ("sort=int1:asc", "charlie", ["bravo"]),
    ("sort=int1:asc", "bravo", []),
    ("sort=int1:desc", "charlie", ["bravo", "delta", "echo", "kilo", "alpha"]),
    ("sort=int1:desc", "bravo", ["delta", "echo", "kilo", "alpha"]),
    ("sort=str1:desc", "echo", ["bravo", "charlie", "kilo", "delta", "alpha"]),
    ("sort=float1:asc", "charlie", ["delta"]),
    # the marker need not match the filters: results start after its position
    ("name=neq:bravo&sort=name:asc", "bravo", ["charlie", "delta", "echo", "kilo"]),
    ("int1=gte:20&sort=int1:asc", "alpha", ["echo", "kilo", "delta"]),
    ("status=drafted&sort=updated_at:desc", "alpha", ["charlie", "bravo", "echo", "kilo"]),
]


@pytest.mark.parametrize(("raw", "marker", "expected"), MARKER_CASES)
def test_marker_starts_strictly_after(reader, ids, raw, marker, expected):
    query = f"{encode_query(raw)}&" if raw else ""
    body = fetch(reader, f"{SAMPLE_URL}?{query}marker={ids[marker]}")
    assert names_of(body) == expected
    # total_count ignores marker and limit
    total = list_ok(reader, raw)["total_count"]
    assert body["total_count"] == total


def test_marker_of_other_visible_artifact(shared):
    """user2 may use the public delta as a marker; admin any artifact."""
    ids = shared["ids"]
    user2, admin = shared["clients"]["user2"], shared["clients"]["admin"]
    body = fetch(user2, f"{SAMPLE_URL}?sort=name:asc&marker={ids['delta']}")
    assert names_of(body) == ["zulu"]
    assert body["total_count"] == 2
    body = fetch(admin, f"{SAMPLE_URL}?sort=name:asc&marker={ids['kilo']}")
    assert names_of(body) == ["yankee", "zulu"]
    assert body["total_count"] == 8


@pytest.mark.parametrize(("who", "marker"), [
    ("user1", "00000000-0000-4000-8000-000000000000"),
    ("user1", "not-a-uuid"),
    ("admin", "00000000-0000-4000-8000-000000000000"),
    # invisible markers are unknown (§12.1)
    ("user2", "kilo"),
    ("user1", "zulu"),
    ("user1", "yankee"),
    ("anonymous", "kilo"),
    ("anonymous", "zulu"),
])
def test_unknown_or_invisible_marker_is_404(shared, who, marker):
    marker_id = shared["ids"].get(marker, marker)
    response = shared["clients"][who].get(f"{SAMPLE_URL}?sort=name:asc&marker={marker_id}")
    assert response.status_code == 404, response.get_data(as_text=True)
    assert response.get_json()["code"] == 404


def test_marker_of_deleted_artifact_is_404(user1):
    gone = user1.create(SAMPLE, name="gone")
    user1.create(SAMPLE, name="kept")
    assert user1.delete(f"{SAMPLE_URL}/{gone['id']}").status_code == 204
    response = user1.get(f"{SAMPLE_URL}?marker={gone['id']}")
    assert response.status_code == 404


# ---- limit (§7.2) ---------------------------------------------------------------------------


@pytest.mark.parametrize("limit", ["abc", "-1", "-25", "1.5", "", "1e3", "0x10", "ten",
                                   "1_0", "\u0663", "\u2460"])
def test_bad_limit_is_400(reader, limit):
    response = reader.get(f"{SAMPLE_URL}?limit={limit}")
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.get_json()["code"] == 400


def test_limit_zero_is_an_empty_page(reader):
    body = fetch(reader, f"{SAMPLE_URL}?limit=0&sort=name:asc")
    assert body == {
        "first": "/artifacts/sample_artifact?limit=0&sort=name%3Aasc",
        "artifacts": [],
        "schema": "/schemas/sample_artifact",
        "type_name": "sample_artifact",
        "total_count": 6,
    }


def test_limit_larger_than_result(reader):
    body = fetch(reader, f"{SAMPLE_URL}?limit=7&sort=name:asc")
    assert names_of(body) == ["alpha", "bravo", "charlie", "delta", "echo", "kilo"]
    assert "next" not in body
    assert body["total_count"] == 6


def test_limit_equal_to_result_has_next_then_empty_page(reader, ids):
    """``next`` is present whenever the page is full, even if nothing follows."""
    body = fetch(reader, f"{SAMPLE_URL}?limit=6&sort=name:asc")
    assert names_of(body) == ["alpha", "bravo", "charlie", "delta", "echo", "kilo"]
    assert body["next"] == (
        f"/artifacts/sample_artifact?limit=6&sort=name%3Aasc&marker={ids['kilo']}"
    )
    last = fetch(reader, body["next"])
    assert last == {
        "first": "/artifacts/sample_artifact?limit=6&sort=name%3Aasc",
        "artifacts": [],
        "schema": "/schemas/sample_artifact",
        "type_name": "sample_artifact",
        "total_count": 6,
    }


def test_default_limit_is_25_and_max_is_1000(user1):
    """§7.2: default page size 25; values above 1000 are capped (26 artifacts fit)."""
    created = [user1.create(SAMPLE, name=f"a{i:02d}")["id"] for i in range(26)]
    body = list_ok(user1, "sort=name:asc")
    assert names_of(body) == [f"a{i:02d}" for i in range(25)]
    assert body["total_count"] == 26
    assert body["first"] == "/artifacts/sample_artifact?sort=name%3Aasc"
    assert body["next"] == f"/artifacts/sample_artifact?sort=name%3Aasc&marker={created[24]}"
    body = fetch(user1, body["next"])
    assert names_of(body) == ["a25"]
    assert "next" not in body
    body = list_ok(user1, "sort=name:asc&limit=5000")
    assert len(body["artifacts"]) == 26
    assert "next" not in body
    assert body["first"] == "/artifacts/sample_artifact?sort=name%3Aasc&limit=5000"


@pytest.mark.parametrize(
    "glare_settings",
    [{"GLARE_DEFAULT_API_LIMIT": 2, "GLARE_MAX_API_LIMIT": 3}],
    indirect=True,
)
def test_configured_default_and_max_limit(user1):
    """Values above the max limit are silently capped; the effective limit decides ``next``."""
    made = [user1.create(SAMPLE, name=f"n{i}")["id"] for i in range(5)]
    body = list_ok(user1, "sort=name:asc")
    assert names_of(body) == ["n0", "n1"]
    assert body["next"] == f"/artifacts/sample_artifact?sort=name%3Aasc&marker={made[1]}"
    body = list_ok(user1, "sort=name:asc&limit=1000")
    assert names_of(body) == ["n0", "n1", "n2"]
    assert body["total_count"] == 5
    assert body["next"] == (
        f"/artifacts/sample_artifact?sort=name%3Aasc&limit=1000&marker={made[2]}"
    )
    body = fetch(user1, body["next"])
    assert names_of(body) == ["n3", "n4"]
    assert "next" not in body


# ---- first / next link strings (§7.2, §30 Q6, §31 #107) -------------------------------------


def test_links_exact(reader, ids):
    """§31 #89: limit=1&sort=int1:asc,name:desc → first item and a next link."""
    body = fetch(reader, f"{SAMPLE_URL}?limit=1&sort=int1:asc,name:desc")
    assert names_of(body) == ["alpha"]
    assert body["first"] == "/artifacts/sample_artifact?limit=1&sort=int1%3Aasc%2Cname%3Adesc"
    assert body["next"] == (
        "/artifacts/sample_artifact?limit=1&sort=int1%3Aasc%2Cname%3Adesc"
        f"&marker={ids['alpha']}"
    )
    assert body["total_count"] == 6
    body = fetch(reader, body["next"])
    assert names_of(body) == ["kilo"]
    assert body["next"] == (
        "/artifacts/sample_artifact?limit=1&sort=int1%3Aasc%2Cname%3Adesc"
        f"&marker={ids['kilo']}"
    )
    assert body["total_count"] == 6


def test_links_keep_every_value_of_repeated_parameters(reader, ids):
    """§30 Q6: every value of a repeated parameter is kept, in the original order."""
    query = "int1=gt%3A1&int1=lt%3A100&name=neq%3Akilo&name=neq%3Aecho&limit=1&sort=name%3Aasc"
    body = fetch(
        reader,
        f"{SAMPLE_URL}?int1=gt:1&int1=lt:100&name=neq:kilo&name=neq:echo&limit=1&sort=name:asc",
    )
    assert names_of(body) == ["alpha"]
    assert body["total_count"] == 2  # alpha, delta
    assert body["first"] == f"/artifacts/sample_artifact?{query}"
    assert body["next"] == f"/artifacts/sample_artifact?{query}&marker={ids['alpha']}"
    body = fetch(reader, body["next"])
    assert names_of(body) == ["delta"]
    assert body["next"] == f"/artifacts/sample_artifact?{query}&marker={ids['delta']}"
    body = fetch(reader, body["next"])
    assert body["artifacts"] == []
    assert body["first"] == f"/artifacts/sample_artifact?{query}"
    assert "next" not in body
    # the values of one parameter keep their relative order
    body = fetch(reader, f"{SAMPLE_URL}?int1=lt:100&int1=gt:1&limit=1&sort=name:asc")
    assert body["first"] == (
        "/artifacts/sample_artifact?int1=lt%3A100&int1=gt%3A1&limit=1&sort=name%3Aasc"
    )


def test_links_keep_interleaved_parameters_in_request_order(reader, ids):
    """§7.2 (first = the request's query minus marker) and §30 Q6 (original order): with
    repeated parameters interleaved with others, the links reproduce the request order."""
    body = fetch(
        reader,
        f"{SAMPLE_URL}?name=neq:kilo&limit=1&name=neq:echo&sort=name:asc&int1=gt:1&int1=lt:100",
    )
    assert names_of(body) == ["alpha"]
    assert body["total_count"] == 2  # alpha, delta
    query = (
        "name=neq%3Akilo&limit=1&name=neq%3Aecho&sort=name%3Aasc&int1=gt%3A1&int1=lt%3A100"
    )
    assert body["first"] == f"/artifacts/sample_artifact?{query}"
    assert body["next"] == f"/artifacts/sample_artifact?{query}&marker={ids['alpha']}"


def test_links_drop_marker_wherever_it_is(reader, ids):
    body = fetch(reader, f"{SAMPLE_URL}?limit=1&marker={ids['alpha']}&sort=name:asc")
    assert names_of(body) == ["bravo"]
    assert body["first"] == "/artifacts/sample_artifact?limit=1&sort=name%3Aasc"
    assert body["next"] == (
        f"/artifacts/sample_artifact?limit=1&sort=name%3Aasc&marker={ids['bravo']}"
    )


def test_first_without_query_has_no_question_mark(reader, ids):
    body = list_ok(reader, "")
    assert body["first"] == "/artifacts/sample_artifact"
    body = fetch(reader, f"{SAMPLE_URL}?marker={ids['bravo']}")
    assert body["first"] == "/artifacts/sample_artifact"
    assert names_of(body) == ["echo", "alpha", "kilo"]
    assert "next" not in body


def test_links_percent_encode_special_characters(reader, ids):
    body = fetch(reader, f"{SAMPLE_URL}?name=like:%25a&limit=1&sort=name:asc")
    assert names_of(body) == ["alpha"]
    assert body["total_count"] == 2  # names ending in "a": alpha, delta
    assert body["first"] == "/artifacts/sample_artifact?name=like%3A%25a&limit=1&sort=name%3Aasc"
    body = fetch(reader, f'{SAMPLE_URL}?name=in:%22bravo,x%22,echo&limit=1')
    assert names_of(body) == ["echo"]
    assert body["first"] == "/artifacts/sample_artifact?name=in%3A%22bravo%2Cx%22%2Cecho&limit=1"
    assert body["next"] == f"{body['first']}&marker={ids['echo']}"


def test_non_ascii_filter_and_links(user1):
    """§31 #107: a Cyrillic name filter works; links carry UTF-8 percent-encoding."""
    cyr = "ПРИВЕТ"
    art = user1.create(SAMPLE, name=cyr)
    user1.create(SAMPLE, name="latin")
    encoded = "%D0%9F%D0%A0%D0%98%D0%92%D0%95%D0%A2"
    body = fetch(user1, f"{SAMPLE_URL}?name={encoded}")
    assert names_of(body) == [cyr]
    assert body["total_count"] == 1
    assert body["first"] == f"/artifacts/sample_artifact?name={encoded}"
    assert "next" not in body
    body = fetch(user1, f"{SAMPLE_URL}?name={encoded}&limit=1")
    assert body["next"] == f"/artifacts/sample_artifact?name={encoded}&limit=1&marker={art['id']}"
    assert fetch(user1, body["next"])["artifacts"] == []


# ---- empty results (§31 #108, #114) ---------------------------------------------------------


def test_empty_list_exact_body(user1):
    """§31 #114."""
    response = user1.get(SAMPLE_URL)
    assert response.status_code == 200
    assert response.get_json() == {
        "first": "/artifacts/sample_artifact",
        "artifacts": [],
        "schema": "/schemas/sample_artifact",
        "type_name": "sample_artifact",
        "total_count": 0,
    }


def test_no_match_exact_body(reader):
    """§31 #108."""
    assert list_ok(reader, "name=nothing") == {
        "first": "/artifacts/sample_artifact?name=nothing",
        "artifacts": [],
        "schema": "/schemas/sample_artifact",
        "type_name": "sample_artifact",
        "total_count": 0,
    }


# ---- tie-breakers with identical created_at (§15.4) -----------------------------------------


def test_id_is_the_last_tie_breaker(user1, monkeypatch):
    """Same created_at everywhere: created_at desc ties, so id asc decides."""
    clock = Clock()
    monkeypatch.setattr(engine_context(user1), "clock", clock)
    made = {name: user1.create(SAMPLE, name=name, int1=5)["id"] for name in "pqrst"}
    by_id = sorted(made, key=made.get)
    cases = [
        ("", by_id),
        ("sort=int1:asc", by_id),
        ("sort=int1:desc", by_id),
        ("sort=created_at:asc", by_id),
        ("sort=created_at:desc", by_id),
        ("sort=id:desc", by_id[::-1]),
        ("sort=int1:asc,id:desc", by_id[::-1]),
        ("sort=name:asc", sorted(made)),
    ]
    for raw, expected in cases:
        body = list_ok(user1, raw)
        assert names_of(body) == expected, raw
        assert_pages(walk(user1, raw, 2), expected, 2)
