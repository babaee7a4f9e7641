"""Listing filters (contract §7.2, §12.1, §14, §15.1-§15.3, §28, §30 Q17/Q27/Q32, §31 #92-#113).

Every test lists ``sample_artifact`` through the Flask test client and compares the exact
names (in the contract's default order) and ``total_count``. The data set below is built
with a controlled clock so that ``created_at`` values (and so the default order
``created_at desc, id asc``) are known in advance.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from glare_core.testing import GlareClient
from tests.api.helpers import (
    Clock,
    activate,
    assert_bad_request,
    build_app,
    callers,
    engine_context,
    list_ok,
    names_of,
    publish,
)
from tests.conftest import SAMPLE, SAMPLE_URL

# ---- helpers ---------------------------------------------------------------------------


@pytest.fixture
def extra_settings() -> dict[str, Any]:
    """Anonymous access on (for §31 #29); tests may add settings with indirect parametrize."""
    return {"GLARE_ALLOW_ANONYMOUS": True}


@pytest.fixture(scope="module")
def shared_app(
    glare_template_db: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    """One app (and database) for the read-only DATASET tests of this module: the data set
    is built once and every test only lists it."""
    app = build_app(glare_template_db, tmp_path_factory.mktemp("listing-filters"))
    yield app
    app.extensions["glare"].database.dispose()


@pytest.fixture(scope="module")
def clients(shared_app: Any) -> dict[str, GlareClient]:
    return callers(shared_app)


# ---- the main data set -------------------------------------------------------------------
# Created in this order, one minute apart from 2020-01-01T00:00:00 (alpha) to 00:04:00
# (eps:ilon). The default order (created_at desc, id asc) is therefore the reverse.

DATASET: dict[str, dict[str, Any]] = {
    "alpha": dict(
        int1=1024, int2=5, float1=123.456, str1="bugaga", bool1=True, tags=["t1", "t2"],
        list_of_str=["aaa", "bbb"], list_of_int=[1, 2], dict_of_str={"pr1": "val1", "pr2": "val2"},
        dict_of_int={"1": 10, "2": 20}, metadata={"team": "infra"}, string_mutable="a:b:c",
        string_regex="deadbeef", string_validators="aa", int_validators=10,
    ),
    "beta": dict(
        int1=2048, int2=5, float1=200.5, str1="banana", bool1=False, tags=["t2", "t3"],
        list_of_str=["bbb"], list_of_int=[3], dict_of_str={"pr1": "val2"},
        dict_of_int={"one": 1}, metadata={"team": "web"}, string_mutable="x",
        string_regex="0badf00d", string_validators="bb", int_validators=15,
    ),
    "gamma": dict(
        int1=1500, float1=150.0, str1="nan", bool1=True, tags=["t4", "t5"],
        list_of_str=["a,b", "ccc"], list_of_int=[], dict_of_str={"pr3": "val3"},
        dict_of_int={"three": 3}, string_mutable="2019-01-01T10:00:00", int_validators=20,
    ),
    "delta": dict(
        int2=7, bool1=False, tags=["t4"], list_of_int=[2], metadata={"owner": "bob"},
    ),
    "eps:ilon": dict(
        int1=3000, int2=7, float1=1.5, str1="bana", bool1=False, list_of_str=["aaa"],
        list_of_int=[1], dict_of_str={"aaa": "zzz"}, dict_of_int={"1": 11},
    ),
}
CREATION_ORDER = list(DATASET)
ALL = set(DATASET)


def default_order(names: set[str]) -> list[str]:
    """The contract's implicit order: created_at desc (later-created first)."""
    return sorted(names, key=CREATION_ORDER.index, reverse=True)


@pytest.fixture(scope="module")
def dataset(clients: dict[str, GlareClient]) -> dict[str, dict[str, Any]]:
    """The DATASET artifacts of user1 (created once; tests only read them)."""
    user1 = clients["user1"]
    created: dict[str, dict[str, Any]] = {}
    previous: dict[str, Any] = {}
    clock = Clock()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine_context(clients["user1"]), "clock", clock)
        for name, values in DATASET.items():
            extra = dict(values)
            # beta links to alpha, gamma links to beta (link1 filters); delta holds a
            # list of links (alpha, beta) and a dict of links {"k": gamma}.
            if name in ("beta", "gamma"):
                extra["link1"] = f"{SAMPLE_URL}/{previous['id']}"
            if name == "delta":
                extra["list_of_links"] = [f"{SAMPLE_URL}/{created[n]['id']}"
                                          for n in ("alpha", "beta")]
                extra["dict_of_links"] = {"k": f"{SAMPLE_URL}/{created['gamma']['id']}"}
            created[name] = user1.create(SAMPLE, name=name, **extra)
            previous = created[name]
            clock.tick(minutes=1)
    return created


@pytest.fixture
def reader(clients: dict[str, GlareClient], dataset: Any) -> GlareClient:
    """user1 of the shared app, with DATASET in place."""
    return clients["user1"]


def check(user1: GlareClient, raw: str, expected: set[str]) -> None:
    body = list_ok(user1, raw)
    assert names_of(body) == default_order(expected), raw
    assert body["total_count"] == len(expected), raw


# ---- base string fields: name, id, owner, display_type_name -----------------------------

NAME_CASES = [
    # §31 #93
    ("name=alpha", {"alpha"}),
    ("name=eq:alpha", {"alpha"}),
    ("name=neq:alpha", ALL - {"alpha"}),
    ("name=in:alpha,not_exist", {"alpha"}),
    ("name=in:not_exist,beta", {"beta"}),
    ("name=in:alpha,gamma,delta", {"alpha", "gamma", "delta"}),
    ("name=not_exist", set()),
    # like (§31 #100): % and _ wildcards
    ("name=like:%a", {"alpha", "beta", "gamma", "delta"}),
    ("name=like:_eta", {"beta"}),
    ("name=like:eps%", {"eps:ilon"}),
    ("name=like:zzz%", set()),
    # operands containing ':' (§15.1 splitting rules)
    ("name=eq:eps:ilon", {"eps:ilon"}),
    ("name=and:eq:eps:ilon", {"eps:ilon"}),
    ("name=or:eq:eps:ilon", {"eps:ilon"}),
    ('name=in:"eps:ilon",alpha', {"alpha", "eps:ilon"}),
    ("name=neq:eps:ilon", ALL - {"eps:ilon"}),
    # one ':' whose left part is a combiner: combiner + eq
    ("name=and:beta", {"beta"}),
    ("name=or:beta", {"beta"}),
    # quoted items: the comma is part of the item, the quotes are not
    ('name=in:"alpha,beta"', set()),
    ('name=in:"alpha","beta"', {"alpha", "beta"}),
    ('name=in:gamma,"delta"', {"gamma", "delta"}),
    # display_type_name (§31 #112)
    ("display_type_name=Sample Artifact", ALL),
    ("display_type_name=like:Sample%", ALL),
    ("display_type_name=neq:Sample Artifact", set()),
    ('display_type_name=in:Images,"Sample Artifact"', ALL),
    ("display_type_name=Images", set()),
    # owner: every artifact of the data set belongs to user1's project p1
    ("owner=p1", ALL),
    ("owner=p2", set()),
    ("owner=neq:p1", set()),
    ("owner=in:p2,p1", ALL),
    # status: everything is drafted
    ("status=drafted", ALL),
    ("status=active", set()),
    ("status=neq:drafted", set()),
    ("status=in:active,deactivated", set()),
    # system / defaulted type fields
    ("system_attribute=default", ALL),
    ("system_attribute=neq:default", set()),
    ("metadata_attribute=default", ALL),
]


@pytest.mark.parametrize(("raw", "expected"), NAME_CASES)
def test_base_string_filters(reader, raw, expected):
    check(reader, raw, expected)


def test_id_filters(reader, dataset):
    alpha, beta = dataset["alpha"]["id"], dataset["beta"]["id"]
    check(reader, f"id={alpha}", {"alpha"})
    check(reader, f"id=eq:{beta}", {"beta"})
    check(reader, f"id=in:{alpha},{beta}", {"alpha", "beta"})
    check(reader, f"id=neq:{alpha}", ALL - {"alpha"})
    check(reader, "id=00000000-0000-4000-8000-000000000000", set())


# ---- numeric, string and boolean type fields ---------------------------------------------

SCALAR_CASES = [
    # §31 #94, #98
    ("int1=eq:2048", {"beta"}),
    ("int1=2048", {"beta"}),
    ("int1=gt:2000", {"beta", "eps:ilon"}),
    ("int1=gte:2048", {"beta", "eps:ilon"}),
    ("int1=lte:1024", {"alpha"}),
    ("int1=lt:1024", set()),
    ("int1=gt:1000&int1=lt:2000", {"alpha", "gamma"}),
    ("int1=lt:2000", {"alpha", "gamma"}),
    ("int1=in:1024,3000,7", {"alpha", "eps:ilon"}),
    # Q32: neq on a type field never matches artifacts where the field is null (delta)
    ("int1=neq:2048", {"alpha", "gamma", "eps:ilon"}),
    ("int2=5", {"alpha", "beta"}),
    ("int2=neq:5", {"delta", "eps:ilon"}),
    ("int2=gte:6", {"delta", "eps:ilon"}),
    ("float1=eq:123.456", {"alpha"}),
    ("float1=123.456", {"alpha"}),
    ("float1=gt:200.000", {"beta"}),
    ("float1=gt:100.00&float1=lt:200.00", {"alpha", "gamma"}),
    ("float1=lt:200", {"alpha", "gamma", "eps:ilon"}),
    ("float1=lte:123.456", {"alpha", "eps:ilon"}),
    ("float1=gte:150", {"beta", "gamma"}),
    ("float1=neq:1.5", {"alpha", "beta", "gamma"}),
    ("float1=in:1.5,150", {"gamma", "eps:ilon"}),
    ("float1=gt:-1", {"alpha", "beta", "gamma", "eps:ilon"}),
    ("str1=eq:bugaga", {"alpha"}),
    ("str1=bugaga", {"alpha"}),
    ("str1=neq:bugaga", {"beta", "gamma", "eps:ilon"}),
    ("str1=in:nan,bana,zzz", {"gamma", "eps:ilon"}),
    ("str1=like:%nan%", {"beta", "gamma"}),
    ("str1=like:%na%", {"beta", "gamma", "eps:ilon"}),
    ("str1=like:%haha%", set()),
    ("str1=like:na_", {"gamma"}),
    ("str1=like:b%", {"alpha", "beta", "eps:ilon"}),
    # §31 #99: flexible boolean coercion of the operand (never fails)
    ("bool1=True", {"alpha", "gamma"}),
    ("bool1=False", {"beta", "delta", "eps:ilon"}),
    ("bool1=eq:true", {"alpha", "gamma"}),
    ("bool1=yes", {"alpha", "gamma"}),
    ("bool1=1", {"alpha", "gamma"}),
    ("bool1=0", {"beta", "delta", "eps:ilon"}),
    ("bool1=whatever", {"beta", "delta", "eps:ilon"}),
    # bool2 was never supplied: its default (false) is the value (§9.1)
    ("bool2=False", ALL),
    ("bool2=True", set()),
    # validated string / integer fields accept valid operands
    ("string_regex=deadbeef", {"alpha"}),
    ("string_regex=in:deadbeef,0badf00d", {"alpha", "beta"}),
    ("string_validators=aa", {"alpha"}),
    ("string_validators=in:aa,bb", {"alpha", "beta"}),
    ("string_validators=neq:aa", {"beta"}),
    ("int_validators=gt:12", {"beta", "gamma"}),
    ("int_validators=lte:15", {"alpha", "beta"}),
    ("int_validators=in:10,20", {"alpha", "gamma"}),
]


@pytest.mark.parametrize(("raw", "expected"), SCALAR_CASES)
def test_scalar_type_field_filters(reader, raw, expected):
    check(reader, raw, expected)


def test_link_filters(reader, dataset):
    alpha_url = f"{SAMPLE_URL}/{dataset['alpha']['id']}"
    beta_url = f"{SAMPLE_URL}/{dataset['beta']['id']}"
    check(reader, f"link1={alpha_url}", {"beta"})
    check(reader, f"link1=eq:{beta_url}", {"gamma"})
    # neq: only artifacts that have a link (Q32)
    check(reader, f"link1=neq:{alpha_url}", {"gamma"})
    assert_bad_request(reader, f"link1=in:{alpha_url},{beta_url}")
    assert_bad_request(reader, f"link1=gt:{alpha_url}")
    assert_bad_request(reader, "link1=Invalid")


def test_link_list_and_dict_filters(reader, dataset):
    """Link lists/dicts: §28 filter ops ``eq`` only; list = some element matches."""
    url = {name: f"{SAMPLE_URL}/{dataset[name]['id']}" for name in ("alpha", "beta", "gamma")}
    check(reader, f"list_of_links={url['alpha']}", {"delta"})
    check(reader, f"list_of_links=eq:{url['beta']}", {"delta"})
    check(reader, f"list_of_links={url['gamma']}", set())
    check(reader, f"dict_of_links.k={url['gamma']}", {"delta"})
    check(reader, f"dict_of_links.k=eq:{url['alpha']}", set())
    check(reader, f"dict_of_links.other={url['gamma']}", set())
    assert_bad_request(reader, f"list_of_links=in:{url['alpha']},{url['beta']}")
    assert_bad_request(reader, f"list_of_links=neq:{url['alpha']}")
    assert_bad_request(reader, f"dict_of_links.k=in:{url['gamma']}")
    assert_bad_request(reader, f"dict_of_links.k=neq:{url['gamma']}")
    assert_bad_request(reader, "dict_of_links=in:k,x")


# ---- value splitting (§15.1) -------------------------------------------------------------

SPLIT_CASES = [
    # two or more ':' and the rest is an ISO-8601 timestamp: op eq, operand = the rest
    ("string_mutable=2019-01-01T10:00:00", {"gamma"}),
    ("string_mutable=and:2019-01-01T10:00:00", {"gamma"}),
    ("string_mutable=or:2019-01-01T10:00:00", {"gamma"}),
    # otherwise the next token is the op and the operand may contain ':'
    ("string_mutable=eq:2019-01-01T10:00:00", {"gamma"}),
    ("string_mutable=neq:2019-01-01T10:00:00", {"alpha", "beta"}),
    ("string_mutable=in:2019-01-01T10:00:00,x", {"beta", "gamma"}),
    ("string_mutable=eq:a:b:c", {"alpha"}),
    ("string_mutable=or:eq:a:b:c", {"alpha"}),
    ("string_mutable=and:eq:a:b:c", {"alpha"}),
    ('string_mutable=in:x,"a:b:c"', {"alpha", "beta"}),
    # exactly one ':' with a combiner on the left
    ("string_mutable=and:x", {"beta"}),
    ("string_mutable=or:x", {"beta"}),
    # no ':' at all: the whole value is the operand (commas included)
    ("list_of_str=a,b", {"gamma"}),
    # §31 #109: or:eq:<operand with colons> that matches nothing is fine
    ("str1=or:eq:blabla:t:tt", set()),
]


@pytest.mark.parametrize(("raw", "expected"), SPLIT_CASES)
def test_value_splitting(reader, raw, expected):
    check(reader, raw, expected)


# ---- list fields (§15.2, §31 #101) ---------------------------------------------------------

LIST_CASES = [
    ("list_of_str=aaa", {"alpha", "eps:ilon"}),
    ("list_of_str=eq:bbb", {"alpha", "beta"}),
    ("list_of_str=eee", set()),
    ("list_of_str=in:ccc,zzz", {"gamma"}),
    ("list_of_str=in:aa,cc", set()),
    ('list_of_str=in:"a,b"', {"gamma"}),
    ('list_of_str=in:"a,b",aaa', {"alpha", "gamma", "eps:ilon"}),
    ("list_of_int=1", {"alpha", "eps:ilon"}),
    ("list_of_int=eq:2", {"alpha", "delta"}),
    ("list_of_int=in:2,3", {"alpha", "beta", "delta"}),
    ("list_of_int=99", set()),
    # both filters must hold, possibly on different elements
    ("list_of_str=aaa&list_of_str=bbb", {"alpha"}),
]


@pytest.mark.parametrize(("raw", "expected"), LIST_CASES)
def test_list_filters(reader, raw, expected):
    check(reader, raw, expected)


# ---- dict fields: keys and values (§15.2, §31 #101-#102, §30 Q27) ---------------------------

DICT_CASES = [
    # dict key filters: f=<key> / f=in:<k1>,<k2>
    ("dict_of_str=pr1", {"alpha", "beta"}),
    ("dict_of_str=eq:pr2", {"alpha"}),
    ("dict_of_str=in:pr3,aaa", {"gamma", "eps:ilon"}),
    ("dict_of_str=aaa", {"eps:ilon"}),
    ("dict_of_str=val1", set()),
    ("dict_of_int=in:one,three", {"beta", "gamma"}),
    ("dict_of_int=1", {"alpha", "eps:ilon"}),
    ("metadata=team", {"alpha", "beta"}),
    ("metadata=in:owner,nokey", {"delta"}),
    # dict value filters: f.<key>=[op:]value
    ("dict_of_str.pr1=val1", {"alpha"}),
    ("dict_of_str.pr1=eq:val1", {"alpha"}),
    ("dict_of_str.pr1=in:val1,val2", {"alpha", "beta"}),
    ("dict_of_str.pr1=val2", {"beta"}),
    ("dict_of_str.pr2=val2", {"alpha"}),
    ("dict_of_str.pr1=val999", set()),
    ("dict_of_str.bla=val1", set()),
    ("dict_of_str.aaa=zzz", {"eps:ilon"}),
    ("dict_of_int.1=10", {"alpha"}),
    ("dict_of_int.1=in:10,11", {"alpha", "eps:ilon"}),
    ("dict_of_int.2=20", {"alpha"}),
    ("dict_of_int.one=10", set()),
    ("metadata.team=infra", {"alpha"}),
    ("metadata.team=neq:infra", {"beta"}),
    ("metadata.team=in:web,infra", {"alpha", "beta"}),
    ("metadata.owner=bob", {"delta"}),
    # empty key or empty value: matches nothing (200)
    ("dict_of_str.", set()),
    ("dict_of_str.=val1", set()),
    ("dict_of_str.pr1=", set()),
    ("dict_of_int.1=", set()),
]


@pytest.mark.parametrize(("raw", "expected"), DICT_CASES)
def test_dict_filters(reader, raw, expected):
    check(reader, raw, expected)


# ---- tags (§14, §31 #95, #97) ---------------------------------------------------------------

TAG_CASES = [
    ("tags=t4", {"gamma", "delta"}),
    ("tags=t4,t5", {"gamma"}),
    ("tags=t4,tag_not_exist,t5", set()),
    ("tags-any=t4,tag_not_exist,t5", {"gamma", "delta"}),
    ("tags-any=t1,t3", {"alpha", "beta"}),
    ("tags-any=tag_not_exist", set()),
    ("tags", ALL),
    ("tags=", ALL),
    ("tags-any", ALL),
    ("tags-any=", ALL),
    ("tags=and:t2", {"alpha", "beta"}),
    ("tags=or:t2", {"alpha", "beta"}),
    ("tags-any=and:t1,t5", {"alpha", "gamma"}),
    ('tags-any="t1",t3', {"alpha", "beta"}),
    ("tags=t1&tags=t2", {"alpha"}),
    ("tags=t2&tags-any=t1,t4", {"alpha"}),
    # §31 #97: everything is ANDed
    ("name=eq:alpha&name=beta&tags=t1", set()),
    ("name=alpha&tags=t1", {"alpha"}),
]


@pytest.mark.parametrize(("raw", "expected"), TAG_CASES)
def test_tag_filters(reader, raw, expected):
    check(reader, raw, expected)


# ---- and:/or: combiners (§15.1, §31 #109-#111) ----------------------------------------------

COMBINER_CASES = [
    # §31 #109: AND(float1<=123.456) AND OR(str1=lalal, str1=bugaga)
    ("float1=and:lte:123.456&str1=or:eq:lalal&str1=or:eq:bugaga", {"alpha"}),
    ("str1=or:eq:nan&str1=or:eq:bana", {"gamma", "eps:ilon"}),
    ("str1=or:nan&str1=or:bana&int1=gt:2000", {"eps:ilon"}),
    # §31 #110
    ("name=or:eq:beta&tags-any=or:t1,t4", {"alpha", "beta", "gamma", "delta"}),
    ("name=or:eq:beta&tags=or:t4,t5", {"beta", "gamma"}),
    # §31 #111
    ("float1=or:1.5&bool1=or:yes", {"alpha", "gamma", "eps:ilon"}),
    ("int1=gt:1000&name=or:alpha&name=or:delta", {"alpha"}),
    ("name=or:zzz&str1=or:zzz", set()),
    ("name=or:zzz&str1=or:zzz&int1=and:gt:0", set()),
    ("int2=and:5&name=or:beta&name=or:gamma", {"beta"}),
]


@pytest.mark.parametrize(("raw", "expected"), COMBINER_CASES)
def test_combiners(reader, raw, expected):
    check(reader, raw, expected)


def test_or_combiner_across_id_and_name(reader, dataset):
    """§31 #111: name=or:eq:x + id=or:eq:<id> → the one artifact."""
    check(reader, f"name=or:eq:zzz&id=or:eq:{dataset['gamma']['id']}", {"gamma"})


def test_combiner_sorted(reader, dataset):
    """§31 #110 with sort=name:asc."""
    body = list_ok(reader, "name=or:eq:beta&tags-any=or:t1,t4&sort=name:asc")
    assert names_of(body) == ["alpha", "beta", "delta", "gamma"]
    assert body["total_count"] == 4


# ---- DateTime fields (§8, §9.3, §15.2) --------------------------------------------------------

DATETIME_CASES = [
    ("created_at=lt:2020-01-01T00:02:00", {"alpha", "beta"}),
    ("created_at=gt:2020-01-01T00:02:00", {"delta", "eps:ilon"}),
    ("created_at=gt:2020-01-01T00:00:30&created_at=lt:2020-01-01T00:03:30",
     {"beta", "gamma", "delta"}),
    ("created_at=lt:2020-01-01T00:02:00Z", {"alpha", "beta"}),
    ("created_at=gt:2019-12-31T23:59:59", ALL),
    ("created_at=gt:2020-01-01T00:04:00", set()),
    ("updated_at=gt:2020-01-01T00:03:00", {"eps:ilon"}),
    ("updated_at=lt:2020-01-01T00:01:00", {"alpha"}),
    # drafted artifacts have no activated_at: nothing matches
    ("activated_at=gt:2000-01-01T00:00:00", set()),
    ("activated_at=lt:2100-01-01T00:00:00", set()),
]


@pytest.mark.parametrize(("raw", "expected"), DATETIME_CASES)
def test_datetime_filters(reader, raw, expected):
    check(reader, raw, expected)


# ---- 400s ------------------------------------------------------------------------------------

BAD_FILTERS = [
    # §31 #92
    "str1=bla:empty",
    "name=bla:name1",
    "name=",
    "name=eq:",
    "name=INVALID:x",
    "int1=between:1",
    # §31 #109 / #111
    "str1=or:blah:t",
    "str1=or:blabla:t:tt",
    "name=or:tt:ttt",
    "string_mutable=a:b:c",
    "string_mutable=and:a:b",
    # one ':' whose left part is not a combiner is an op
    "name=eps:ilon",
    # op not allowed for the field (§8, §9.3, §28, Q17)
    "name=gt:a",
    "id=like:%",
    "owner=like:p%",
    "status=gt:active",
    "visibility=like:p%",
    "str1=gt:a",
    "int1=like:1%",
    "float1=like:1%",
    "bool1=neq:True",
    "bool1=in:True,False",
    "bool1=gt:0",
    "string_mutable=like:x%",
    "list_of_str=neq:aaa",
    "list_of_str=like:a%",
    "list_of_int=gt:1",
    # operand coercion / validators (§15.1)
    "int1=lala",
    "int1=3.0",
    "int1=1.5",
    "int1=in:1024,lala",
    "int1=gt:",
    "float1=abc",
    "float1=True",
    "float1=in:1.5,x",
    "list_of_int=x",
    "list_of_int=in:1,x",
    "status=blabla",
    "status=in:drafted,blabla",
    "id=not-a-uuid",
    "id=",
    "string_regex=zzz",
    "string_validators=cc",
    "string_validators=ccccccccccc",
    "int_validators=5",
    "int_validators=gt:21",
    "int_validators=in:10,25",
    # quote errors in comma lists
    'name=in:"alpha,beta',
    'list_of_str=in:"a,b',
    # dict keys: only eq and in (§30 Q27)
    "dict_of_str=neq:pr1",
    "dict_of_str=gt:pr1",
    "dict_of_str=like:pr%",
    "metadata=neq:team",
    # dict values: op must be in the dict field's filter_ops (§31 #102)
    "dict_of_str.pr3=gt:val3",
    "dict_of_str.pr3=gte:val3",
    "dict_of_str.pr3=lt:val3",
    "dict_of_str.pr3=lte:val3",
    "dict_of_str.pr3=blabla:val3",
    "dict_of_str.pr1=neq:val1",
    "dict_of_int.1=lala",
    "dict_of_int.1=gt:5",
    "metadata.team=like:inf%",
    # x.k where x is not a dict
    "list_of_str.pr3=val3",
    "int1.x=1",
    "name.x=alpha",
    "dict_of_blobs.k=x",
    # unknown fields (names are case-sensitive) (§31 #113)
    "NOTEXIST=1",
    "NOTEXIST.one=1",
    "Name=alpha",
    "type_name=sample_artifact",
    "__some_meta_information__=ALPHA",
    # not filterable at all (§31 #113)
    "description=x",
    "description=eq:x",
    "blob=x",
    "small_blob=x",
    "dict_of_blobs=x",
    "list_validators=x",
    "dict_validators=abc",
    "dict_validators.abc=x",
    # DateTime: only lt/gt with an ISO-8601 operand (§31 #113)
    "created_at=eq:2020-01-01T00:00:00",
    "created_at=2020-01-01T00:00:00",
    "created_at=neq:2020-01-01T00:00:00",
    "created_at=gte:2020-01-01T00:00:00",
    "updated_at=eq:2020-01-01T00:00:00",
    "updated_at=lte:2020-01-01T00:00:00",
    "activated_at=eq:2020-01-01T00:00:00",
    "activated_at=in:2020-01-01T00:00:00",
    "created_at=lt:yesterday",
    "created_at=gt:0001-01-01T00:00:00+01:00",  # before year 1 once in UTC
    "updated_at=lt:9999-12-31T23:59:59-01:00",  # after year 9999 once in UTC
    "float1=" + "9" * 400,  # an integer no float can hold
    "float1=gt:" + "9" * 400,
    "int1=1_000",  # only Python reads these as numbers
    "int1=gt:\u0663",
    "float1=1_0.5",
    # tags take no operators (§14, §31 #95)
    "tags=eq:t1",
    "tags=bla:t1",
    "tags=neq:t1",
    "tags=or:eq:t1",
    "tags=and:in:t1,t2",
    "tags-any=eq:t1",
    "tags-any=in:t1,t2",
    "tags-any=bla:t1",
    "tags.x=t1",
]


@pytest.mark.parametrize("raw", BAD_FILTERS)
def test_bad_filters_are_400(reader, raw):
    assert_bad_request(reader, raw)


def test_bad_filter_on_empty_database_is_still_400(user1):
    """Validation does not depend on data."""
    assert_bad_request(user1, "int1=lala")
    assert_bad_request(user1, "NOTEXIST=1")


# ---- visibility scoping (§7.2, §12.1, §31 #23, #26, #29, #96) -------------------------------


@pytest.fixture(scope="module")
def scoped_clients(
    glare_template_db: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, GlareClient]]:
    """A second shared app holding: u1-private, u1-public (activated by user1, published by
    admin), u2-private (user2) and adm-private (admin). Tests only read it."""
    app = build_app(glare_template_db, tmp_path_factory.mktemp("listing-scoped"))
    who = callers(app)
    user1, user2, admin = who["user1"], who["user2"], who["admin"]
    user1.create(SAMPLE, name="u1-private")
    public = user1.create(SAMPLE, name="u1-public")
    user2.create(SAMPLE, name="u2-private")
    admin.create(SAMPLE, name="adm-private")
    activate(user1, public["id"])
    publish(admin, public["id"])
    yield who
    app.extensions["glare"].database.dispose()


VISIBLE = {
    "user1": {"u1-private", "u1-public"},
    "user2": {"u2-private", "u1-public"},
    "admin": {"u1-private", "u1-public", "u2-private", "adm-private"},
    "anonymous": {"u1-public"},
}


@pytest.mark.parametrize("who", sorted(VISIBLE))
def test_list_is_scoped_by_visibility(scoped_clients, who):
    client = scoped_clients[who]
    body = list_ok(client, "sort=name:asc")
    assert names_of(body) == sorted(VISIBLE[who])
    assert body["total_count"] == len(VISIBLE[who])


SCOPED_FILTER_CASES = [
    # §31 #96
    ("user1", "visibility=private", {"u1-private"}),
    ("user1", "visibility=public", {"u1-public"}),
    ("user1", "visibility=eq:private", {"u1-private"}),
    ("user1", "visibility=eq:public", {"u1-public"}),
    ("user1", "visibility=neq:private", {"u1-public"}),
    ("user1", "visibility=neq:public", {"u1-private"}),
    ("user1", "visibility=in:private,public", {"u1-private", "u1-public"}),
    ("user2", "visibility=private", {"u2-private"}),
    ("admin", "visibility=private", {"u1-private", "u2-private", "adm-private"}),
    ("anonymous", "visibility=private", set()),
    # filters never reveal invisible artifacts
    ("user2", "name=u1-private", set()),
    ("user2", "name=like:u1%", {"u1-public"}),
    ("user2", "owner=p1", {"u1-public"}),
    ("user1", "owner=p2", set()),
    ("admin", "owner=p1", {"u1-private", "u1-public"}),
    ("admin", "owner=neq:p1", {"u2-private", "adm-private"}),
    ("admin", "owner=in:p2,admin-project", {"u2-private", "adm-private"}),
    ("anonymous", "owner=p1", {"u1-public"}),
    ("user1", "status=active", {"u1-public"}),
    ("user1", "status=drafted", {"u1-private"}),
    ("user1", "status=neq:drafted", {"u1-public"}),
    ("admin", "status=in:active,deactivated", {"u1-public"}),
    ("admin", "status=drafted", {"u1-private", "u2-private", "adm-private"}),
    ("user2", "activated_at=gt:2000-01-01T00:00:00", {"u1-public"}),
    ("user1", "activated_at=lt:2000-01-01T00:00:00", set()),
]


@pytest.mark.parametrize(("who", "raw", "expected"), SCOPED_FILTER_CASES)
def test_filters_within_visible_set(scoped_clients, who, raw, expected):
    client = scoped_clients[who]
    body = list_ok(client, f"{raw}&sort=name:asc")
    assert names_of(body) == sorted(expected)
    assert body["total_count"] == len(expected)


def test_invisible_artifact_not_found_by_id(scoped_clients):
    [private] = list_ok(scoped_clients["user1"], "name=u1-private")["artifacts"]
    body = list_ok(scoped_clients["user2"], f"id={private['id']}")
    assert body["artifacts"] == []
    assert body["total_count"] == 0
    body = list_ok(scoped_clients["admin"], f"id={private['id']}")
    assert names_of(body) == ["u1-private"]
    assert body["total_count"] == 1


@pytest.mark.parametrize("raw", ["visibility=blabla", "visibility=neq:blabla"])
def test_bad_visibility_filter(scoped_clients, raw):
    """§31 #96."""
    assert_bad_request(scoped_clients["user1"], raw)


def test_same_name_version_in_two_projects(user1, user2, admin):
    """§31 #26: user1 and user2 each own my_art 1.0."""
    user1.create(SAMPLE, name="my_art", version="1.0")
    mine = user2.create(SAMPLE, name="my_art", version="1.0")
    for client, count in ((admin, 2), (user1, 1), (user2, 1)):
        body = list_ok(client, "name=my_art&version=1")
        assert body["total_count"] == count
        assert names_of(body) == ["my_art"] * count
    activate(user2, mine["id"])
    publish(admin, mine["id"])
    for client, count in ((admin, 2), (user1, 2), (user2, 1)):
        body = list_ok(client, "name=my_art&version=1")
        assert body["total_count"] == count


@pytest.mark.parametrize("glare_settings", [{"GLARE_DELAYED_DELETE": True}], indirect=True)
def test_deleted_artifacts_never_listed(user1, admin):
    """§7.2: artifacts in status deleted are never listed (delayed delete keeps the row)."""
    gone = user1.create(SAMPLE, name="gone")
    user1.create(SAMPLE, name="kept")
    assert user1.delete(f"{SAMPLE_URL}/{gone['id']}").status_code == 204
    assert user1.show(SAMPLE, gone["id"])["status"] == "deleted"
    for client in (user1, admin):
        body = list_ok(client, "")
        assert names_of(body) == ["kept"]
        assert body["total_count"] == 1
        body = list_ok(client, "status=deleted")
        assert body["artifacts"] == []
        assert body["total_count"] == 0


def test_listed_items_are_full_artifacts(reader, dataset):
    """§7.2/§10/§31 #112: list items equal what show returns."""
    body = list_ok(reader, "name=alpha")
    assert body["artifacts"] == [reader.show(SAMPLE, dataset["alpha"]["id"])]
    assert body["artifacts"][0]["display_type_name"] == "Sample Artifact"
    assert body["artifacts"][0]["__some_meta_information__"] == "ALPHA"


@pytest.mark.parametrize(("pattern", "expected"), [
    ("50\\%", {"50%"}),  # an escaped % is itself
    ("50%", {"50%", "500", "50\\x"}),
    ("a\\_b", {"a_b"}),
    ("a_b", {"a_b", "aXb"}),
    ("50\\\\x", {"50\\x"}),  # an escaped backslash
])
def test_like_escapes_with_backslash(user1, pattern, expected):
    """``like`` takes ``\\`` as its escape character on every database (PostgreSQL's
    default; SQLite has none unless told)."""
    for number, value in enumerate(("50%", "500", "50\\x", "a_b", "aXb")):
        user1.create(SAMPLE, name=f"n{number}", str1=value)
    found = user1.list(SAMPLE, f"str1=like:{quote(pattern)}")
    assert {a["str1"] for a in found["artifacts"]} == expected


@pytest.mark.parametrize("pattern", ["a\\", "a\\\\\\", "\\"])
def test_like_pattern_ending_in_a_lone_backslash_is_400(user1, pattern):
    assert_bad_request(user1, f"str1=like:{pattern}")  # the helper percent-encodes


@pytest.mark.parametrize("query, expected", [
    # Stored 00:01:00.700000, shown 00:01:00.
    ("created_at=gt:2020-01-01T00:01:00", set()),  # not after what it shows
    ("created_at=lt:2020-01-01T00:01:00", set()),
    ("created_at=gt:2020-01-01T00:00:59", {"shown-1:00"}),
    ("created_at=lt:2020-01-01T00:01:01", {"shown-1:00"}),
    ("created_at=gt:2020-01-01T00:00:59.900", {"shown-1:00"}),  # shown 1:00 > 0:59.9
    ("created_at=lt:2020-01-01T00:01:00.500", {"shown-1:00"}),  # shown 1:00 < 1:00.5
    ("created_at=gt:2020-01-01T00:01:00.500", set()),
    ("created_at=gt:9999-12-31T23:59:59", set()),  # no second after it: still a 200
    ("created_at=lt:9999-12-31T23:59:59.999", {"shown-1:00"}),
])
def test_timestamps_compare_at_the_precision_they_are_shown(user1, monkeypatch, query,
                                                            expected):
    """Timestamps are shown to the second but stored finer: an artifact shown as created
    at T is neither after nor before T (else created_at=gt:T would return it)."""
    import datetime as dt

    monkeypatch.setattr(engine_context(user1), "clock",
                        lambda: dt.datetime(2020, 1, 1, 0, 1, 0, 700000))
    art = user1.create(SAMPLE, name="shown-1:00")
    assert art["created_at"] == "2020-01-01T00:01:00Z"
    assert set(names_of(user1.list(SAMPLE, query))) == expected
