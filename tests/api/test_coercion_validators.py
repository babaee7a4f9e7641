"""API tests for field coercion and validators (contract §9.2, §9.4, §28; §31 items 47-58, 69),
through both create (POST) and update (PATCH) of ``sample_artifact``."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.helpers import add, assert_error, replace, url
from tests.conftest import SAMPLE, SAMPLE_URL


class Rejected:
    """Marks an input the contract rejects with 400."""

    def __repr__(self) -> str:
        return "400"


REJECTED = Rejected()
VIA = ["create", "patch"]


def assert_same(actual: Any, expected: Any) -> None:
    """Equal, and of the same JSON types all the way down (1 ≠ 1.0 ≠ true)."""
    assert type(actual) is type(expected), (actual, expected)
    if isinstance(expected, dict):
        assert actual.keys() == expected.keys()
        for key in expected:
            assert_same(actual[key], expected[key])
    elif isinstance(expected, list):
        assert len(actual) == len(expected), (actual, expected)
        for left, right in zip(actual, expected, strict=True):
            assert_same(left, right)
    else:
        assert actual == expected


def write(client: Any, via: str, field: str, value: Any) -> tuple[Any, dict | None]:
    """Set ``field`` to ``value`` at create or with a PATCH replace on a fresh artifact.

    Returns the response and, for PATCH, the artifact before the patch.
    """
    if via == "create":
        return client.post(SAMPLE_URL, {"name": "coerce", field: value}), None
    before = client.create(SAMPLE, name="coerce")
    return client.patch(url(before["id"]), [replace(f"/{field}", value)]), before


def check(client: Any, via: str, field: str, value: Any, expected: Any) -> None:
    response, before = write(client, via, field, value)
    if expected is REJECTED:
        assert_error(response, 400)
        if before is None:
            assert client.list(SAMPLE)["total_count"] == 0
        else:
            assert client.show(SAMPLE, before["id"]) == before
        return
    assert response.status_code == (201 if via == "create" else 200), \
        response.get_data(as_text=True)
    body = response.get_json()
    assert_same(body[field], expected)
    assert_same(client.show(SAMPLE, body["id"])[field], expected)


# ---- §9.2 coercion tables (items 53-58) -------------------------------------------------------

INTEGER = [
    (1.1, 1), ("2", 2), ("3.0", REJECTED), ("", REJECTED), ([], REJECTED), ({}, REJECTED),
    (True, 1), (False, 0), (7, 7), (-5, -5), ("-3", -3), (1.9, 1), ("abc", REJECTED),
    ([1], REJECTED), ({"a": 1}, REJECTED),
    # only Python reads these as numbers: digit separators, digits of other scripts
    ("1_000", REJECTED), ("\u0663", REJECTED), ("\uff11\uff12", REJECTED), (" 4 ", 4),
]
FLOAT = [
    (1, 1.0), ("2", 2.0), ([], REJECTED), ({}, REJECTED), ("True", REJECTED), (True, 1.0),
    ("3.0", 3.0), (False, 0.0), (1.5, 1.5), ("-2.5", -2.5), ("abc", REJECTED),
    ([1.0], REJECTED), (10**400, REJECTED),  # an integer no float can hold
    ("1_0.5", REJECTED), ("\u0663.5", REJECTED), ("2.5e1", 25.0),
]
STRING = [
    ("3.0", "3.0"), (1, "1"), (1.0, "1.0"), (True, "True"), (False, "False"), ([], REJECTED),
    ({}, REJECTED), (["a"], REJECTED), ({"a": "b"}, REJECTED), ("plain", "plain"),
    ("é ü Ж", "é ü Ж"), ("s" * 255, "s" * 255),
]
BOOLEAN = [
    (1, True), (0, False), (2.1, False), (1.1, False), ("1", True), ("", False), ([], False),
    ([1], False), ({}, False), (True, True), (False, False), ("yes", True), ("Y", True),
    (" TRUE ", True), ("on", True), ("t", True), ("no", False), ("false", False),
    ("0", False), ("abc", False), ({"a": 1}, False),
]
LIST_OF_STR = [
    ({}, REJECTED), ([], []), ([1, 2, 3], ["1", "2", "3"]),
    ([True, False, True], ["True", "False", "True"]), ("123", REJECTED), (11, REJECTED),
    (True, REJECTED), ({"a": "b"}, REJECTED), ([["a"]], REJECTED), ([{}], REJECTED),
    (["b", "a", "b"], ["b", "a", "b"]),
]
LIST_OF_INT = [
    ([], []), (["1", 2, 3.7], [1, 2, 3]), ([True, False], [1, 0]), (["x"], REJECTED),
    ("1", REJECTED), (1, REJECTED), ([[1]], REJECTED), ({}, REJECTED), (["3.0"], REJECTED),
]
DICT_OF_INT = [
    ([], REJECTED), ({}, {}), (1, REJECTED), (True, REJECTED), ("aaa", REJECTED),
    ({"a": "5"}, {"a": 5}), ({"a": 1.9}, {"a": 1}), ({"a": True}, {"a": 1}),
    ({"a": "x"}, REJECTED), ({"a": [1]}, REJECTED), ({"a": {}}, REJECTED),
]
DICT_OF_STR = [
    ({"a": 1}, {"a": "1"}), ({"a": True}, {"a": "True"}), ({"a": 2.5}, {"a": "2.5"}),
    ({"a": [1]}, REJECTED), ({"a": {}}, REJECTED), ([], REJECTED), ("x", REJECTED),
    (1, REJECTED), ({}, {}), ({"a": "1", "b": "3"}, {"a": "1", "b": "3"}),
]


def _rows(field: str, table: list[tuple[Any, Any]]) -> list[Any]:
    return [pytest.param(field, given, expected, id=f"{field}={given!r}")
            for given, expected in table]


COERCION_ROWS = (
    _rows("int1", INTEGER) + _rows("int2", [(1.1, 1), ("x", REJECTED)])
    + _rows("float1", FLOAT) + _rows("float2", [("2", 2.0), ([], REJECTED)])
    + _rows("str1", STRING) + _rows("string_mutable", [(1, "1"), ([], REJECTED)])
    + _rows("bool1", BOOLEAN) + _rows("bool2", [("yes", True), (2.1, False)])
    + _rows("list_of_str", LIST_OF_STR) + _rows("list_of_int", LIST_OF_INT)
    + _rows("dict_of_int", DICT_OF_INT) + _rows("dict_of_str", DICT_OF_STR)
    + _rows("metadata", [({"k": 1}, {"k": "1"}), ([], REJECTED)])
    + _rows("description", [(5, "5"), ([], REJECTED)])
)


@pytest.mark.parametrize("via", VIA)
@pytest.mark.parametrize(("field", "given", "expected"), COERCION_ROWS)
def test_coercion(user1, via, field, given, expected):
    """Items 53-58, §9.2: input → stored value, or 400."""
    check(user1, via, field, given, expected)


# ---- null handling (item 69; §9.2) ------------------------------------------------------------

NULL_RESETS = [
    ("list_of_str", ["a"], []),
    ("list_of_int", [1], []),
    ("dict_of_str", {"a": "b"}, {}),
    ("dict_of_int", {"a": 1}, {}),
    ("bool1", True, False),
    ("bool2", True, False),
    ("int1", 5, None),
    ("float1", 1.5, None),
    ("str1", "s", None),
    ("string_mutable", "m", None),
    ("string_required", "r", None),
    ("tags", ["t"], []),
    ("metadata", {"k": "v"}, {}),
    ("description", "d", ""),
    ("list_validators", ["a"], []),
    ("dict_validators", {"abc": "v"}, None),
    ("metadata_attribute", "m", "default"),
]


@pytest.mark.parametrize(("field", "initial", "expected"), NULL_RESETS)
def test_replace_with_null_resets_to_default(user1, field, initial, expected):
    """Item 69, §9.2: null clears a nullable field; it reads back as its default (or null)."""
    created = user1.create(SAMPLE, name="nulls", **{field: initial})
    body = user1.update(SAMPLE, created["id"], replace(f"/{field}", None))
    assert_same(body[field], expected)
    assert_same(user1.show(SAMPLE, created["id"])[field], expected)


@pytest.mark.parametrize(("field", "expected"), [(f, e) for f, _, e in NULL_RESETS])
def test_create_with_null_gives_default(user1, field, expected):
    """§9.2: null at create is accepted for nullable fields and reads back as the default."""
    assert_same(user1.create(SAMPLE, name="nulls", **{field: None})[field], expected)


@pytest.mark.parametrize("field", ["name", "version", "status", "visibility"])
def test_replace_non_nullable_with_null_is_400(user1, field):
    """Item 69, §9.2: non-nullable fields → 400 on null."""
    created = user1.create(SAMPLE, name="nn")
    assert_error(user1.patch(url(created["id"]), [replace(f"/{field}", None)]), 400)
    assert user1.show(SAMPLE, created["id"]) == created


def test_replace_id_with_null_is_403(user1):
    """Item 69: /id null → 403 (system field)."""
    created = user1.create(SAMPLE, name="nn")
    assert_error(user1.patch(url(created["id"]), [replace("/id", None)]), 403)


# ---- validators (items 47-52; §9.4) -----------------------------------------------------------

VALIDATOR_ROWS = (
    _rows("int_validators", [
        (9, REJECTED), (21, REJECTED), (15, 15), (10, 10), (20, 20), ("15", 15),
        (20.5, 20), (9.9, REJECTED), (-15, REJECTED), (None, None),
    ])
    + _rows("str1", [("s" * 256, REJECTED), ("s" * 255, "s" * 255)])
    + _rows("string_validators", [
        ("cc", REJECTED), ("aa", "aa"), ("bb", "bb"), ("ccccccccccc", REJECTED),
        ("", REJECTED), ("AA", REJECTED), (None, None),
    ])
    + _rows("string_regex", [
        ("INVALID", REJECTED), ("167f808Z", REJECTED), ("167f80835", REJECTED),
        ("167f8083", "167f8083"), ("ABCDEF01", "ABCDEF01"), ("x167f8083", REJECTED),
        ("", REJECTED), (None, None),
    ])
    + _rows("list_validators", [
        (["a", "b", "c"], ["a", "b", "c"]), (["a", "b", "c", "d"], REJECTED),
        (["a", "b", "b"], REJECTED), (["a", "a"], REJECTED), ([], []),
    ])
    + _rows("dict_validators", [
        ({"abc": "1", "def": "2", "ghi": "3"}, {"abc": "1", "def": "2", "ghi": "3"}),
        ({"abc": "1", "def": "2", "ghi": "3", "jkl": "4"}, REJECTED),
        ({"aaa": "1"}, REJECTED), ({"abc": "1", "aaa": "2"}, REJECTED),
    ])
)


@pytest.mark.parametrize("via", VIA)
@pytest.mark.parametrize(("field", "given", "expected"), VALIDATOR_ROWS)
def test_validators(user1, via, field, given, expected):
    """Items 47-52, §9.4: validators run after coercion on every write (skipped for null)."""
    check(user1, via, field, given, expected)


LONG = "x" * 256
DEFAULT_LIMIT_ROWS = (
    _rows("list_of_str", [
        ([LONG], REJECTED), (["x" * 255], ["x" * 255]),
        ([str(i) for i in range(256)], REJECTED),
        ([str(i) for i in range(255)], [str(i) for i in range(255)]),
    ])
    + _rows("list_of_int", [(list(range(256)), REJECTED), (list(range(255)), list(range(255)))])
    + _rows("dict_of_str", [
        ({"k": LONG}, REJECTED), ({LONG: "v"}, REJECTED), ({"": "v"}, REJECTED),
        ({"k" * 255: "v" * 255}, {"k" * 255: "v" * 255}),
        ({f"k{i}": "v" for i in range(256)}, REJECTED),
        ({f"k{i}": "v" for i in range(255)}, {f"k{i}": "v" for i in range(255)}),
    ])
    + _rows("dict_of_int", [
        ({f"k{i}": i for i in range(256)}, REJECTED), ({LONG: 1}, REJECTED), ({"": 1}, REJECTED),
    ])
    + _rows("string_mutable", [(LONG, REJECTED)])
    + _rows("string_required", [(LONG, REJECTED)])
    + _rows("metadata_attribute", [(LONG, REJECTED)])
    + _rows("str1", [("a\U0001f600", REJECTED)])
    + _rows("dict_of_str", [({"k": "\U0001f600"}, REJECTED), ({"\U0001f600": "v"}, REJECTED)])
)


@pytest.mark.parametrize("via", VIA)
@pytest.mark.parametrize(("field", "given", "expected"), DEFAULT_LIMIT_ROWS)
def test_default_validators(user1, via, field, given, expected):
    """§9.4 defaults: strings ≤255, lists ≤255 items, dict keys 1..255, ≤255 keys;
    §2: 4-byte Unicode → 400."""
    check(user1, via, field, given, expected)


# ---- validators through sub-path operations (items 51, 52) ----------------------------------


@pytest.fixture
def three(user1) -> dict:
    """An artifact whose list_validators already holds 3 items."""
    return user1.create(SAMPLE, name="lv", list_validators=["a", "b", "c"])


@pytest.mark.parametrize("operation", [
    add("/list_validators/-", "d"),
    add("/list_validators/0", "z"),
    replace("/list_validators", ["a", "b", "c", "d"]),
    replace("/list_validators/2", "a"),
    replace("/list_validators", ["a", "b", "b"]),
    add("/list_validators", ["x", "x"]),
])
def test_list_validators_rejections(user1, three, operation):
    """Item 51: max 3 items and strict uniqueness, checked on the whole list after the op."""
    assert_error(user1.patch(url(three["id"]), [operation]), 400)
    assert user1.show(SAMPLE, three["id"])["list_validators"] == ["a", "b", "c"]


def test_list_validators_accepted_changes(user1, three):
    """Item 51: replace /1 with a new value → 200; replace whole with 3 unique → 200."""
    body = user1.update(SAMPLE, three["id"], replace("/list_validators/1", "z"))
    assert body["list_validators"] == ["a", "z", "c"]
    body = user1.update(SAMPLE, three["id"], replace("/list_validators", ["x", "y", "w"]))
    assert body["list_validators"] == ["x", "y", "w"]
    body = user1.update(SAMPLE, three["id"], {"op": "remove", "path": "/list_validators/0"},
                        add("/list_validators/-", "v"))
    assert body["list_validators"] == ["y", "w", "v"]


@pytest.fixture
def two_keys(user1) -> dict:
    return user1.create(SAMPLE, name="dv", dict_validators={"abc": "1", "def": "2"})


@pytest.mark.parametrize("operation", [
    add("/dict_validators/aaa", "v"),
    replace("/dict_validators", {"abc": "1", "aaa": "2"}),
    replace("/dict_validators", {"abc": "1", "def": "2", "ghi": "3", "jkl": "4"}),
    add("/dict_validators/ghi", LONG),
    add("/dict_validators/ghi", ["list"]),
])
def test_dict_validators_rejections(user1, two_keys, operation):
    """Item 52: only keys abc/def/ghi/jkl, at most 3 keys."""
    assert_error(user1.patch(url(two_keys["id"]), [operation]), 400)
    assert user1.show(SAMPLE, two_keys["id"])["dict_validators"] == {"abc": "1", "def": "2"}


def test_dict_validators_accepted_changes_and_fourth_key(user1, two_keys):
    """Item 52: 3rd allowed key → 200; 4th → 400; replace one value → 200; replace whole with
    3 allowed keys → 200."""
    body = user1.update(SAMPLE, two_keys["id"], add("/dict_validators/ghi", "3"))
    assert body["dict_validators"] == {"abc": "1", "def": "2", "ghi": "3"}
    assert_error(user1.patch(url(two_keys["id"]), [add("/dict_validators/jkl", "4")]), 400)
    body = user1.update(SAMPLE, two_keys["id"], replace("/dict_validators/abc", "new"))
    assert body["dict_validators"] == {"abc": "new", "def": "2", "ghi": "3"}
    body = user1.update(SAMPLE, two_keys["id"],
                        replace("/dict_validators", {"jkl": "4", "ghi": "5", "def": "6"}))
    assert body["dict_validators"] == {"jkl": "4", "ghi": "5", "def": "6"}
    body = user1.update(SAMPLE, two_keys["id"], add("/dict_validators/def", 7))
    assert body["dict_validators"] == {"jkl": "4", "ghi": "5", "def": "7"}


def test_validators_apply_to_mutable_fields_after_activation(user1):
    """§9.1: validators run on every write, including mutable fields of active artifacts."""
    created = user1.create(SAMPLE, name="act")
    user1.update(SAMPLE, created["id"], replace("/string_required", "x"),
                 replace("/status", "active"))
    assert_error(user1.patch(url(created["id"]), [replace("/string_mutable", LONG)]), 400)
    assert_error(user1.patch(url(created["id"]), [replace("/description", "d" * 4097)]), 400)
    assert_error(user1.patch(url(created["id"]), [add("/tags/-", "a/b")]), 400)
    shown = user1.show(SAMPLE, created["id"])
    assert (shown["string_mutable"], shown["description"], shown["tags"]) == (None, "", [])
