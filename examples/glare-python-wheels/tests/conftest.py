"""The test app of Glare's pytest plugin (``glare_app``, ``glare_client``, ``make_artifact``
come from the ``glare`` pytest11 entry point) serving this plugin, and a wheel builder."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterable
from typing import Any

import glare_python_wheels
import pytest


@pytest.fixture
def glare_plugins() -> list[Any]:
    return [glare_python_wheels]


def build_wheel(
    name: str,
    version: str,
    *,
    headers: Iterable[str] = (),
    tags: Iterable[str] = ("py3-none-any",),
    omit: Iterable[str] = (),
    metadata: str | None = None,
) -> bytes:
    """A small wheel: one module, METADATA (Name, Version, ``headers``), WHEEL, RECORD.

    ``omit`` names .dist-info files to leave out (``"METADATA"``, ``"WHEEL"``);
    ``metadata`` replaces the whole METADATA text.
    """
    module = name.replace("-", "_").lower()
    folder = f"{name.replace('-', '_')}-{version}.dist-info"
    if metadata is None:
        metadata = "\n".join(["Metadata-Version: 2.1", f"Name: {name}",
                              f"Version: {version}", *headers])
    wheel = "\n".join(["Wheel-Version: 1.0", "Generator: glare-python-wheels tests",
                       "Root-Is-Purelib: true", *(f"Tag: {tag}" for tag in tags)])
    files = {
        f"{module}/__init__.py": "VALUE = 1\n",
        f"{folder}/METADATA": metadata + "\n\nThe long description: not a header.\n",
        f"{folder}/WHEEL": wheel + "\n",
        f"{folder}/RECORD": "",
    }
    for member in omit:
        del files[f"{folder}/{member}"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, text in files.items():
            archive.writestr(member, text)
    return buffer.getvalue()


@pytest.fixture
def make_wheel() -> Callable[..., bytes]:
    return build_wheel
