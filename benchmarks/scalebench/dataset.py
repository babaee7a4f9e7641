"""The catalog the scale benchmark loads: artifact ``i`` is a pure function of ``i``.

Every attribute comes from a hash of the index, so a catalog can grow in steps (10k, then
100k more, ...) and a kept database can be grown again by a later run, and the benchmark
can name any loaded artifact (its id, its name, what it matches) without storing them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

TYPE_NAME = "sample_artifact"
BIG_PROJECT = "bench"
OTHER_PROJECTS = ("other-1", "other-2", "other-3")
#: Artifacts ``i % 100 == 99`` below this index belong to the other projects: 300 in all
#: from 30,000 artifacts on (1 % of a smaller catalog).
OTHERS_BELOW = 30_000
VERSIONS_PER_NAME = 10
#: Semantic versions with the usual traps for a version sort: 1.10 after 1.2, a
#: pre-release before its release, 10 after 2.
VERSIONS = ("0.9.0", "1.0.0", "1.0.1", "1.1.0", "1.2.0", "1.10.0", "2.0.0-rc.1", "2.0.0",
            "2.0.1", "10.0.0")
INT1_VALUES = 1000
TAG_COUNT = 100
COMMON_TAG = "common"
#: str1 is "<prefix>-<infix>-<index>": 100 prefixes of letters a-j, 100 infixes of letters
#: k-t, so ``like:<prefix>%`` and ``like:%<infix>%`` each match 1 % of the catalog.
PREFIXES = tuple(a + b for a in "abcdefghij" for b in "abcdefghij")
INFIXES = tuple(a + b for a in "klmnopqrst" for b in "klmnopqrst")
ARCHES = ("x86_64", "aarch64", "ppc64le", "s390x")
EPOCH = dt.datetime(2024, 1, 1)
#: Seconds between two artifacts' creation: a million builds over about a year.
CREATED_EVERY = 30


def _digest(index: int) -> bytes:
    return hashlib.blake2b(index.to_bytes(8, "big"), digest_size=32,
                           person=b"glare-scale").digest()


def artifact_id(index: int) -> str:
    return str(uuid.UUID(bytes=_digest(index)[:16], version=4))


def owner(index: int) -> str:
    if index % 100 == 99 and index < OTHERS_BELOW:
        return OTHER_PROJECTS[(index // 100) % len(OTHER_PROJECTS)]
    return BIG_PROJECT


def status(index: int) -> str:
    """60 % active, 37 % drafted, 3 % deactivated."""
    draw = int.from_bytes(_digest(index)[16:18], "big") % 100
    return "active" if draw < 60 else "drafted" if draw < 97 else "deactivated"


def visibility(index: int) -> str:
    """Public: 1 % of the big project's active artifacts' indexes, half of the others'."""
    if status(index) != "active":
        return "private"
    if owner(index) == BIG_PROJECT:
        return "public" if index % 100 == 7 else "private"
    return "public" if (index // 100) % 2 == 0 else "private"


def visible(index: int) -> bool:
    """Whether the big project sees artifact ``index`` (its own, or public)."""
    return owner(index) == BIG_PROJECT or visibility(index) == "public"


def name(index: int) -> str:
    return f"pkg-{index // VERSIONS_PER_NAME:06d}"


def version(index: int) -> str:
    return VERSIONS[index % VERSIONS_PER_NAME]


def int1(index: int) -> int:
    return int.from_bytes(_digest(index)[18:20], "big") % INT1_VALUES


def tag(index: int) -> str:
    return tag_name(int.from_bytes(_digest(index)[20:22], "big") % TAG_COUNT)


def tag_name(number: int) -> str:
    return f"t{number:02d}"


def str1(index: int) -> str:
    digest = _digest(index)
    prefix = PREFIXES[int.from_bytes(digest[22:24], "big") % len(PREFIXES)]
    infix = INFIXES[int.from_bytes(digest[24:26], "big") % len(INFIXES)]
    return f"{prefix}-{infix}-{index:07d}"


def created_at(index: int) -> dt.datetime:
    micro = int.from_bytes(_digest(index)[26:29], "big") % 1_000_000
    return EPOCH + dt.timedelta(seconds=index * CREATED_EVERY, microseconds=micro)


@dataclass(frozen=True)
class Varied:
    """The fields a loaded artifact gets from its index (the rest: the template's)."""

    values: dict[str, Any]

    @classmethod
    def of(cls, index: int) -> Varied:
        state = status(index)
        created = created_at(index)
        activated = created + dt.timedelta(minutes=1) if state != "drafted" else None
        updated = created + dt.timedelta(minutes=1 + _digest(index)[29] % 120)
        return cls({
            "id": artifact_id(index),
            "name": name(index),
            "version": version(index),
            "owner": owner(index),
            "visibility": visibility(index),
            "status": state,
            "created_at": created,
            "updated_at": updated,
            "activated_at": activated,
            "description": f"build {index} of {name(index)}",
            "int1": int1(index),
            "str1": str1(index),
            "tags": [COMMON_TAG, tag(index)],
            "dict_of_str": {"arch": ARCHES[index % len(ARCHES)]},
            # activation requires it (required_on_activate); drafts mostly lack it
            "string_required": "release" if state != "drafted" else None,
        })


#: The fields clients set (coerced by the type like the API does); the others are the
#: engine's own (ids, owner, status, timestamps), which the API stores as they are.
CLIENT_FIELDS = ("name", "version", "description", "int1", "str1", "tags", "dict_of_str",
                 "string_required")
