"""Parsing of list query parameters (contract §15.1): pure functions, no app."""

import pytest

from glare_core.engine.listing import split_filter_value, split_list
from glare_core.errors import BadRequest


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("name0", ("and", "eq", "name0")),
        ("eq:name0", ("and", "eq", "name0")),
        ("or:name0", ("or", "eq", "name0")),
        ("gt:5", ("and", "gt", "5")),
        ("or:eq:a:b:c", ("or", "eq", "a:b:c")),
        ("and:lte:123.456", ("and", "lte", "123.456")),
        ("eq:a:b", ("and", "eq", "a:b")),
        ("or:blah:t", ("or", "blah", "t")),
        ("2019-03-01T10:00:00", ("and", "eq", "2019-03-01T10:00:00")),
        ("or:2019-03-01T10:00:00", ("or", "eq", "2019-03-01T10:00:00")),
        ("gt:2019-03-01T10:00:00", ("and", "gt", "2019-03-01T10:00:00")),
        ("bla:", ("and", "bla", "")),
    ],
)
def test_split_filter_value(value, expected):
    assert split_filter_value(value) == expected


@pytest.mark.parametrize(
    ("text", "items"),
    [("a,b", ["a", "b"]), ('"a,b",c', ["a,b", "c"]), ('c,"a,b"', ["c", "a,b"]),
     ("a", ["a"]), ("", [""]), ('"",x', ["", "x"])],
)
def test_split_list(text, items):
    assert split_list(text) == items


@pytest.mark.parametrize("text", ['"a,b', 'a"b', '"a"b', 'x,"y'])
def test_split_list_rejects_bad_quotes(text):
    with pytest.raises(BadRequest):
        split_list(text)


def test_parse_sort_drops_repeated_keys():
    """A repeated key cannot change the order. Keeping every repeat made the marker
    condition grow with the square of the query string (one alternative per key, each
    repeating the keys before it): ``sort=name,name,…`` with a marker tied up a worker."""
    from glare_sample_artifact.types import SampleArtifact

    from glare_core.engine.listing import parse_sort

    keys = parse_sort(SampleArtifact(), ",".join(["name:asc", "int1", "name:desc"] * 300))
    assert [(key.field.name, key.direction) for key in keys] == [
        ("name", "asc"), ("int1", "desc"), ("created_at", "desc"), ("id", "asc")]
