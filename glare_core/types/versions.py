"""Semantic versions: the contract's input normalization and an SQL-sortable ordering key.

Pure functions only. ``coerce`` turns client input into a normalized SemVer 2.0 string;
``sort_key`` encodes its precedence (build metadata excluded) as a string whose byte order
is the version order, so the database can index, sort and range-filter versions.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

import semantic_version

MAX_COMPONENT = 65535
MAX_NUMERIC_IDENTIFIER_DIGITS = 6
MAX_VERSION_LENGTH = 255
# The longest sort key (see sort_key) the databases index: numeric pre-release parts are
# padded to six digits, so a version of 255 characters can need more than this.
MAX_SORT_KEY_LENGTH = 512

_LEADING_NUMBERS = re.compile(r"^(\d+)(?:\.(\d+))?(?:\.(\d+))?")
_NOT_SEMVER_CHAR = re.compile(r"[^A-Za-z0-9+.\-]")


class ParsedVersion(NamedTuple):
    major: int
    minor: int
    patch: int
    prerelease: tuple[str, ...]
    build: tuple[str, ...]

    @property
    def text(self) -> str:
        out = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            out += "-" + ".".join(self.prerelease)
        if self.build:
            out += "+" + ".".join(self.build)
        return out


def coerce(value: Any) -> str:
    """Normalize client input (string or number) into a SemVer 2.0 string.

    Raises ValueError with a human-readable reason when the input cannot be a version.
    """
    return parse(value).text


def parse(value: Any) -> ParsedVersion:
    """Parse and normalize ``value`` following the contract's coercion algorithm (§13.1)."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError("a version must be a string or a number")
    text = value if isinstance(value, str) else str(value)
    match = _LEADING_NUMBERS.match(text)
    if not match:
        raise ValueError(f"'{text}' is not a version: it must start with digits")
    major, minor, patch = (int(group or 0) for group in match.groups())
    rest = _NOT_SEMVER_CHAR.sub("-", text[match.end():])
    prerelease, build = "", ""
    if rest.startswith(("+", ".")):
        build = rest[1:]
    elif rest:
        body = rest[1:] if rest.startswith("-") else rest
        prerelease, _, build = body.partition("+")
    build = build.replace("+", ".")
    normalized = f"{major}.{minor}.{patch}"
    if prerelease:
        normalized += f"-{prerelease}"
    if build:
        normalized += f"+{build}"
    try:
        strict = semantic_version.Version(normalized)
    except ValueError as exc:
        raise ValueError(f"'{text}' is not a valid semantic version") from exc
    if max(major, minor, patch) > MAX_COMPONENT:
        raise ValueError(f"version components must not exceed {MAX_COMPONENT}")
    for ident in strict.prerelease:
        if ident.isdigit() and len(ident) > MAX_NUMERIC_IDENTIFIER_DIGITS:
            raise ValueError(
                f"numeric pre-release identifiers must have at most "
                f"{MAX_NUMERIC_IDENTIFIER_DIGITS} digits"
            )
    if len(normalized) > MAX_VERSION_LENGTH:
        raise ValueError(f"a version must be at most {MAX_VERSION_LENGTH} characters")
    parsed = ParsedVersion(major, minor, patch, tuple(strict.prerelease), tuple(strict.build))
    if len(_key_of(parsed)) > MAX_SORT_KEY_LENGTH:
        raise ValueError("a version's pre-release has too many numeric parts")
    return parsed


def sort_key(normalized: str) -> str:
    """Encode the precedence of a normalized version (build metadata ignored) as a string.

    Byte-wise comparison of two keys gives SemVer precedence: zero-padded numbers first,
    then ``0<prerelease>`` for pre-releases and ``1`` for the release itself (a release sorts
    after all of its pre-releases). Numeric pre-release identifiers are padded to six digits
    so that ``rc.2 < rc.10``.
    """
    return _key_of(parse(normalized))


def _key_of(version: ParsedVersion) -> str:
    key = f"{version.major:05d}{version.minor:05d}{version.patch:05d}"
    if not version.prerelease:
        return key + "1"
    padded = (
        ident.zfill(MAX_NUMERIC_IDENTIFIER_DIGITS) if ident.isdigit() else ident
        for ident in version.prerelease
    )
    return key + "0" + ".".join(padded)
