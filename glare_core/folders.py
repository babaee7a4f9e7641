"""The folders settings name (the data folder, the file store's blob folder).

Building an app only checks them (``check_folder``), creating nothing: a command that
fails, or only reads (``glare-manage db current``), leaves no folder behind. What writes
there creates them (``create_folder``): ``glare-api`` at start, ``glare-manage db upgrade``,
the file store on its first write.
"""

from __future__ import annotations

import os
from pathlib import Path

from glare_core.errors import StartupError


def check_folder(path: Path, origin: str) -> None:
    """Refuse a folder setting that names a file, or a place under a file where no folder
    can be made. ``origin`` says where the setting came from (``--data-dir``)."""
    if path.exists():
        if not path.is_dir():
            raise StartupError(f"{origin}: {path} is a file, not a folder")
        return
    parent = _nearest_existing(path)
    if not parent.is_dir():
        raise StartupError(f"{origin}: {path} cannot be created: {parent} is a file, "
                           "not a folder")


def create_folder(path: Path, origin: str) -> None:
    """Create the folder (and its parents) if missing, and make sure it can be written."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StartupError(f"{origin}: cannot create {path}: {exc.strerror}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise StartupError(f"{origin}: cannot write in {path}: permission denied")


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path(path.anchor or ".")
