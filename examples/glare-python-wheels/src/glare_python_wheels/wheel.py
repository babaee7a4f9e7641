"""Reading a wheel's metadata: plain Python, no Glare import (easy to test on its own).

A wheel (a built Python distribution) is a zip archive holding one folder
``<dist>-<version>.dist-info`` at its top with, among others, ``METADATA`` (the core
metadata: Name, Version, Summary, Requires-Python, Requires-Dist, License...) and ``WHEEL``
(Wheel-Version and the compatibility tags). Both are e-mail style header blocks; only the
headers are read (METADATA's body is the long description), with a size cap, so a huge or
hostile archive costs neither memory nor time.
"""

from __future__ import annotations

import email.parser
import email.policy
import re
import zipfile
from dataclasses import dataclass, field
from email.message import Message

# A project name (PEP 508) and its normalized form (PEP 503).
PROJECT_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)
_SEPARATORS = re.compile(r"[-_.]+")
# The metadata folder at the top of the archive: '-' inside the name is escaped as '_'.
_DIST_INFO = re.compile(r"^(?P<folder>(?P<dist>[^/-]+)-(?P<version>[^/-]+)\.dist-info)/")
MAX_HEADER_BYTES = 256 * 1024
SUPPORTED_WHEEL_VERSION = 1


class InvalidWheel(ValueError):
    """The data is not a usable wheel; the message says why."""


@dataclass(frozen=True)
class WheelInfo:
    name: str
    version: str
    summary: str | None = None
    requires_python: str | None = None
    requires_dist: list[str] = field(default_factory=list)
    license: str | None = None
    tags: list[str] = field(default_factory=list)

    @property
    def platform_tag(self) -> str:
        """The platform part of the tags, compressed like in wheel file names
        (``manylinux_2_17_x86_64.manylinux2014_x86_64``, or ``any``)."""
        platforms = dict.fromkeys(tag.rsplit("-", 1)[-1] for tag in self.tags)
        return ".".join(platforms)


def normalize_name(name: str) -> str:
    """The PEP 503 normalized form of a project name (``Foo.Bar_baz`` → ``foo-bar-baz``)."""
    return _SEPARATORS.sub("-", name).lower()


def read_wheel(path: str) -> WheelInfo:
    """Check that the file at ``path`` is a wheel and return its metadata."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise InvalidWheel("the data is not a zip archive") from None
    with archive:
        folder = _dist_info_folder(archive)
        metadata = _headers(archive, f"{folder}/METADATA")
        wheel = _headers(archive, f"{folder}/WHEEL")
    return _wheel_info(metadata, wheel)


def _dist_info_folder(archive: zipfile.ZipFile) -> str:
    folders = {
        match["folder"] for match in map(_DIST_INFO.match, archive.namelist()) if match
    }
    if not folders:
        raise InvalidWheel("there is no <dist>-<version>.dist-info folder at the top")
    if len(folders) > 1:
        raise InvalidWheel(f"there are several .dist-info folders: {', '.join(sorted(folders))}")
    return folders.pop()


def _headers(archive: zipfile.ZipFile, member: str) -> Message:
    try:
        handle = archive.open(member)
    except KeyError:
        raise InvalidWheel(f"{member} is missing") from None
    lines: list[bytes] = []
    size = 0
    with handle:
        while line := handle.readline(MAX_HEADER_BYTES + 1 - size):
            if not line.strip():
                break
            size += len(line)
            if size > MAX_HEADER_BYTES:
                raise InvalidWheel(f"the headers of {member} exceed {MAX_HEADER_BYTES} bytes")
            lines.append(line)
    text = b"".join(lines).decode("utf-8", errors="replace")
    parser = email.parser.HeaderParser(policy=email.policy.compat32)
    return parser.parsestr(text)


def _single(headers: Message, name: str) -> str | None:
    value = headers.get(name)
    return str(value).strip() if value is not None else None


def _wheel_info(metadata: Message, wheel: Message) -> WheelInfo:
    name = _single(metadata, "Name")
    version = _single(metadata, "Version")
    if not name or not version:
        raise InvalidWheel("METADATA must give the project's Name and Version")
    if not PROJECT_NAME.match(name):
        raise InvalidWheel(f"{name!r} is not a valid project name")

    wheel_version = _single(wheel, "Wheel-Version") or ""
    major = wheel_version.split(".", 1)[0]
    if not major.isdigit():
        raise InvalidWheel(f"WHEEL has no valid Wheel-Version (got {wheel_version!r})")
    if int(major) > SUPPORTED_WHEEL_VERSION:
        raise InvalidWheel(f"Wheel-Version {wheel_version} is not supported")
    tags = [str(tag).strip() for tag in wheel.get_all("Tag") or ()]
    if not tags or any(tag.count("-") != 2 for tag in tags):
        raise InvalidWheel("WHEEL must list its tags as 'Tag: <python>-<abi>-<platform>'")

    license_text = _single(metadata, "License-Expression") or _single(metadata, "License")
    if license_text:
        license_text = license_text.splitlines()[0].strip()
    return WheelInfo(
        name=name,
        version=version,
        summary=" ".join((_single(metadata, "Summary") or "").split()) or None,
        requires_python=_single(metadata, "Requires-Python") or None,
        requires_dist=[str(r).strip() for r in metadata.get_all("Requires-Dist") or ()],
        license=None if license_text in (None, "", "UNKNOWN") else license_text,
        tags=tags,
    )
