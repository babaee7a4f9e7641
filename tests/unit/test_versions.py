"""Semantic version normalization and ordering (contract §13)."""

import pytest

from glare_core.types.versions import coerce, sort_key


@pytest.mark.parametrize(
    ("given", "normalized"),
    [
        ("1.0", "1.0.0"), ("1", "1.0.0"), ("0.0", "0.0.0"), (2.0, "2.0.0"), (1, "1.0.0"),
        ("1-alpha", "1.0.0-alpha"), ("1:0", "1.0.0-0"), ("1:0:0", "1.0.0-0-0"),
        ("2:0-0", "2.0.0-0-0"), ("2.0.1-beta", "2.0.1-beta"),
        ("1000.0.1-alpha", "1000.0.1-alpha"), ("01.002.0003", "1.2.3"),
        ("1.0.0+build.5", "1.0.0+build.5"), ("1.0+a+b", "1.0.0+a.b"), ("1.2.3.4", "1.2.3+4"),
        ("1.0 rc1", "1.0.0-rc1"), ("65535.65535.65535", "65535.65535.65535"),
    ],
)
def test_coerce_normalizes(given, normalized):
    assert coerce(given) == normalized


@pytest.mark.parametrize(
    "bad",
    ["", "dummy", "-1", ":", "t" * 256, "65536.0.0", "1.65536", "1.0.0-1234567", "1.0.0-a..b",
     "1.0.0-01", True, None, [1], {"a": 1}],
)
def test_coerce_rejects(bad):
    with pytest.raises(ValueError):
        coerce(bad)


def test_sort_key_orders_by_semver_precedence():
    ascending = ["0.0.0", "1.0.0", "1.1.0", "2.0.0", "2.0.1-alpha", "2.0.1-alpha.1",
                 "2.0.1-beta", "2.0.1-rc.2", "2.0.1-rc.10", "2.0.1", "20.0.0", "1000.0.1"]
    shuffled = list(reversed(ascending))
    assert sorted(shuffled, key=sort_key) == ascending


def test_sort_key_ignores_build_metadata():
    assert sort_key("1.0.0+a") == sort_key("1.0.0+b") == sort_key("1.0.0")
